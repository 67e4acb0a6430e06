"""gdbrelay.py: the gdb port of a Bochs run (hvrun --gdb), relayed to COM2.

Bochs makes COM2 a TCP server (`com2: mode=socket-server`) on a free local
port of its own; this relay connects to it and listens on the port gdb is
told about. It exists for one reason: a UART has no way to say "the other
side hung up". Bochs 2.7 reads nothing at all from a closed socket, so the
hypervisor's stub would wait for a gdb that was killed, forever. The relay
sees the TCP connection close and sends the stub what gdb would have sent
had it detached cleanly: a `D` packet. The stub then removes its
breakpoints and lets the machine run on (hv/gdb/gdb_stub.c).
"""
import select
import socket
import threading
import time

DETACH = b"$D#44"


def listen(port):
    """A listening socket on localhost:port (0: a free port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


def connect(port, seconds):
    """Connect to Bochs's COM2 server, retrying while Bochs starts."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)


class Relay(threading.Thread):
    """Relay gdb clients on `server` (one at a time) to COM2 at com2_port."""

    def __init__(self, server, com2_port):
        super().__init__(daemon=True)
        self.server, self.com2_port = server, com2_port
        self.stopping = False

    def run(self):
        com2 = connect(self.com2_port, 60)
        if com2 is None:
            return
        com2.settimeout(None)
        client = None
        while not self.stopping:
            watched = [com2, client] if client else [com2, self.server]
            ready, _, _ = select.select(watched, [], [], 0.2)
            for s in ready:
                if s is self.server:
                    client, _ = self.server.accept()
                    continue
                try:
                    data = s.recv(65536)
                except OSError:              # reset: the same as a hang-up
                    data = b""
                if s is com2:
                    if not data:
                        return               # the machine is gone
                    if client:
                        try:
                            client.sendall(data)
                        except OSError:
                            pass
                elif data:
                    try:
                        com2.sendall(data)
                    except OSError:
                        return               # the machine is gone
                else:                        # gdb hung up: detach for it
                    client.close()
                    client = None
                    com2.sendall(DETACH)

    def stop(self):
        self.stopping = True
