"""test_check_bugs.py: the planted-bug check can fail (grading/check_bugs.py).

`make check` runs check_bugs.py over every labs/labN/bugs.toml: each
planted bug must cost points. Here, its own failures: a pattern that does
not match once or lies outside the lab's regions is refused (a change in
hv/ shows as an error, never as a silent pass), a "bug" the tests cannot
see is reported as missed, one that breaks the build is refused, and a
declared test that passes anyway is named.
"""
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import check_bugs  # noqa: E402
import labspec  # noqa: E402
import studenttree  # noqa: E402

if studenttree.student_lab(ROOT) is not None:
    raise unittest.SkipTest("a student tree: the planted bugs are the reference's")

TEXT = """static int helper(void) { return 1; }
/* LAB 1 BEGIN: the region */
int f(void)
{
    return helper() + 1;
}
/* LAB 1 END */
"""


def bug(**kw):
    return dict({"name": "b", "lab": 1, "file": "hv/x.c", "find": "x", "replace": "", "fails": ["lab1-cpuid"]}, **kw)


class Plant(unittest.TestCase):
    def test_inside_the_region(self):
        self.assertIn("return helper() + 2;", check_bugs.plant(TEXT, bug(find=r"\+ 1;", replace="+ 2;")))

    def test_refused(self):
        for b, why in ((bug(find="nowhere"), "matches 0 times"),
                       (bug(find="return"), "matches 2 times"),
                       (bug(find=r"return 1;"), "outside every LAB 1 region"),
                       (bug(find=r"\+ 1;", lab=2), "outside every LAB 2 region")):
            with self.assertRaisesRegex(check_bugs.BugError, why):
                check_bugs.plant(TEXT, b)

    def test_every_declared_bug_plants(self):
        """Each lab's bugs match the reference as declared (no build)."""
        bugs = check_bugs.load(ROOT)
        self.assertGreaterEqual(len(bugs), 3)
        names = {t.full_name for t in labspec.load_all(ROOT)}
        for b in bugs:
            with open(os.path.join(ROOT, b["file"])) as f:
                text = f.read()
            self.assertNotEqual(check_bugs.plant(text, b), text, b["name"])
            for n in b["fails"] + b.get("keeps", []):
                self.assertIn(n, names, b["name"])


class Run(unittest.TestCase):
    def test_a_bug_the_tests_miss_and_a_broken_build_are_failures(self):
        names = {t.full_name for t in labspec.load_all(ROOT)}
        # A comment changed: nothing a test can see.
        ok, line = check_bugs.check(ROOT, bug(file="hv/exit/exit_cpuid.c", find=r"/\* CPUID writes the low 32 bits",
                                              replace="/* CPUID sets the low 32 bits"), names)
        self.assertFalse(ok)
        self.assertRegex(line, r"still passes lab1-cpuid: the tests miss this bug")
        ok, line = check_bugs.check(ROOT, bug(file="hv/exit/exit_cpuid.c", find=r"advance_rip\(v\);",
                                              replace="advance_rip(v)"), names)
        self.assertFalse(ok)
        self.assertRegex(line, r"the bug breaks the build")
        ok, line = check_bugs.check(ROOT, bug(fails=["lab1-no-such-test"]), names)
        self.assertEqual((ok, line), (False, "declares lab1-no-such-test: no such test"))


if __name__ == "__main__":
    unittest.main()
