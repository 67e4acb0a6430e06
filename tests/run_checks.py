#!/usr/bin/env python3
"""run_checks.py: `make check`. Runs every test suite of the kit, several at
once, prints each suite's output whole when it ends, and ends with the time
of each suite, the lines that name its failures (again: a log's tail is
often all a reader sees), and one line: "check: N passed, M failed".

    tests/run_checks.py [-j SUITES] [--only NAME]...

Suites run SUITES at a time (default: as many as cores), the longest first,
so that one suite's serial part (a build, Python starting, its last run)
leaves its core to another's. Alone, a suite kept 1.2 of 2 cores busy on
average (CI: 35 CPU-minutes in 29): two at once fill both; a third would
only make each slower, nearer its wall-clock limits. Their emulator runs
share the machine's cores through slots (tools/runner/slots.py): never more
Bochs or QEMU at once than cores, whatever the suites' own parallelism, so
a run is never slowed down to its timeout by another suite's.

A suite that crashes before printing its own summary counts as one failure.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
sys.path.insert(0, os.path.join(ROOT, "grading"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import studenttree  # noqa: E402
from runner import slots  # noqa: E402

SUITES = [
    # (name, command, how to read its summary)
    ("unit", ["make", "--no-print-directory", "unit-check"], "plain"),
    # Every parser of guest or user bytes, a few seconds each under libFuzzer.
    ("fuzz", ["make", "--no-print-directory", "fuzz-check"], "plain"),
    ("tools", [PY, "-m", "unittest", "discover", "-s", "tests/tools", "-p", "test_*.py"], "unittest"),
    # The course site (make handouts) rendered in headless Chromium, page by page.
    ("site", ["make", "--no-print-directory", "site-check"], "plain"),
    ("integration", [PY, "tests/integration/boot_tests.py"], "plain"),
    # The hostile guest kernel: every attack in every mode, classified.
    ("hostile", [PY, "tests/integration/hostile.py"], "plain"),
    # Its modules each wait on Bochs, one core each: two at a time.
    ("grading", [PY, "tests/unittest_parallel.py", "tests/grading"], "unittest"),
    # Every lab's skeleton builds, passes the earlier labs, fails its own tests.
    ("labs", [PY, "grading/check_labs.py"], "plain"),
    # Every planted bug (labs/labN/bugs.toml) loses points.
    ("bugs", [PY, "grading/check_bugs.py"], "plain"),
    # Each handout step's tree passes exactly the tests of its steps.
    ("steps", [PY, "grading/check_steps.py"], "plain"),
]
# Suites that check the reference itself, and why a student tree, which has
# lost the LAB markers, the planted bugs and the hidden tests they start
# from, leaves them out.
REFERENCE_ONLY = {"labs": "it checks the reference solution",
                  "bugs": "it checks the reference solution",
                  "steps": "it checks the reference solution",
                  "grading": "it checks the autograder with the instructor's hidden tests"}

PLAIN_RE = re.compile(r"^[\w-]+: (\d+) passed, (\d+) failed", re.M)
# A failed test's own line, in every suite's way of saying it: the plain
# suites' "FAIL name ...", unittest's "FAIL: test (module)" and "ERROR: ...".
FAILURE_RE = re.compile(r"^(?:FAIL|ERROR)\b.*$", re.M)
# The failures named again at the very end, where a CI log's tail shows them;
# each cut to this many characters, at most this many a suite.
FAILURE_WIDTH, FAILURES_SHOWN = 300, 20


def read_plain(out):
    m = list(PLAIN_RE.finditer(out))
    return (int(m[-1].group(1)), int(m[-1].group(2))) if m else None


def read_unittest(out):
    """(passed, failed) from unittest's last summary ("Ran N tests", then
    OK or FAILED (...)): the last, since a parallel run prints each
    module's own before its total."""
    ran = list(re.finditer(r"^Ran (\d+) tests?", out, re.M))
    if not ran:
        return None
    total, tail = int(ran[-1].group(1)), out[ran[-1].end():]
    bad = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", tail))
    skipped = sum(int(n) for n in re.findall(r"skipped=(\d+)", tail))
    return total - bad - skipped, bad


# Suites that run make in this tree (tools: some of its tests do): one at a
# time, in this order, so that no two makes build the same file at once.
# Together they are one queue entry, run beside the others.
MAKE_LANE = ("unit", "fuzz", "tools", "site")
# Each suite's seconds in a clean CI run (2 cores, two suites side by side):
# the longest start first. A guess for ordering only; nothing depends on it.
ESTIMATED_SECONDS = {"unit": 6, "fuzz": 102, "tools": 85, "site": 7, "integration": 719, "hostile": 878,
                     "grading": 736, "labs": 834, "bugs": 589, "steps": 383}


def run_command(cmd):
    """(output, exit status, CPU seconds of it and every process under it)."""
    try:
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace")
    except OSError as e:
        return "%s: %s\n" % (cmd[0], e), 127, 0.0
    with p:
        text = p.stdout.read()
        _, wait_status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(wait_status)
    return text, p.returncode, usage.ru_utime + usage.ru_stime


def failure_lines(text):
    """The lines of a suite's output that name a failed test."""
    return [m.group(0) for m in FAILURE_RE.finditer(text)]


def run_suite(name, cmd, kind):
    """Run one suite; returns (passed, failed, its output with the suite's
    header and any note on how it was counted, its CPU seconds)."""
    out = ["== %s: %s\n" % (name, " ".join(cmd))]
    text, status, cpu = run_command(cmd)
    out.append(text if not text or text.endswith("\n") else text + "\n")
    counts = read_plain(text) if kind == "plain" else read_unittest(text)
    if counts is None:
        out.append("== %s: no summary (exit status %d): counted as one failure\n" % (name, status))
        return 0, 1, "".join(out), cpu
    passed, failed = counts
    if status != 0 and failed == 0:
        out.append("== %s: exit status %d with no failed test: counted as one failure\n" % (name, status))
        failed = 1
    return passed, failed, "".join(out), cpu


def compile_python_once():
    """Every suite starts Python thousands of times (tools/hvrun for each
    run, grade.py for each tree): each would compile the kit's modules
    again where bytecode is not written (PYTHONDONTWRITEBYTECODE). They keep
    it under build/pycache instead, out of the source tree, for all of them."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault("PYTHONPYCACHEPREFIX", os.path.join(ROOT, "build", "pycache"))


def python_without_shim():
    """Builds, make targets and #!/usr/bin/env scripts start `python3` from
    PATH thousands of times. Where that is a version manager's shim (pyenv:
    bash scripts that find the version, 0.5 s of CPU a start against 0.05 s),
    this interpreter's own folder goes first, so that they find the very
    interpreter the shim would have started."""
    folder = os.path.dirname(sys.executable)
    found = shutil.which("python3")
    mine = os.path.join(folder, "python3")
    if found and os.path.exists(mine) and os.path.realpath(found) != os.path.realpath(mine):
        os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")


def share_cores(count):
    """Every emulator run of every suite (and of the trees they copy) takes
    one of `count` slots: the suites' runs together never outnumber them."""
    if not os.environ.get(slots.SLOTS_ENV):
        os.environ[slots.SLOTS_ENV] = slots.create(os.path.join(ROOT, "build", "emulator-slots"), count)


def lanes(suites, lane=MAKE_LANE, estimate=ESTIMATED_SECONDS):
    """The queue: lists of suites, each run one after another, the lanes
    beside each other; the suites of `lane` form one; longest first."""
    grouped = [[s for s in suites if s[0] in lane]]
    grouped = [g for g in grouped if g] + [[s] for s in suites if s[0] not in lane]
    return sorted(grouped, key=lambda g: -sum(estimate.get(s[0], 60) for s in g))


def run_all(suites, jobs, lane=MAKE_LANE, estimate=ESTIMATED_SECONDS, log=None):
    """Run the suites, `jobs` lanes at once; print each one's output whole
    when it ends. Returns [(name, passed, failed, seconds, the lines naming
    its failures)] in `suites`' order."""
    done = {}
    print_lock = threading.Lock()

    def say(text):
        with print_lock:
            (log or sys.stdout).write(text)
            (log or sys.stdout).flush()

    def run_lane(group):
        for name, cmd, kind in group:
            say("-- %s: started\n" % name)
            start = time.monotonic()
            p, f, text, cpu = run_suite(name, cmd, kind)
            seconds = time.monotonic() - start
            done[name] = (name, p, f, seconds, failure_lines(text) if f else [])
            # CPU seconds: the suite's share of the machine, whatever ran beside it.
            say(text + "-- %s: %d passed, %d failed in %d s (%d s of CPU)\n" % (name, p, f, seconds, cpu))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for fut in [pool.submit(run_lane, g) for g in lanes(suites, lane, estimate)]:
            fut.result()
    return [done[name] for name, _, _ in suites]


def print_failures(rows):
    """Name every failure again below the table: a suite prints thousands of
    lines, and a log's tail may be all a reader of CI sees."""
    for name, _, f, _, lines in rows:
        if not f:
            continue
        print("check: %s's failures:" % name)
        for line in lines[:FAILURES_SHOWN]:
            print("   " + (line if len(line) <= FAILURE_WIDTH else line[:FAILURE_WIDTH - 3] + "..."))
        if len(lines) > FAILURES_SHOWN:
            print("   ... and %d more (the suite's output above has them all)" % (len(lines) - FAILURES_SHOWN))
        elif not lines:
            print("   (no line names one: the suite's output above says what went wrong)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cores = os.cpu_count() or 2
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("CHECK_JOBS", cores)),
                    help="suites at once (default: the cores; $CHECK_JOBS)")
    ap.add_argument("--only", action="append", choices=[s[0] for s in SUITES], help="only these suites")
    a = ap.parse_args(argv)
    compile_python_once()
    python_without_shim()
    share_cores(cores)
    lab = studenttree.student_lab(ROOT)
    suites = []
    for name, cmd, kind in SUITES:
        if a.only and name not in a.only:
            continue
        if lab is not None and name in REFERENCE_ONLY:
            print("== %s: left out: %s, not this lab %d student tree" % (name, REFERENCE_ONLY[name], lab))
            continue
        suites.append((name, cmd, kind))
    sys.stdout.flush()
    rows = run_all(suites, a.jobs)
    total_p = sum(r[1] for r in rows)
    total_f = sum(r[2] for r in rows)
    print()
    # The minutes each suite took: where the time of `make check` goes
    # (suites run side by side: together more than the whole).
    for name, p, f, seconds, _ in rows:
        print("   %-12s %4d passed, %d failed  (%d s)" % (name, p, f, seconds))
    print_failures(rows)
    if lab is not None:
        print("check: the lab %d student tree: the tests of later labs and the reference's own checks "
              "are left out (the 'left out' lines above name them)" % lab)
    print("check: %d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
