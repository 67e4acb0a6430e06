#!/usr/bin/env python3
"""check_labs.py: `make check-labs`. Proves, for every lab N, that the student
tree of lab N (grading/skeleton.py)

  - builds,
  - passes every test of the labs before N (their code is there, solved):
    each lab's tests run on the tree of the lab after it, the one with the
    most stubs where they must pass; the later trees follow. A test of lab
    k that passes on lab k+1's tree never reached a stub of lab k+1 or
    later there; lab k+2's tree differs from it only inside lab k+1's
    regions (solved there, stubbed here), which the run never entered, and
    the emulator runs the same code the same way (Bochs's TSC counts
    instructions): it passes there too, and so on up. So the proof runs
    each test once, not once for every later lab (a cost that grew with
    the square of the labs),
  - FAILS every test of lab N, hidden ones included: a test that passes on
    its own lab's skeleton tests nothing the student writes, and is named.
  - runs there the commands the handouts name, each in a cheap mode
    (command_checks: make handin, make run, the one-test command, ...),
    so that each works in a student tree and means something.

Each lab's tree is made in a temporary directory and graded with the tree's
own grader (grading/grade.py), the one students run. The build of the
guest OS, the loader and the test kernels is copied from this tree first
(the skeleton leaves those sources unchanged, with their times), so only the
hypervisor is rebuilt. Ends with "check-labs: N passed, M failed", where each
test of each lab is one check.
"""
import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import buildcache  # noqa: E402
import kitbuild  # noqa: E402
import labspec  # noqa: E402
import studenttree  # noqa: E402
from grade import first_error  # noqa: E402
import skeleton  # noqa: E402

# The hypervisor's modes make bench runs (tests/bench/guest.py's MODE_ARGS).
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
from guest import MODE_ARGS as BENCH_MODES  # noqa: E402
from timer import COLUMNS as TIMER_COLUMNS  # noqa: E402

# The hypervisor's options of each lab's `make run` (its handout's first
# command), which reach the lab's stubs.
LAB_RUN_ARGS = {2: "mem=shadow", 3: "mem=shadow cpu=deprivileged", 4: "devices=virtual", 5: "cpu=pv"}
# ... and its make variables: lab 6's runs are two PV test kernels (its
# handout's pipe), whose first hypercall between VMs reaches its stubs.
LAB_RUN_VARS = {6: ["PAIR=pipe-ring-send pipe-ring-recv"]}

TEST_KERNELS = ("build/tests/mbinfo.elf", "build/tests/badguest.elf", "build/tests/hostile.elf",
                "build/tests/conform.elf", "build/tests/pvtest.elf")


def run(dest, argv, env=None, stdin=None):
    """(exit status, output) of a command run in the student tree, its
    compilers behind the checks' cache (buildcache.py); stdin: what it
    reads (gdb's commands), or nothing."""
    p = subprocess.run(argv, cwd=dest, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, **buildcache.env(ROOT), **(env or {})), input=stdin or "")
    return p.returncode, p.stdout


def last_lines(out, n=3):
    return " | ".join(out.strip().splitlines()[-n:])


def check_handin(dest):
    """make handin in the fresh tree, as make skeleton leaves it: a git
    repository whose first commit is packed. Made before the hidden tests
    are copied in, which changes the tree."""
    status, out = run(dest, ["make", "--no-print-directory", "handin"], {"HANDIN_USER": "check-labs"})
    packed = [f for f in os.listdir(os.path.join(dest, "build")) if f.startswith("handin-check-labs-")] \
        if os.path.isdir(os.path.join(dest, "build")) else []
    ok = status == 0 and len(packed) == 1
    return ("make handin", ok, "" if ok else "status %d, archives %s: %s" % (status, packed, last_lines(out)))


def command_checks(lab, dest, first_test):
    """[(check name, ok, why)]: the commands the handouts tell a student to
    run, each in its cheap mode, work in the lab's tree and mean something."""
    later_modes = [m for m, args in BENCH_MODES.items() if studenttree.lab_of_options(args) > lab]
    # Integration cases need every lab some option of the hypervisor's
    # names (devices=virtual: lab 4), those that count on devices=
    # defaulting to virtual a tree where lab 4 is done, and those between
    # VMs (grants, channels, rings) lab 6: a tree before that leaves some out.
    leaves_out = (any(n > lab for n in studenttree.OPTION_LABS.values())
                  or lab < studenttree.DEVICES_VIRTUAL_BY_DEFAULT_LAB or lab < studenttree.INTERDOMAIN_LAB)
    checks = []

    def check(name, argv, good, env=None, stdin=None):
        status, out = run(dest, argv, env, stdin)
        why = good(status, out)
        checks.append((name, not why, "%s (status %d: %s)" % (why, status, last_lines(out)) if why else ""))

    check("make run", ["make", "--no-print-directory", "run", "TIMEOUT=60", "ARGS=" + LAB_RUN_ARGS.get(lab, "")]
          + LAB_RUN_VARS.get(lab, []),
          lambda st, out: None if "LAB %d: your code here" % lab in out else "no stub of lab %d panicked" % lab)
    # handouts/debugging.md's first session, pointed at what this tree
    # reaches: gdb attaches to the hypervisor's stub with its symbols and
    # stops in the lab's first stub (its panic), where the student starts.
    # gdb cannot debug cpu=deprivileged yet, so lab 3's tree is debugged
    # as the handout's own session is, at handle_cpuid under EPT.
    args, stop = ("", "handle_cpuid") if "deprivileged" in LAB_RUN_ARGS.get(lab, "") else \
        (LAB_RUN_ARGS.get(lab, ""), "panic")
    check("make gdb", ["make", "--no-print-directory", "gdb", "GDB_TIMEOUT=120", "ARGS=" + args] + LAB_RUN_VARS.get(lab, []),
          lambda st, out: None if re.search(r"^Breakpoint 1, %s " % stop, out, re.M)
          and re.search(r"^#1 .* in \w+ ", out, re.M) and "Traceback" not in out
          and (stop != "panic" or "LAB %d: your code here" % lab in out)
          else "gdb did not stop in %s with a backtrace" % stop,
          stdin="break %s\ncontinue\nbt 2\ndelete\ndetach\nquit\n" % stop)
    check("the one-test command", [sys.executable, "tests/integration/boot_tests.py", "-k", first_test],
          lambda st, out: None if re.search(r"^integration: 0 passed, [1-9]\d* failed$", out, re.M) and st == 1
          else "%s did not run and fail on its own lab's skeleton" % first_test)
    check("make check: the integration cases", [sys.executable, "tests/integration/boot_tests.py", "--list"],
          lambda st, out: "status %d" % st if st else
          (None if ("left out in this lab" in out) == leaves_out else "the left-out line is wrong"))
    check("make check: the unit tests build", ["make", "--no-print-directory", "unit-check"],
          lambda st, out: None if re.search(r"^unit: \d+ passed, \d+ failed$", out, re.M) else "they do not build")
    check("make bench: its columns", [sys.executable, "tests/bench/guest.py", "--columns"],
          lambda st, out: None if st == 0 and all(("-hv-%s" % m in out) == (m not in later_modes) for m in BENCH_MODES)
          else "the columns of labs after %d are not exactly those left out" % lab)
    timer_later = studenttree.lab_of_options(["devices=virtual"]) > lab
    check("make bench: the timer's columns", [sys.executable, "tests/bench/timer.py", "--columns"],
          lambda st, out: None if st == 0 and ("left out in this lab" in out) == timer_later
          and re.search(r"^timer: columns: ?(.*)$", out, re.M).group(1).strip() == ("" if timer_later else
                                                                                 " ".join(TIMER_COLUMNS))
          else "the timer benchmark's columns are not those of lab %d" % lab)
    check("make grade TIMEOUT=", ["make", "-n", "--no-print-directory", "grade", "LAB=%d" % lab, "TIMEOUT=7"],
          lambda st, out: None if "--timeout 7" in out else "TIMEOUT does not reach the grader")
    check("make check-labs", [sys.executable, "grading/check_labs.py"],
          lambda st, out: None if st == 0 and "not of this lab %d student tree" % lab in out else
          "it does not say it is a check of the reference")
    return checks


def prepare(lab, dest, step=None, reuse_hv=False):
    """Write and build the skeleton of `lab` in dest (with `step`: the tree
    of its handout's steps 1..step, skeleton.py --step), the kit's images
    (kitbuild.py), which no lab changes, copied from this tree's build/
    (reuse_hv: its hypervisor's too): (None, or why it failed; the make
    handin check, None for a per-step tree)."""
    skeleton.make_skeleton(ROOT, dest, lab, step)
    handin = None
    if step is None:
        skeleton.init_repository(dest, lab)
        handin = check_handin(dest)
    restore_hidden_tests(lab, dest)
    kitbuild.copy(ROOT, dest)
    if reuse_hv:
        kitbuild.copy_hypervisor(ROOT, dest)
    return build(lab, dest), handin


def restore_hidden_tests(lab, dest):
    """Grade with every test, hidden ones too: copy the full declarations
    of labs 1..lab back into the tree."""
    for n, path in labspec.lab_paths(ROOT).items():
        if n <= lab:
            shutil.copy2(path, os.path.join(dest, os.path.relpath(path, ROOT)))


# One tree's build at a time, each on every core: the trees' files that are
# alike compile once, in the first, and the others find them in the cache
# (two builds at once would both miss).
_one_build = threading.Lock()


def build(lab, dest):
    """None, or why the tree in dest does not build."""
    # -j: the tree is built from nothing; its files compile in parallel,
    # each once for all the checks' trees (buildcache.py).
    with _one_build:
        p = subprocess.run(["make", "--no-print-directory", "-j%d" % (os.cpu_count() or 2), "all"]
                           + list(TEST_KERNELS), cwd=dest, env=dict(os.environ, **buildcache.env(ROOT)),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return "the lab %d skeleton does not build: %s" % (lab, first_error(p.stdout))
    return None


def grade(lab, dest, jobs, labs=None, tests=()):
    """{test name: passed?} for every test of `labs` (default 1..lab), or
    of those `tests` only, graded in dest."""
    results = os.path.join(dest, "build", "check-labs.json")
    argv = [sys.executable, os.path.join(dest, "grading", "grade.py"), "--root", dest, "--no-build",
            "--quiet", "--color", "never", "-j", str(jobs), "--results", results,
            "--junit", os.path.join(dest, "build", "check-labs.xml")]
    for n in labs or [n for n in labspec.lab_paths(ROOT) if n <= lab]:
        argv += ["--lab", str(n)]
    for name in tests:
        argv += ["--test", name]
    subprocess.run(argv, cwd=dest, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(results) as f:
        tests = json.load(f)["tests"]
    return {t["name"].split(" ")[0]: t["status"] == "passed" for t in tests}


@contextlib.contextmanager
def scratch_tree(tool, lab, keep, what=""):
    """A temporary folder for one lab's trees (check-labs, check-steps):
    removed afterwards, or kept and named (--keep)."""
    dest = tempfile.mkdtemp(prefix="hvlab-%s-lab%d-" % (tool, lab))
    try:
        yield dest
    finally:
        if keep:
            print("%s: kept %s%s" % (tool, dest, what))
        else:
            shutil.rmtree(dest, ignore_errors=True)


def arguments(description):
    """The options check-labs and check-steps share."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--lab", type=int, action="append", help="only this lab (repeatable)")
    return ap


def check_lab(lab, jobs, keep):
    """[(check name, ok, why)] for one lab."""
    with scratch_tree("check-labs", lab, keep) as dest:
        problem, handin = prepare(lab, dest)
        tests = [t for t in labspec.load_all(ROOT) if t.lab <= lab]
        if problem:
            return [("lab%d skeleton builds" % lab, False, problem), handin]
        tests = [t for t in tests if t.lab >= lab - 1]       # the labs before: see above
        passed = grade(lab, dest, jobs, labs=sorted({t.lab for t in tests}))
        checks = [("lab%d skeleton builds" % lab, True, ""), handin]
        checks += command_checks(lab, dest, next(t.full_name for t in tests if t.lab == lab))
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


def main(argv=None):
    ap = arguments(__doc__.split("\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the skeleton trees")
    a = ap.parse_args(argv)
    if studenttree.reference_only(ROOT, "check-labs"):
        return 0
    good = bad = 0
    labs = [lab for lab in labspec.lab_paths(ROOT) if not a.lab or lab in a.lab]
    # Much of a lab's check is one command at a time (the build, make run,
    # make gdb...): the labs are checked side by side, each tree its own,
    # and each lab's lines printed whole, in lab order.
    with ThreadPoolExecutor(max_workers=max(1, min(len(labs), a.jobs))) as pool:
        for lab, checks in pool.map(lambda lab: (lab, check_lab(lab, a.jobs, a.keep)), labs):
            for name, ok, why in checks:
                if ok:
                    good += 1
                    print("ok   lab %d skeleton: %s" % (lab, name), flush=True)
                else:
                    bad += 1
                    print("FAIL lab %d skeleton: %s: %s" % (lab, name, why), flush=True)
    print("check-labs: %d passed, %d failed" % (good, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
