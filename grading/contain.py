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
  - run as root without bubblewrap (--uid: Gradescope's containers may not
    allow it), COMMAND runs as a user id of its own, which no other process
    has and which it cannot leave: every process with that id goes. Only
    the --writable folders are made writable to it (through the group
    --gid, setgid folders and umask 002, so that the next run's user id can
    write what this one made);
  - else the processes whose environment carries this run's token
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
import tempfile
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


def uids(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return [int(x) for x in line.split()[1:]]
    except (OSError, ValueError):
        pass
    return []


def zombie(pid):
    """Dead already, waiting for its parent to reap it: nothing to kill."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def leftovers(token, in_namespace, uid=None):
    return [p for p in candidates(token, in_namespace, uid) if not zombie(p)]


def candidates(token, in_namespace, uid):
    me = os.getpid()
    if in_namespace:
        return [p for p in pids() if p not in (1, me)]
    if uid is not None:
        return [p for p in pids() if p != me and uid in uids(p)]
    return [p for p in pids() if p != me and has_token(p, token)]


def share(folders, gid):
    """Make folders (and what is in them) writable to the group gid, and
    keep it so for what is made in them (setgid folders)."""
    for top in folders:
        for d, dirs, files in os.walk(top):
            for path in [d] + [os.path.join(d, f) for f in files]:
                try:
                    if os.path.islink(path):
                        continue
                    os.chown(path, -1, gid)
                    mode = os.stat(path).st_mode & 0o7777
                    os.chmod(path, mode | 0o060 | (0o2010 if path == d else 0))
                except OSError:
                    pass


def reachable(paths):
    """Let another user walk down to paths: a temporary folder is made 0700.
    Only below the temporary folder (the grader's own trees): never open up
    a home directory."""
    tmp = tempfile.gettempdir()
    for path in paths:
        d = os.path.abspath(path)
        while d.startswith(tmp + os.sep):
            try:
                st = os.stat(d)
                if not st.st_mode & 0o001:
                    os.chmod(d, (st.st_mode & 0o7777) | 0o005)
            except OSError:
                pass
            d = os.path.dirname(d)


def kill_all(token, in_namespace, uid=None):
    """SIGKILL every leftover, again until none is left (a process may fork
    while the first round runs). Returns the names of those killed."""
    names = {}
    for _ in range(50):
        found = leftovers(token, in_namespace, uid)
        if not found:
            break
        for p in found:
            name = comm(p)
            try:
                os.kill(p, signal.SIGKILL)
                names.setdefault(p, name)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)
    return list(names.values())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--report-fd", type=int)
    p.add_argument("--fsize", type=int, help="the largest file COMMAND may write (RLIMIT_FSIZE)")
    p.add_argument("--token", default=str(os.getpid()))
    p.add_argument("--uid", type=int, help="run COMMAND as this user id (we are root)")
    p.add_argument("--gid", type=int, default=65534, help="and this group, which may write --writable")
    p.add_argument("--writable", action="append", default=[], help="a folder COMMAND may write")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    argv = a.command[1:] if a.command[:1] == ["--"] else a.command
    in_namespace = os.environ.get("HVLAB_SANDBOX_NS") == "1"   # set by sandbox.py's bwrap
    env = dict(os.environ, HVLAB_CONTAIN=a.token)
    if a.uid is not None:
        share(a.writable, a.gid)
        reachable([os.getcwd()] + a.writable + argv[:2])
        env["HOME"] = "/tmp"

    def limits():
        if a.fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (a.fsize, a.fsize))
        if a.uid is not None:
            os.setgroups([])
            os.setgid(a.gid)
            os.setuid(a.uid)
            os.umask(0o002)

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
    killed = kill_all(a.token, in_namespace, a.uid)
    if a.report_fd is not None:
        try:
            os.write(a.report_fd, (json.dumps({"killed": killed}) + "\n").encode())
        except OSError:
            pass
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
