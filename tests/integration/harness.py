"""harness.py: runs integration cases through tools/hvrun, in parallel.

A case boots a real image in Bochs or QEMU and checks the runner's exit status
and the console lines (the console protocol in README.md). Cases run in
parallel, which also proves that runs share no file and no port.
Logs: build/tests/integration/<case>.log (console) and <case>.runner.
"""
import os
import random
import re
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import judge  # noqa: E402
import studenttree  # noqa: E402
from runner import slots  # noqa: E402
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
HV = os.environ.get("HV_ELF", os.path.join(BUILD, "hv", "hv.elf"))
GUEST = os.environ.get("GUEST_KERNEL", os.path.join(BUILD, "guestos", "kernel.elf"))
# The hostile guest kernel (tests/kernels/hostile): one attack per boot.
HOSTILE = os.environ.get("HOSTILE_ELF", os.path.join(BUILD, "tests", "hostile.elf"))
MBINFO = os.environ.get("MBINFO_ELF", os.path.join(BUILD, "tests", "mbinfo.elf"))
MBINFO_KLUDGE = os.environ.get("MBINFO_KLUDGE_ELF", os.path.join(BUILD, "tests", "mbinfo-kludge.elf"))
HVRUN = os.path.join(ROOT, "tools", "hvrun")
# Run by this Python, not through its #! line: where `python3` is a shim
# (pyenv), each run would pay for the shim's start (0.2 s of a 0.6 s run).
# -S: the runner uses the standard library only; the site-packages' start-up
# hooks (.pth files) cost thousands of runs 0.03 s of CPU each.
HVRUN_ARGV = [sys.executable, "-S", HVRUN]
OUT = os.path.join(BUILD, "tests", "integration")
DATA = os.path.join(BUILD, "tests", "data")

# Runner exit statuses (tools/runner/outcome.py).
OK, FAIL, USAGE, PANIC, TRIPLE, TIMEOUT, DIED = 0, 1, 2, 3, 4, 5, 6


def data_file(name, size, seed):
    """A deterministic pseudo-random file (a module of known contents)."""
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, name)
    if not os.path.exists(path) or os.path.getsize(path) != size:
        with open(path + ".tmp", "wb") as f:
            f.write(random.Random(seed).randbytes(size))
        os.replace(path + ".tmp", path)
    return path


def crc(path):
    with open(path, "rb") as f:
        return "%08x" % zlib.crc32(f.read())


class Case:
    """One run: hvrun arguments, the exit status it must end with, and checks
    on what it printed (regexes that must / must not match the console or the
    runner's own messages, and an optional function returning an error)."""

    def __init__(self, name, argv, status, must=(), must_not=(), runner_must=(), check=None,
                 timeout=60, env=None):
        self.name, self.argv, self.status = name, argv, status
        self.must, self.must_not, self.runner_must = must, must_not, runner_must
        self.check, self.timeout, self.env = check, timeout, env
        self.lab = lab_of_run(argv)

    def run(self):
        log = os.path.join(OUT, self.name + ".log")
        if os.path.exists(log):
            os.remove(log)
        argv = HVRUN_ARGV + ["--quiet", "--log", log, "--timeout", str(self.timeout)] + self.argv
        env = slots.held_env(dict(os.environ, **(self.env or {})))
        with slots.emulator_slot():
            start = time.monotonic()
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, timeout=self.timeout + 120)
            seconds = time.monotonic() - start
        console = open(log).read() if os.path.exists(log) else ""
        with open(os.path.join(OUT, self.name + ".runner"), "w") as f:
            f.write(" ".join(argv) + "\n" + p.stdout + p.stderr)
        return self.judge(p.returncode, console, p.stderr), seconds, log

    def judge(self, status, console, runner):
        # Status, must and must_not are judged as the autograder judges them.
        errors = judge.verdict(self.status, self.must, self.must_not, status, console, runner)
        for pat in self.runner_must:
            if not re.search(pat, runner, re.M):
                errors.append("runner output lacks /%s/ (it said: %s)" % (pat, last_line(runner)))
        if self.check and not errors:
            err = self.check(console)
            if err:
                errors.append(err)
        return errors


def console_of(argv, timeout):
    """The console of one more run (hvrun arguments), for checks that
    compare two runs: the guest on the bare CPU, for instance."""
    with slots.emulator_slot():
        return subprocess.run(HVRUN_ARGV + ["--quiet", "--log", "/dev/stdout", "--timeout", str(timeout)] + argv,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=slots.held_env(), timeout=timeout + 120).stdout


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else "nothing"


def lab_of_run(argv):
    """The lab whose code a run needs: none (0) without the hypervisor,
    else the lab of its options (grading/studenttree.py)."""
    if HV not in argv:
        return 0
    return studenttree.lab_of_options(argv[argv.index(HV) + 1:])


def reached_cases(cases, what):
    """The cases this tree can run: in a student tree, those of the labs it
    has reached; a line names the others."""
    lab = studenttree.student_lab(ROOT)
    later = [c.name for c in cases if lab is not None and c.lab > lab]
    note = studenttree.left_out_note(ROOT, what, later)
    if note:
        print(note, flush=True)
    return [c for c in cases if c.name not in later]


def run_all(cases, jobs):
    os.makedirs(OUT, exist_ok=True)
    passed = failed = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [(c, pool.submit(c.run)) for c in cases]
        for case, fut in futures:
            try:
                errors, seconds, log = fut.result()
            except Exception as e:  # a test harness problem is a failure too
                errors, seconds, log = ["harness error: %r" % e], 0, "-"
            if errors:
                failed += 1
                print("FAIL %s (%.1f s): %s\n     log: %s" % (case.name, seconds, "; ".join(errors), log),
                      flush=True)
            else:
                passed += 1
                print("ok   %s (%.1f s)" % (case.name, seconds), flush=True)
    return passed, failed
