"""test_bug_declarations.py: every planted bug of labs/labN/bugs.toml can
still be planted in the reference tree: its `find` matches exactly once,
inside a LAB region of its lab (grading/check_bugs.py's plant). A change of
the solution's text that a bug quotes shows here, in seconds, rather than
in `make check-bugs`'s half hour."""
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import check_bugs  # noqa: E402


class Declarations(unittest.TestCase):
    def test_every_bug_plants(self):
        bugs = check_bugs.load(ROOT)
        if not bugs:
            self.skipTest("a student tree: no labs/labN/bugs.toml (they quote the solution)")
        for bug in bugs:
            with self.subTest(bug=bug["name"]):
                with open(os.path.join(ROOT, bug["file"])) as f:
                    text = f.read()
                planted = check_bugs.plant(text, bug)
                self.assertNotEqual(planted, text)

    def test_a_stale_find_is_refused(self):
        bug = {"name": "stale", "file": "hv/bt/bt_chain.c", "lab": 3, "find": "no such text", "replace": ""}
        with self.assertRaises(check_bugs.BugError):
            check_bugs.plant("void f(void) {}\n", bug)


if __name__ == "__main__":
    unittest.main()
