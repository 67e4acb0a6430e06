"""sandbox.py: a submission's build and test runs, isolated.

A submission's code runs twice on the grading machine: its make rules and
compiler during the build, and (inside the emulator) during the tests.
Whatever it starts must not write to the grading source, to another
submission, or to the results, and must be gone when its grading ends. So
every build and test run goes through wrap(), which puts it:

  - in bubblewrap (Debian's `bwrap`, tools/deps.sh installs it) when that
    works here: a read-only view of the whole machine, a private /tmp (the
    other submissions' trees and the class's grading source are out of
    sight), write access only to the paths the grader names (the tree's
    build/ folder and this submission's logs), the lab's tests.toml with its
    hidden tests replaced by a copy without them, and a PID namespace that
    dies with the grader (--die-with-parent, --unshare-pid): a daemon that
    double-forks dies with it;
  - else, as root (Gradescope runs the grader as root, in a Docker container
    that may not allow bubblewrap: it needs CAP_SYS_ADMIN there), as a user
    id of its own, fresh for every run, which may write only the folders
    named (through a group) and whose every process is killed when the run
    ends. Weaker than bubblewrap: it can read what any user may read, hidden
    tests included (the build log's withholding in grade.py still applies);
  - else (not root, no bubblewrap: a CI runner that forbids user
    namespaces) in a session of its own, with a token in its environment by
    which contain.py finds and kills whatever it left behind; it may write
    wherever the grader may. Weakest: a daemon that clears its environment
    escapes.
Whenever bubblewrap is not used, every result says so and why (a note).

grading/contain.py runs inside and reports what it killed on a pipe.
HVLAB_SANDBOX=none turns isolation off (for debugging the grader itself).
"""
import functools
import os
import secrets
import shutil
import subprocess
import sys
import uuid

# The user ids a run gets when the grader is root without bubblewrap: far
# above any account's, so that no other process has one.
UID_BASE, UID_SPAN = 200000, 60000
GID = 65534     # nogroup: owns what the runs may write

GRADING = os.path.dirname(os.path.abspath(__file__))
CONTAIN = os.path.join(GRADING, "contain.py")


@functools.lru_cache(maxsize=None)
def mode():
    """("bwrap", ""), or ("user" or "session", why bubblewrap is not used).
    HVLAB_SANDBOX=none: "session"; =user: "user" (to test that mode, as root)."""
    forced = os.environ.get("HVLAB_SANDBOX")
    if forced == "none":
        return "session", "isolation turned off (HVLAB_SANDBOX=none)"
    fallback = "user" if os.geteuid() == 0 else "session"
    if forced == "user" and fallback == "user":
        return "user", "bubblewrap not used (HVLAB_SANDBOX=user)"
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return fallback, "bubblewrap (bwrap) is not installed: run tools/deps.sh run"
    try:
        r = subprocess.run(bwrap_argv(bwrap, [], "/") + ["true"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return fallback, "bubblewrap cannot run: %s" % e
    if r.returncode != 0:
        return fallback, "bubblewrap cannot run here: %s" % r.stdout.decode(errors="replace").strip()[:200]
    return "bwrap", ""


def bwrap_argv(bwrap, writable, cwd, masks=(), readable=(), devices=()):
    argv = [bwrap, "--die-with-parent", "--unshare-pid", "--new-session",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--setenv", "HVLAB_SANDBOX_NS", "1"]
    # The private /dev has none of the host's devices but those named
    # (/dev/kvm, for a run under QEMU with KVM).
    for dev in devices:
        if os.path.exists(dev):
            argv += ["--dev-bind", dev, dev]
    # A path under /tmp vanished with the private /tmp: bring back what the
    # command reads (its tree and contain.py's folder, read-only) and what
    # it writes.
    for path in dict.fromkeys([cwd, GRADING] + list(readable)):
        if path.startswith("/tmp/"):
            argv += ["--ro-bind", path, path]
    for path in writable:
        argv += ["--bind", path, path]
    for hidden_free, target in masks:
        argv += ["--ro-bind", hidden_free, target]
    return argv + ["--chdir", cwd]


def wrap(argv, cwd, writable, masks=(), fsize=None, report_fd=None, readable=(), devices=()):
    """The command line that runs argv isolated. writable: the folders it
    may write (they must exist); masks: (file, path) pairs, the file shown
    in place of path; fsize: the largest file it may write; report_fd: the
    pipe contain.py reports the processes it killed on; readable: folders
    it reads besides cwd (the instructor's source: its runner); devices:
    the host's device files it may use (bubblewrap hides the others)."""
    inner = [sys.executable] + no_site() + [CONTAIN, "--token", uuid.uuid4().hex]
    if fsize:
        inner += ["--fsize", str(fsize)]
    if report_fd is not None:
        inner += ["--report-fd", str(report_fd)]
    kind, _ = mode()
    if kind == "user":
        inner += ["--uid", str(UID_BASE + secrets.randbelow(UID_SPAN)), "--gid", str(GID)]
        inner += [x for d in writable for x in ("--writable", d)]
        argv = [system_python() if a == sys.executable else a for a in argv]
    inner += ["--"] + list(argv)
    if kind == "bwrap":
        return bwrap_argv(shutil.which("bwrap"), writable, cwd, masks, readable, devices) + inner
    return inner


def no_site():
    """The interpreter's options for the grader's own scripts run in the
    sandbox (contain.py, the runner): -S, without the site module (every
    .pth file of site-packages, which costs more than the rest of their
    start: they need the standard library only), except when the runs are
    another user's (test_sandbox's UserFallback: no test ran so)."""
    return [] if mode()[0] == "user" else ["-S"]


def system_python():
    """A Python the run's own user id can execute: this one may live in
    root's home (pyenv), which no other user may enter."""
    for path in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(path, os.X_OK):
            return path
    return sys.executable


def note():
    """What the results should say about isolation here (None: it is whole)."""
    kind, why = mode()
    if kind == "user":
        return "builds and tests ran as an unprivileged user, without bubblewrap's isolation: %s" % why
    return None if kind == "bwrap" else "the grader ran without bubblewrap's isolation: %s" % why
