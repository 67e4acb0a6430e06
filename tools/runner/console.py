"""console.py: follow the machine's COM1 output while the emulator runs.

The emulator writes COM1 to a file in the run's directory; this module tails
it, copies it to the terminal and the log as it arrives, and notices the
console protocol's end-of-run lines (POWEROFF, PANIC). The hypervisor's
private verdict channel (port 0xE9) is followed the same way, unseen: once
the hypervisor has spoken there, only its lines there end the run
(outcome.verdict_text).
"""
import os
import sys
import time

from . import outcome

POLL_SECONDS = 0.01
# After POWEROFF the emulator should exit at once; after PANIC the component
# still prints registers and a backtrace before it powers off.
GRACE_AFTER_POWEROFF = 5.0
GRACE_AFTER_PANIC = 10.0


class Watch:
    def __init__(self, path, echo, log):
        self.path = path
        self.echo = echo
        self.log = log
        self.pos = 0
        self.text = ""
        self.first_line = None  # (seconds from start, text) of the first whole line

    def poll(self, elapsed):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return
        if not data:
            return
        self.pos += len(data)
        s = data.decode("utf-8", "replace").replace("\r", "")
        self.text += s
        if self.first_line is None and "\n" in self.text:
            self.first_line = (elapsed, self.text.split("\n", 1)[0])
        if self.echo:
            sys.stdout.write(s)
            sys.stdout.flush()
        if self.log:
            self.log.write(s)
            self.log.flush()

    def ended(self, channel=""):
        """Seconds of grace left to the emulator, or None while the run goes on.
        channel: the private verdict channel's text so far."""
        text = outcome.verdict_text(self.text, channel)
        if outcome.first_panic(text):
            return GRACE_AFTER_PANIC if outcome.poweroff_status(text) is None else GRACE_AFTER_POWEROFF
        if outcome.poweroff_status(text) is not None:
            return GRACE_AFTER_POWEROFF
        return None


def follow(proc, watch, timeout, channel=None):
    """Run until the emulator exits, the run ends plus a grace period, or the
    timeout. channel: a Watch (echo off) on the private verdict channel.
    Returns (timed_out, seconds)."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        now = time.monotonic()
        watch.poll(now - start)
        if channel:
            channel.poll(now - start)
        if proc.poll() is not None:
            watch.poll(now - start)
            if channel:
                channel.poll(now - start)
            return False, now - start
        grace = watch.ended(channel.text if channel else "")
        if grace is not None:
            deadline = min(deadline, now + grace)
        if now >= deadline:
            return grace is None, now - start
        time.sleep(POLL_SECONDS)


def read_text(path, limit=1 << 20):
    """The last `limit` bytes of a file, as text ('' if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
