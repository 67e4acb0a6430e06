"""`make check`'s driver (tests/run_checks.py), on made-up suites: they
run side by side, each one's output whole, the make lane one at a time,
and any failure, a crash included, fails the whole check."""
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import unittest
from unittest import mock

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests"))
import run_checks  # noqa: E402

PY = sys.executable


def suite(name, lines, summary, status=0, pause=0.0, spans=None):
    """A suite that prints `lines` (pausing `pause` s before each), then
    its summary, and exits with `status`; with spans, it appends its
    (start, end) to that file."""
    code = ("import sys, time\nstart = time.time()\n"
            "for line in %r:\n    time.sleep(%r)\n    print(line, flush=True)\n"
            "print(%r)\n" % (lines, pause, summary))
    if spans:
        code += "open(%r, 'a').write('%%f %%f\\n' %% (start, time.time()))\n" % spans
    return (name, [PY, "-c", code + "sys.exit(%d)\n" % status], "plain")


def check(suites, *argv):
    """(exit status, output) of run_checks.main over these suites."""
    out = io.StringIO()
    with mock.patch.object(run_checks, "SUITES", suites), mock.patch.dict(os.environ), \
            contextlib.redirect_stdout(out):
        status = run_checks.main(list(argv))
    return status, out.getvalue()


class RunChecks(unittest.TestCase):
    def test_all_pass(self):
        status, out = check([suite("a", ["x"], "a: 3 passed, 0 failed"),
                             suite("b", [], "b: 2 passed, 0 failed")])
        self.assertEqual(status, 0, out)
        self.assertRegex(out, r"\n   a +3 passed, 0 failed  \(\d+ s\)\n   b +2 passed, 0 failed  \(\d+ s\)\n")
        self.assertTrue(out.endswith("check: 5 passed, 0 failed\n"), out)

    def test_cpu_of_the_suite_and_its_children(self):
        burn = "import time\nend = time.process_time() + 1.2\nwhile time.process_time() < end: pass\n"
        cmd = [PY, "-c", "import subprocess, sys\nsubprocess.run([sys.executable, '-c', %r])\n"
               "print('a: 1 passed, 0 failed')\n" % burn]
        status, out = check([("a", cmd, "plain")])
        self.assertEqual(status, 0, out)
        cpu = int(re.search(r"^-- a: 1 passed, 0 failed in \d+ s \((\d+) s of CPU\)$", out, re.M).group(1))
        self.assertGreaterEqual(cpu, 1, out)

    def test_a_failing_suite_fails_the_check(self):
        status, out = check([suite("a", [], "a: 3 passed, 0 failed"),
                             suite("b", [], "b: 1 passed, 2 failed", status=1)])
        self.assertEqual(status, 1)
        self.assertTrue(out.endswith("check: 4 passed, 2 failed\n"), out)

    def test_the_failures_are_named_again_at_the_end(self):
        long = "FAIL c-long " + "x" * 400
        status, out = check([suite("a", ["ok   a-1", "FAIL a-2 (1.0 s): console lacks it", "ok   a-3"],
                                   "a: 2 passed, 1 failed", status=1),
                             suite("b", ["ok   b-1"], "b: 1 passed, 0 failed"),
                             suite("c", [long] * 22, "c: 0 passed, 22 failed", status=1),
                             suite("d", ["Traceback"], "no summary", status=1)])
        self.assertEqual(status, 1)
        tail = out[out.index("\n   a "):]
        self.assertIn("check: a's failures:\n   FAIL a-2 (1.0 s): console lacks it\n", tail)
        self.assertNotIn("b's failures", tail)
        self.assertEqual(tail.count("   " + long[:297] + "...\n"), 20, tail)
        self.assertIn("   ... and 2 more (the suite's output above has them all)\n", tail)
        self.assertIn("check: d's failures:\n   (no line names one", tail)
        self.assertTrue(out.endswith("check: 3 passed, 24 failed\n"), out)

    def test_a_crash_counts_as_one_failure(self):
        status, out = check([suite("a", [], "a: 3 passed, 0 failed"),
                             suite("b", ["Traceback"], "no summary", status=1)])
        self.assertEqual(status, 1)
        self.assertIn("== b: no summary (exit status 1): counted as one failure", out)
        self.assertTrue(out.endswith("check: 3 passed, 1 failed\n"), out)

    def test_a_bad_status_without_failures_is_one(self):
        status, out = check([suite("a", [], "a: 3 passed, 0 failed", status=2)])
        self.assertEqual(status, 1)
        self.assertTrue(out.endswith("check: 3 passed, 1 failed\n"), out)

    def test_suites_run_side_by_side_their_output_whole(self):
        # Each suite waits (20 s at most) for the other to have started:
        # both pass only if they ran at once.
        meet = ("import os, sys, time\nopen(os.path.join(%r, sys.argv[1]), 'w').close()\n"
                "for i in range(5):\n    print(sys.argv[1], 'line', i, flush=True); time.sleep(0.1)\n"
                "end = time.time() + 20\n"
                "while not os.path.exists(os.path.join(%r, sys.argv[2])) and time.time() < end:\n"
                "    time.sleep(0.05)\n"
                "met = os.path.exists(os.path.join(%r, sys.argv[2]))\n"
                "print('%%s: %%d passed, %%d failed' %% (sys.argv[1], met, not met))\n")
        with tempfile.TemporaryDirectory() as tmp:
            code = meet % (tmp, tmp, tmp)
            status, out = check([("a", [PY, "-c", code, "a", "b"], "plain"),
                                 ("b", [PY, "-c", code, "b", "a"], "plain")], "-j", "2")
        self.assertEqual(status, 0, out)
        for name in "ab":
            block = re.search(r"^== %s: .*?^%s: 1 passed" % (name, name), out, re.M | re.S)
            self.assertIsNotNone(block, out)
            self.assertEqual(re.findall(r"^\w line \d$", block.group(0), re.M),
                             ["%s line %d" % (name, i) for i in range(5)], out)

    def test_the_make_lane_runs_one_at_a_time(self):
        with tempfile.TemporaryDirectory() as tmp:
            spans = os.path.join(tmp, "spans")
            lane = [suite(n, ["x"], "%s: 1 passed, 0 failed" % n, pause=0.3, spans=spans)
                    for n in run_checks.MAKE_LANE]
            status, out = check(lane, "-j", "4")
            with open(spans) as f:
                times = sorted(tuple(map(float, line.split())) for line in f)
        self.assertEqual(status, 0, out)
        self.assertEqual(len(times), len(run_checks.MAKE_LANE))
        for (_, end), (start, _) in zip(times, times[1:]):
            self.assertLessEqual(end, start, "two suites of the make lane overlapped")

    def test_python_found_without_a_shim(self):
        with tempfile.TemporaryDirectory() as tmp:
            shim = os.path.join(tmp, "python3")
            with open(shim, "w") as f:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % PY)
            os.chmod(shim, 0o755)
            with mock.patch.dict(os.environ, {"PATH": tmp + os.pathsep + os.environ["PATH"]}):
                run_checks.python_without_shim()
                found = shutil.which("python3")
                run_checks.python_without_shim()     # once is enough
                path = os.environ["PATH"]
        self.assertEqual(os.path.realpath(found), os.path.realpath(PY))
        self.assertEqual(path.split(os.pathsep).count(os.path.dirname(PY)), 1 + os.environ["PATH"].split(
            os.pathsep).count(os.path.dirname(PY)))

    def test_longest_first(self):
        suites = [("u", [], "plain"), ("big", [], "plain"), ("mid", [], "plain"), ("f", [], "plain")]
        order = run_checks.lanes(suites, lane=("u", "f"), estimate={"u": 5, "f": 5, "big": 100, "mid": 20})
        self.assertEqual([[s[0] for s in g] for g in order], [["big"], ["mid"], ["u", "f"]])


if __name__ == "__main__":
    unittest.main()
