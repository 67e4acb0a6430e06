#!/usr/bin/env python3
"""check_steps.py: `make check-steps`. Proves what the handouts' steps claim:
for every lab N and every step k of labs/labN/steps.toml, the tree with the
handout's steps 1..k solved and the rest stubbed (grading/skeleton.py
--step k) builds, passes every test that steps 1..k name and fails every
other test of lab N, hidden ones included. So a student's score grows with
each step done, by the tests the handout says.

Not run again by default: step 0, which is the lab's skeleton (check-labs
proves it fails every test of its lab), and the last step, whose tree holds
lab N's whole code as the reference has it: check-labs grades that code on
the next lab's skeleton (all of lab N's tests pass), and `make check` on the
reference for the last lab; load_steps makes sure the steps name every test.
--all-steps runs both too.

A lab's trees are made in one directory, one step after another, where
only the files that differ from the previous step's tree are written again:
the build compiles those alone. Each tree is graded by its own grader
(grading/grade.py) with the machinery of check_labs.py.

Not every cell of that matrix needs a run of its own; a cell follows from
the runs of its test at other steps of the lab (runs are deterministic:
Bochs counts instructions):

  forward   a run that stopped at the stub of function f never called a
            function unsolved there but f (calling one would have panicked
            in its stub): at a later step where f is still a stub, the run
            is the same; a run that stopped at no stub is the same at every
            later step;
  backward  a run that stopped at a stub at step m: at an earlier step its
            run stops at that stub or an earlier one, so a test that does not
            take a panic (its status is not 3 or "any") fails there.

So a test runs where no earlier run decides it and where the steps say it
changes: at the step before its own (where it must fail, at a stub: that
decides every earlier step) and at its own (where it must pass); a test
that takes a panic also at the steps in between. A cell that neither rule
decides then gets a run of its own (--rerun-all: every cell does). Ends
with "check-steps: N passed, M failed", where each test at each step is
one check.
"""
import filecmp
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_labs  # noqa: E402
import judge  # noqa: E402
import labspec  # noqa: E402
import skeleton  # noqa: E402
import studenttree  # noqa: E402

ROOT = check_labs.ROOT

# The panic of a stub (skeleton.stub_call) on the console: the hypervisor's,
# or a guest's for a stub in lib/ (lab 6's rings: "PANIC pvtest: ...", which
# the hypervisor marks "(guest) " as a guest's line that looks like its own,
# with "(vm1) " before that on a second VM's line).
STUB_PANIC = re.compile(r"^(?:\(vm\d+\) )?(?:\(guest\) )?PANIC \w+: LAB \d+: your code here: (\w+) \(([^)]+)\)",
                        re.M)


def stub_reached(dest, test):
    """The (path, function) whose stub ended the test's last run in dest, or
    None."""
    m = STUB_PANIC.search(judge.read_console(os.path.join(dest, "build", "grade", "logs", test + ".log")))
    return (m.group(2), m.group(1)) if m else None


def update_tree(lab, step, dest):
    """Turn dest, the tree of another step of `lab`, into the tree of `step`:
    the files that differ are written anew (their new times make the build
    compile them), the others keep theirs."""
    with tempfile.TemporaryDirectory(prefix="hvlab-step-") as stage:
        skeleton.make_skeleton(ROOT, stage, lab, step)
        for top, _, files in os.walk(stage):
            for name in files:
                rel = os.path.relpath(os.path.join(top, name), stage)
                if rel.startswith("labs" + os.sep) and name == "tests.toml":
                    continue   # dest holds the full declarations, hidden tests too
                target = os.path.join(dest, rel)
                if not os.path.exists(target) or not filecmp.cmp(os.path.join(top, name), target, shallow=False):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copyfile(os.path.join(top, name), target)
                    shutil.copymode(os.path.join(top, name), target)
    return check_labs.build(lab, dest)


def takes_panic(t):
    """A test that may pass on a run that ended in a panic: one of those
    can be a stub's."""
    return judge.status_matches(t.status, judge.outcome.PANIC)


def decided(t, k, runs, solved):
    """(passed?, the stub its run stops at, how it is known) of test t at
    step k from the runs so far ({(test name, step): (passed?, stub)}), or
    None. solved(k): the functions solved at step k."""
    mine = sorted(j for (n, j) in runs if n == t.full_name)
    if k in mine:
        return runs[(t.full_name, k)] + ("run",)
    before = [j for j in mine if j < k]
    if before:
        passed, stub = runs[(t.full_name, before[-1])]
        if stub is None or stub not in solved(k):
            return passed, stub, "as at step %d" % before[-1]
    after = [j for j in mine if j > k and runs[(t.full_name, j)][1]]
    if after and not takes_panic(t):
        return False, runs[(t.full_name, after[0])][1], "a stub of step %d or earlier" % after[0]
    return None


def judge_step(lab, steps, k, tests, runs, solved):
    """[(ok, line)] for one step's tree: each test of the lab passes if and
    only if steps 1..k name it."""
    where = "lab %d step %s" % (lab, steps[k - 1].handout if k else "0 (none done)")
    first = {t: s.handout for s in steps for t in s.tests}
    solver = {f: s.handout for s in steps for f in s.functions}
    named = {t for s in steps[:k] for t in s.tests}
    checks, good, ran = [], [], 0
    for t in tests:
        got = decided(t, k, runs, solved)
        if got is None:
            checks.append((False, "FAIL %s: %s: no run decides it (the grader gave no result)" % (where, t.full_name)))
            continue
        passed, stub, how = got
        ran += how == "run"
        if passed == (t.full_name in named):
            good.append(t.full_name)
            continue
        why = "" if not stub else " (its run stops at the stub of %s, %s)" % (
            stub[1], "which step %s solves" % solver[stub] if stub in solver else "of another lab")
        checks.append((False, "FAIL %s: %s %s%s, but the steps name it at step %s" % (
            where, t.full_name, "passes" if passed else "fails", why, first[t.full_name])))
    mine = [t for t in good if t in named]
    line = "ok   %s: passes %s; fails the %d others (%d run%s here)" % (
        where, ", ".join(mine) or "none", len(good) - len(mine), ran, "" if ran == 1 else "s")
    return [(True, line)] * len(good) + checks


def check_lab(lab, jobs, keep, all_steps, rerun_all):
    """[(ok, line)] for each step of one lab, one check per test."""
    steps = skeleton.load_steps(ROOT, lab)
    tests = labspec.load_all(ROOT, labs=[lab])
    own = {t: s.number for s in steps for t in s.tests}
    ks = list(range(0, len(steps) + 1) if all_steps else range(1, len(steps)))
    sets = {k: skeleton.solved_by(steps, k) for k in ks}
    runs = {}     # (test name, step): (passed?, the stub its run stopped at)
    with check_labs.scratch_tree("check-steps", lab, keep, " (the tree of the last step checked)") as dest:
        built, results = False, []

        def run_at(k, wanted):
            """Make the tree of step k in dest, run the tests `wanted` there."""
            nonlocal built
            # The hypervisor's build is copied too: its files that the tree
            # keeps as in the reference keep their times, and only the others
            # compile (check-labs proves that a skeleton builds from nothing).
            problem = (update_tree(lab, k, dest) if built else
                       check_labs.prepare(lab, dest, k, reuse_hv=True)[0])
            built = True
            if problem:
                results.append((False, "FAIL lab %d step %s: the tree does not build: %s"
                                % (lab, steps[k - 1].handout if k else "0", problem)))
                return
            names = [t.full_name for t in wanted]
            passed = check_labs.grade(lab, dest, jobs, labs=[lab], tests=names) if names else {}
            for n in names:
                if n in passed:
                    runs[(n, k)] = (passed[n], stub_reached(dest, n))

        # Where the steps say a test changes, and where an earlier run
        # does not decide it; then whatever is left undecided.
        for k in ks:
            run_at(k, [t for t in tests if rerun_all or (decided(t, k, runs, sets.get) is None and
                                                         (takes_panic(t) or k >= own[t.full_name] - 1))])
        for k in ks:
            left = [t for t in tests if decided(t, k, runs, sets.get) is None]
            if left:
                run_at(k, left)
        for k in ks:
            results += judge_step(lab, steps, k, tests, runs, sets.get)
        return results


def main(argv=None):
    ap = check_labs.arguments(__doc__.split("\n")[0])
    ap.add_argument("--all-steps", action="store_true",
                    help="also step 0 (the skeleton) and the last step (the lab's whole code)")
    ap.add_argument("--rerun-all", action="store_true",
                    help="run every test at every step, also where runs at other steps decide it")
    ap.add_argument("--keep", action="store_true", help="keep the last tree of each lab")
    a = ap.parse_args(argv)
    if studenttree.reference_only(ROOT, "check-steps"):
        return 0
    good = bad = 0
    start = time.monotonic()
    def one_lab(lab):
        try:
            return check_lab(lab, a.jobs, a.keep, a.all_steps, a.rerun_all)
        except (skeleton.SkeletonError, labspec.LabSpecError) as e:
            return [(False, "FAIL lab %d: %s" % (lab, e))]

    labs = [lab for lab in labspec.lab_paths(ROOT) if not a.lab or lab in a.lab]
    # A step's tree runs few tests, after a build: the labs are checked side
    # by side (each in its own tree), each lab's lines printed whole.
    with ThreadPoolExecutor(max_workers=max(1, min(len(labs), a.jobs))) as pool:
        for checks in pool.map(one_lab, labs):
            for line in dict.fromkeys(line for _, line in checks):
                print(line, flush=True)
            good += sum(1 for ok, _ in checks if ok)
            bad += sum(1 for ok, _ in checks if not ok)
    print("check-steps: %.0f s" % (time.monotonic() - start))
    print("check-steps: %d passed, %d failed" % (good, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
