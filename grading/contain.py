#!/usr/bin/env python3
"""contain.py: run one command of a submission's grading and leave nothing behind.

    contain.py [--report-fd N] [--fsize BYTES] [--token T] -- COMMAND...

grading/sandbox.py starts it, inside bubblewrap's PID namespace when it can.
It runs COMMAND, waits for it, and then kills every process COMMAND left
behind: a build's daemon that double-forked and called setsid() is neither
in COMMAND's process group nor under it in the process tree, so both are
found another way:

  - in a PID namespace (bwrap --unshare-pid) every process but the namespace's
    init (pid 1) and this one is COMMAND's doing: all of them go;
  - without one, the processes whose environment carries this run's token
    (HVLAB_CONTAIN=T, which COMMAND's children inherit) go.

What it killed is written as one JSON line to --report-fd, a pipe the grader
reads and COMMAND never gets (close_fds), so a submission cannot forge or
hide the report. The exit status is COMMAND's.
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def has_token(pid, token):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return ("HVLAB_CONTAIN=%s" % token).encode() in f.read().split(b"\0")
    except OSError:
        return False


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def leftovers(token, in_namespace):
    me = os.getpid()
    if in_namespace:
        return [p for p in pids() if p not in (1, me)]
    return [p for p in pids() if p != me and has_token(p, token)]


def kill_all(token, in_namespace):
    """SIGKILL every leftover, again until none is left (a process may fork
    while the first round runs). Returns the names of those killed."""
    names = []
    for _ in range(50):
        found = leftovers(token, in_namespace)
        if not found:
            break
        for p in found:
            name = comm(p)
            try:
                os.kill(p, signal.SIGKILL)
                names.append(name)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)
    return names


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--report-fd", type=int)
    p.add_argument("--fsize", type=int, help="the largest file COMMAND may write (RLIMIT_FSIZE)")
    p.add_argument("--token", default=str(os.getpid()))
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    argv = a.command[1:] if a.command[:1] == ["--"] else a.command
    in_namespace = os.environ.get("HVLAB_SANDBOX_NS") == "1"   # set by sandbox.py's bwrap
    env = dict(os.environ, HVLAB_CONTAIN=a.token)

    def limits():
        if a.fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (a.fsize, a.fsize))

    # The grader stops us with SIGINT or SIGTERM (a timeout): pass it on, then clean up.
    child = subprocess.Popen(argv, env=env, preexec_fn=limits, close_fds=True)

    def forward(sig, _frame):
        try:
            child.send_signal(sig)
        except ProcessLookupError:
            pass
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    status = child.wait()
    killed = kill_all(a.token, in_namespace)
    if a.report_fd is not None:
        try:
            os.write(a.report_fd, (json.dumps({"killed": killed}) + "\n").encode())
        except OSError:
            pass
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
