#!/usr/bin/env python3
"""check_bugs.py: wrong work loses points (`make check-bugs`).

Each lab keeps planted bugs in labs/labN/bugs.toml: small wrong versions of
its solution, of the kind students write (a CPUID that hides nothing, an
MSR read that should have been refused, a UART that sends its divisor as a
character). For each, this script copies the reference tree (its build
products too, so that only the changed file is compiled again), plants the
bug inside one of the lab's LAB regions, and grades the tests the bug
declares with the real grader (grading/grade.py, the tree its own source).
Every test it `fails` must fail, and not because the build broke, with the
reason `why` if it gives one; every test it `keeps` must still pass (the
bug is narrow: the rest of the solution is right). The bug is then proven
to cost points, as check-labs proves a skeleton does.

    grading/check_bugs.py [--lab N]... [-k NAME] [-j JOBS]

Format of labs/labN/bugs.toml (kept out of student trees: its `find`
patterns quote the solution):

    [[bug]]
    name = "cpuid-no-hypervisor-bit"
    description = "CPUID leaf 1 does not set the hypervisor bit"
    file = "hv/exit/exit_cpuid.c"
    find = 'regex'          # must match exactly once, inside a LAB N region
    replace = 'text'        # re.sub replacement (\\1 for groups)
    fails = ["lab1-cpuid"]  # tests that must fail with the bug planted
    keeps = ["lab1-launch"] # optional: tests that must still pass
    why = 'regex'           # optional: what the failed tests' story must say

Exit status: 0 every bug loses points, 1 otherwise, 2 bad declarations.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor

GRADING = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(GRADING)
sys.path.insert(0, GRADING)
import kitbuild  # noqa: E402
import labspec  # noqa: E402
import skeleton  # noqa: E402

# A planted bug that hangs its guest costs at most this much per test.
TEST_TIMEOUT = 60


class BugError(Exception):
    """A declaration that cannot be planted, with the bug named."""


def load(root, labs=None):
    """Every declared bug of the labs asked for, as dicts with "lab"."""
    bugs = []
    for lab in sorted(labs or lab_numbers(root)):
        path = os.path.join(root, "labs", "lab%d" % lab, "bugs.toml")
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            decl = tomllib.load(f)
        for b in decl.get("bug", []):
            missing = [k for k in ("name", "file", "find", "replace", "fails") if k not in b]
            if missing:
                raise BugError("%s: bug %s lacks %s" % (path, b.get("name", "?"), ", ".join(missing)))
            bugs.append(dict(b, lab=lab))
    return bugs


def lab_numbers(root):
    return [int(m.group(1)) for m in (re.fullmatch(r"lab(\d+)", d) for d in os.listdir(os.path.join(root, "labs")))
            if m]


def plant(text, bug):
    """text with the bug planted; raises BugError unless `find` matches
    exactly once, inside a LAB region of the bug's lab."""
    found = list(re.finditer(bug["find"], text, re.M))
    if len(found) != 1:
        raise BugError("bug %s: `find` matches %d times in %s (once wanted)" % (bug["name"], len(found), bug["file"]))
    m = found[0]
    inside = [r for r in skeleton.regions(text, bug["file"]) if r[0] == bug["lab"] and r[3] <= m.start()
              and m.end() <= r[4]]
    if not inside:
        raise BugError("bug %s: `find` matches outside every LAB %d region of %s: not the student's code"
                       % (bug["name"], bug["lab"], bug["file"]))
    return text[:m.start()] + m.expand(bug["replace"]) + text[m.end():]


def copy_tree(root, dest):
    """The tracked files and the images the tests boot, times kept: the
    kit's (kitbuild.py) and the hypervisor's, whose build then compiles
    only what the bug changes."""
    for rel in skeleton.tracked_files(root):
        src = os.path.join(root, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel))
    kitbuild.copy(root, dest)
    kitbuild.copy_hypervisor(root, dest)


def check(root, bug, names):
    """(ok, one line): does the planted bug fail every test it names?"""
    keeps = bug.get("keeps", [])
    unknown = [n for n in bug["fails"] + keeps if n not in names]
    if unknown or not bug["fails"]:
        return False, "declares %s: no such test" % (", ".join(unknown) or "no test")
    with tempfile.TemporaryDirectory(prefix="hvlab-bug-") as tmp:
        tree = os.path.join(tmp, "tree")
        copy_tree(root, tree)
        path = os.path.join(tree, bug["file"])
        with open(path) as f:
            planted = plant(f.read(), bug)
        with open(path, "w") as f:
            f.write(planted)
        results = os.path.join(tmp, "results.json")
        argv = [sys.executable, os.path.join(tree, "grading", "grade.py"), "--root", tree, "--jobs", "1",
                "--timeout", str(TEST_TIMEOUT), "--quiet", "--show-hidden", "--results", results,
                "--junit", os.path.join(tmp, "junit.xml"), "--logs", os.path.join(tmp, "logs")]
        for n in bug["fails"] + keeps:
            argv += ["--test", n]
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             stdin=subprocess.DEVNULL)
        try:
            with open(results) as f:
                tests = json.load(f)["tests"]
        except (OSError, ValueError, KeyError):
            return False, "the grader wrote no results: %s" % out.stdout.strip()[-300:]
    broken = [t for t in tests if "the build failed" in t["output"]]
    if broken:
        return False, "the bug breaks the build (plant one that compiles): %s" % broken[0]["output"].split(
            "\n")[2][:200]
    failing = [t for t in tests if t["name"] in bug["fails"]]
    kept = [t["name"] for t in failing if t["status"] == "passed"]
    if kept:
        return False, "still passes %s: the tests miss this bug" % ", ".join(kept)
    lost = [t["name"] for t in tests if t["name"] in keeps and t["status"] != "passed"]
    if lost:
        return False, "also fails %s, which it should keep: the bug is not the one declared" % ", ".join(lost)
    unexplained = [t["name"] for t in failing if bug.get("why") and not re.search(bug["why"], t["output"])]
    if unexplained:
        return False, "%s failed without saying /%s/" % (", ".join(unexplained), bug["why"])
    return True, "loses %s (%g points)" % (", ".join(t["name"] for t in failing),
                                           sum(t["max_score"] for t in failing))


def main(argv=None):
    p = argparse.ArgumentParser(prog="check_bugs.py", description="Prove that each planted bug loses points.")
    p.add_argument("--lab", type=int, action="append", help="only this lab's bugs (repeatable)")
    p.add_argument("-k", metavar="NAME", help="only the bugs whose name contains NAME")
    p.add_argument("-j", "--jobs", type=int, default=2, help="bugs checked at once (default %(default)s)")
    p.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    try:
        bugs = [b for b in load(a.root, a.lab) if not a.k or a.k in b["name"]]
    except (BugError, tomllib.TOMLDecodeError, OSError) as e:
        print("check-bugs: error: %s" % e, file=sys.stderr)
        return 2
    if not bugs:
        print("check-bugs: no planted bugs here (labs/labN/bugs.toml is the kit's, not in a student tree)")
        print("check-bugs: 0 passed, 0 failed")
        return 0
    names = {t.full_name for t in labspec.load_all(a.root)}

    def one(bug):
        try:
            return bug, check(a.root, bug, names)
        except BugError as e:
            return bug, (False, str(e))

    passed = failed = 0
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for bug, (ok, line) in pool.map(one, bugs):
            print("%s lab %d bug %s: %s" % ("ok  " if ok else "FAIL", bug["lab"], bug["name"], line), flush=True)
            passed, failed = passed + ok, failed + (not ok)
    print("check-bugs: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
