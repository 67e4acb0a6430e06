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
  - else in a session of its own, with a token in its environment by which
    contain.py finds and kills whatever it left behind. That is weaker (no
    read-only view; a daemon that clears its environment escapes), and the
    grader says so in every result (a note): bubblewrap needs user
    namespaces or, as root, CAP_SYS_ADMIN, which some containers
    (Gradescope's Docker, a locked-down CI) do not give.

grading/contain.py runs inside and reports what it killed on a pipe.
HVLAB_SANDBOX=none turns isolation off (for debugging the grader itself).
"""
import functools
import os
import shutil
import subprocess
import sys
import uuid

GRADING = os.path.dirname(os.path.abspath(__file__))
CONTAIN = os.path.join(GRADING, "contain.py")


@functools.lru_cache(maxsize=None)
def mode():
    """("bwrap", "") when bubblewrap works here, else ("session", why not)."""
    if os.environ.get("HVLAB_SANDBOX") == "none":
        return "session", "isolation turned off (HVLAB_SANDBOX=none)"
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return "session", "bubblewrap (bwrap) is not installed: run tools/deps.sh run"
    try:
        r = subprocess.run(bwrap_argv(bwrap, [], "/") + ["true"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "session", "bubblewrap cannot run: %s" % e
    if r.returncode != 0:
        return "session", "bubblewrap cannot run here: %s" % r.stdout.decode(errors="replace").strip()[:200]
    return "bwrap", ""


def bwrap_argv(bwrap, writable, cwd, masks=()):
    argv = [bwrap, "--die-with-parent", "--unshare-pid", "--new-session",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--setenv", "HVLAB_SANDBOX_NS", "1"]
    # A path under /tmp vanished with the private /tmp: bring back what the
    # command reads (its tree, read-only) and what it writes.
    if cwd.startswith("/tmp/"):
        argv += ["--ro-bind", cwd, cwd]
    for path in writable:
        argv += ["--bind", path, path]
    for hidden_free, target in masks:
        argv += ["--ro-bind", hidden_free, target]
    return argv + ["--chdir", cwd]


def wrap(argv, cwd, writable, masks=(), fsize=None, report_fd=None):
    """The command line that runs argv isolated. writable: the folders it
    may write (they must exist); masks: (file, path) pairs, the file shown
    in place of path; fsize: the largest file it may write; report_fd: the
    pipe contain.py reports the processes it killed on."""
    inner = [sys.executable, CONTAIN, "--token", uuid.uuid4().hex]
    if fsize:
        inner += ["--fsize", str(fsize)]
    if report_fd is not None:
        inner += ["--report-fd", str(report_fd)]
    inner += ["--"] + list(argv)
    kind, _ = mode()
    if kind == "bwrap":
        return bwrap_argv(shutil.which("bwrap"), writable, cwd, masks) + inner
    return inner


def note():
    """What the results should say about isolation here (None: it is whole)."""
    kind, why = mode()
    return None if kind == "bwrap" else "the grader ran without bubblewrap's isolation: %s" % why
