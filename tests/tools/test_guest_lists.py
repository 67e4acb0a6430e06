"""test_guest_lists.py: the guest OS's program lists in
tests/integration/guest_cases.py agree with the guest itself. NAMED_ONLY
(the long tests test=all leaves out) is read from guestos/kernel/runner.c,
its one copy; every test program in guestos/user is either one test=all
runs (TESTS: the verdicts all_tests_case expects) or one of those."""
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import guest_cases  # noqa: E402

PREFIXES = ("bench_", "helper_", "input_", "balloon_")   # runner.c's run_all: not tests


class NamedOnly(unittest.TestCase):
    def test_read_from_the_kernel(self):
        self.assertIn("ptfuzz", guest_cases.NAMED_ONLY)
        self.assertEqual(guest_cases.NAMED_ONLY, guest_cases.named_only(guest_cases.RUNNER_C))

    def test_the_parser(self):
        with tempfile.NamedTemporaryFile("w", suffix=".c") as f:
            f.write('static const char *const NAMED_ONLY[] = {"a", "b_c",\n    "d"};\nint x[] = {1};\n')
            f.flush()
            self.assertEqual(guest_cases.named_only(f.name), ["a", "b_c", "d"])
        with tempfile.NamedTemporaryFile("w", suffix=".c") as f:
            f.write('static const char *const LONG_ONES[] = {"a"};\n')
            f.flush()
            with self.assertRaisesRegex(ValueError, "no NAMED_ONLY"):
                guest_cases.named_only(f.name)

    def test_every_test_program_is_run_by_all_or_named_only(self):
        user = os.path.join(ROOT, "guestos", "user")
        programs = {n[:-2] for n in os.listdir(user) if n.endswith(".c") and not n.startswith(PREFIXES)}
        tests, named = set(guest_cases.TESTS), set(guest_cases.NAMED_ONLY)
        self.assertEqual(tests & named, set(), "in TESTS and left out of test=all by runner.c")
        self.assertEqual(programs, tests | named)


class LabTestLists(unittest.TestCase):
    def test_lab_tests_name_only_guest_tests(self):
        """A lab test's explicit test=a,b,c list (one that leaves a test of
        test=all out, labs/lab3/tests.toml) names programs that exist."""
        import tomllib
        known = set(guest_cases.TESTS) | set(guest_cases.NAMED_ONLY) | {"all"}
        lists = 0
        for lab in sorted(os.listdir(os.path.join(ROOT, "labs"))):
            path = os.path.join(ROOT, "labs", lab, "tests.toml")
            if not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                tests = tomllib.load(f).get("test", [])
            for t in tests:
                for word in t.get("guest_args", "").split():
                    if t.get("guest") == "guestos" and word.startswith("test="):
                        names = word[len("test="):].split(",")
                        lists += len(names) > 1
                        self.assertEqual(set(names) - known, set(), "%s: %s" % (path, t["name"]))
        self.assertGreater(lists, 0)


if __name__ == "__main__":
    unittest.main()
