"""slots.py: at most N emulators at once on the machine, whoever starts them.

`make check` runs several suites at once (tests/run_checks.py), each with
runs of its own in parallel: together they would start more Bochs and QEMU
processes than there are cores, and a run slowed down that way can meet its
wall-clock timeout. So every emulator run first takes one of N slots, files
in the folder that $HVLAB_EMULATOR_SLOTS names (made by create()): a slot is
taken by flock()ing its file, and given back when the run ends, or when its
process dies whatever the cause (the kernel drops the lock with the file).
A read-only file can be locked, so a run in the grader's sandbox (its /
read-only) takes slots as well as any.

A caller with a timeout of its own around the run (a test harness, the
grader) takes the slot itself before it starts its clock, and tells the
runner it runs in that slot ($HVLAB_EMULATOR_SLOT_HELD, held_env()): else a
run that waited for a slot would be counted as slow. The runner's own clock
starts once it has a slot too.

Without $HVLAB_EMULATOR_SLOTS there is no limit: a student's runs by hand
never wait.
"""
import contextlib
import fcntl
import os
import random
import time

SLOTS_ENV = "HVLAB_EMULATOR_SLOTS"
HELD_ENV = "HVLAB_EMULATOR_SLOT_HELD"
PREFIX = "slot-"
# How often a run waiting for a slot looks again: runs last 0.3 s and more.
POLL_SECONDS = 0.02


def create(folder, count):
    """Make the folder of `count` slots (any older ones beyond it go)."""
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        number = name[len(PREFIX):]
        if name.startswith(PREFIX) and (not number.isdigit() or int(number) >= count):
            os.remove(os.path.join(folder, name))
    for i in range(count):
        open(os.path.join(folder, "%s%d" % (PREFIX, i)), "a").close()
    return folder


def slot_files(folder):
    files = [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith(PREFIX)]
    if not files:
        raise OSError("%s=%s has no slot files (%s0...)" % (SLOTS_ENV, folder, PREFIX))
    return files


def try_take(files):
    """The open, locked file of a free slot, or None if all are taken."""
    for path in random.sample(files, len(files)):
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            os.close(fd)
    return None


@contextlib.contextmanager
def emulator_slot():
    """Hold a slot for the block's time (waiting for one as long as it
    takes); no-op where there is no limit or the caller already holds one
    for this process. Yields the seconds spent waiting."""
    folder = os.environ.get(SLOTS_ENV)
    if not folder or os.environ.get(HELD_ENV):
        yield 0.0
        return
    files = slot_files(folder)
    start = time.monotonic()
    fd = try_take(files)
    while fd is None:
        time.sleep(POLL_SECONDS * random.uniform(0.5, 1.5))
        fd = try_take(files)
    try:
        yield time.monotonic() - start
    finally:
        os.close(fd)   # closing the last descriptor drops the lock


def held_env(env=None):
    """The environment for a runner started inside emulator_slot(): it
    runs in the caller's slot and takes none of its own."""
    env = dict(os.environ if env is None else env)
    if env.get(SLOTS_ENV):
        env[HELD_ENV] = "1"
    return env
