#!/usr/bin/env python3
"""check_labs.py: `make check-labs`. Proves, for every lab N, that the student
tree of lab N (grading/skeleton.py)

  - builds,
  - passes every test of the labs before N (their code is there, solved),
  - FAILS every test of lab N, hidden ones included: a test that passes on
    its own lab's skeleton tests nothing the student writes, and is named.

Each lab's tree is made in a temporary directory and graded with the tree's
own grader (grading/grade.py), the one students run. The build of the
guest OS, the loader and the test kernels is copied from this tree first
(the skeleton leaves those sources unchanged, with their times), so only the
hypervisor is rebuilt. Ends with "check-labs: N passed, M failed", where each
test of each lab is one check.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import labspec  # noqa: E402
import studenttree  # noqa: E402
from grade import first_error  # noqa: E402
import skeleton  # noqa: E402

# Built pieces that no lab changes: copied into each skeleton tree.
REUSED_BUILD = ("guestos", "loader", "tests")
TEST_KERNELS = ("build/tests/mbinfo.elf", "build/tests/badguest.elf")


def prepare(lab, dest):
    """Write and build the skeleton of `lab` in dest; None, or why it failed."""
    skeleton.make_skeleton(ROOT, dest, lab)
    # Grade with every test, hidden ones too: copy the full declarations back.
    for n, path in labspec.lab_paths(ROOT).items():
        if n <= lab:
            shutil.copy2(path, os.path.join(dest, os.path.relpath(path, ROOT)))
    for part in REUSED_BUILD:
        src = os.path.join(ROOT, "build", part)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, "build", part), symlinks=True)
    p = subprocess.run(["make", "--no-print-directory", "all"] + list(TEST_KERNELS), cwd=dest,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return "the lab %d skeleton does not build: %s" % (lab, first_error(p.stdout))
    return None


def grade(lab, dest, jobs):
    """{test name: passed?} for every test of labs 1..lab, graded in dest."""
    results = os.path.join(dest, "build", "check-labs.json")
    argv = [sys.executable, os.path.join(dest, "grading", "grade.py"), "--root", dest, "--no-build",
            "--quiet", "--color", "never", "-j", str(jobs), "--results", results,
            "--junit", os.path.join(dest, "build", "check-labs.xml")]
    for n in labspec.lab_paths(ROOT):
        if n <= lab:
            argv += ["--lab", str(n)]
    subprocess.run(argv, cwd=dest, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(results) as f:
        tests = json.load(f)["tests"]
    return {t["name"].split(" ")[0]: t["status"] == "passed" for t in tests}


def check_lab(lab, jobs, keep):
    """[(check name, ok, why)] for one lab."""
    dest = tempfile.mkdtemp(prefix="hvlab-check-lab%d-" % lab)
    try:
        problem = prepare(lab, dest)
        tests = [t for t in labspec.load_all(ROOT) if t.lab <= lab]
        if problem:
            return [("lab%d skeleton builds" % lab, False, problem)]
        passed = grade(lab, dest, jobs)
        checks = [("lab%d skeleton builds" % lab, True, "")]
        for t in tests:
            got = passed.get(t.full_name)
            if got is None:
                checks.append((t.full_name, False, "the grader gave no result for it"))
            elif t.lab < lab:
                checks.append((t.full_name, got, "" if got else
                               "fails on the lab %d skeleton, where lab %d is solved" % (lab, t.lab)))
            else:
                checks.append((t.full_name, not got, "" if not got else
                               "PASSES on its own lab's skeleton: it tests nothing the student writes"))
        return checks
    finally:
        if keep:
            print("check-labs: kept %s" % dest)
        else:
            shutil.rmtree(dest, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--lab", type=int, action="append", help="only this lab (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the skeleton trees")
    a = ap.parse_args(argv)
    mine = studenttree.student_lab(ROOT)
    if mine is not None:
        # Its skeletons would be made from a tree whose LAB markers are gone:
        # every test would "pass on its own skeleton", which says nothing.
        print("check-labs: a check of the reference solution, not of this lab %d student tree (its LAB "
              "markers are gone): nothing to check here" % mine)
        print("check-labs: 0 passed, 0 failed")
        return 0
    good = bad = 0
    for lab in labspec.lab_paths(ROOT):
        if a.lab and lab not in a.lab:
            continue
        for name, ok, why in check_lab(lab, a.jobs, a.keep):
            if ok:
                good += 1
                print("ok   lab %d skeleton: %s" % (lab, name))
            else:
                bad += 1
                print("FAIL lab %d skeleton: %s: %s" % (lab, name, why))
    print("check-labs: %d passed, %d failed" % (good, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
