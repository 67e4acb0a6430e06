"""typist.py: a console the runner can type into (hvrun --input).

Without --input the emulator writes COM1 to a file in the run's directory
(console.out). With it, COM1 is a pseudo-terminal instead: Bochs (com1
mode=term) and QEMU (-chardev tty) read and write its far end. A thread
copies what the machine prints into console.out, so the run is followed
exactly as without input, and types the input, followed by Enter, once the
machine asks for it with the console protocol's line "INPUT ready".
"""
import os
import re
import select
import threading
import tty

READY = re.compile(rb"(^|\n)INPUT ready\r?\n")


class Typist:
    def __init__(self, run_dir, text):
        self.master, self.slave = os.openpty()
        # Bytes pass as they are: no echo, no line editing, no CR/LF changes.
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.keys = text.encode() + b"\n"
        self.out = open(os.path.join(run_dir, "console.out"), "ab")
        self.printed = b""
        self.typed = False
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.copy, daemon=True)
        self.thread.start()

    def copy(self):
        # The runner keeps its own descriptor of the far end open, so the
        # terminal stays up until stop(), whenever the emulator opens it.
        # Once stop() is asked, what the emulator printed last is still read:
        # the loop ends only when the terminal has been quiet for 50 ms.
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                if self.stopping.is_set():
                    break
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                break
            self.out.write(data)
            self.out.flush()
            if not self.typed:
                self.printed += data
                if READY.search(self.printed):
                    os.write(self.master, self.keys)
                    self.typed = True

    def stop(self):
        """Copy what is left, then close. Called once the emulator has
        exited, before its console is judged; a second call does nothing."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.thread.join()
        for fd in (self.master, self.slave):
            os.close(fd)
        self.out.close()
