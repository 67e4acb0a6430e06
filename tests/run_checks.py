#!/usr/bin/env python3
"""run_checks.py: `make check`. Runs every test suite of the kit in turn, shows
their output, and ends with one line: "check: N passed, M failed".

A suite that crashes before printing its own summary counts as one failure.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
sys.path.insert(0, os.path.join(ROOT, "grading"))
import studenttree  # noqa: E402

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


def run_suite(name, cmd, kind):
    print("== %s: %s" % (name, " ".join(cmd)), flush=True)
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    for line in p.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        out.append(line)
    p.wait()
    text = "".join(out)
    counts = read_plain(text) if kind == "plain" else read_unittest(text)
    if counts is None:
        print("== %s: no summary (exit status %d): counted as one failure" % (name, p.returncode))
        return 0, 1
    passed, failed = counts
    if p.returncode != 0 and failed == 0:
        print("== %s: exit status %d with no failed test: counted as one failure" % (name, p.returncode))
        failed = 1
    return passed, failed


def compile_python_once():
    """Every suite starts Python thousands of times (tools/hvrun for each
    run, grade.py for each tree): each would compile the kit's modules
    again where bytecode is not written (PYTHONDONTWRITEBYTECODE). They keep
    it under build/pycache instead, out of the source tree, for all of them."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault("PYTHONPYCACHEPREFIX", os.path.join(ROOT, "build", "pycache"))


def main():
    compile_python_once()
    total_p = total_f = 0
    rows = []
    lab = studenttree.student_lab(ROOT)
    for name, cmd, kind in SUITES:
        if lab is not None and name in REFERENCE_ONLY:
            print("== %s: left out: %s, not this lab %d student tree" % (name, REFERENCE_ONLY[name], lab))
            continue
        start = time.monotonic()
        p, f = run_suite(name, cmd, kind)
        rows.append((name, p, f, time.monotonic() - start))
        total_p += p
        total_f += f
    print()
    # The minutes each suite took: where the time of `make check` goes.
    for name, p, f, seconds in rows:
        print("   %-12s %4d passed, %d failed  (%d s)" % (name, p, f, seconds))
    if lab is not None:
        print("check: the lab %d student tree: the tests of later labs and the reference's own checks "
              "are left out (the 'left out' lines above name them)" % lab)
    print("check: %d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
