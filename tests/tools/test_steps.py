"""Unit tests of the handouts' steps (labs/labN/steps.toml): how
grading/skeleton.py checks a steps list, and the tree of --step K.

grading/check_steps.py (`make check-steps`) proves that each step's tree
passes exactly its tests; here, that a steps list which misses a stub,
names one twice, splits a region or forgets a test is refused, and that
the tree of step K keeps exactly the regions of steps 1..K.
"""
import contextlib
import io
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import skeleton  # noqa: E402
import studenttree  # noqa: E402

# Two regions: one with two functions, one with a function whose name
# another file shares.
REGIONS = [("hv/a.c", 10, "two functions", [("hv/a.c", "f"), ("hv/a.c", "g")]),
           ("hv/b.c", 20, "one function", [("hv/b.c", "emulate")]),
           ("hv/c.c", 30, "the same name", [("hv/c.c", "emulate")])]
TESTS = ["lab9-one", "lab9-two"]


def steps(*decl):
    return {"step": [dict(zip(("handout", "solves", "tests"), d)) for d in decl]}


def parse(decl):
    return skeleton.parse_steps(decl, REGIONS, TESTS, "labs/lab9/steps.toml")


GOOD = steps(("4.1", ["f", "g"], ["lab9-one"]), ("4.2", ["emulate (hv/b.c)"], []),
             ("4.3", ["emulate (hv/c.c)"], ["lab9-two"]))


class ParseSteps(unittest.TestCase):
    def test_a_good_list(self):
        got = parse(GOOD)
        self.assertEqual([(s.number, s.handout, s.tests) for s in got],
                         [(1, "4.1", ["lab9-one"]), (2, "4.2", []), (3, "4.3", ["lab9-two"])])
        self.assertEqual(got[1].functions, [("hv/b.c", "emulate")])
        self.assertEqual(skeleton.solved_by(got, 2), {("hv/a.c", "f"), ("hv/a.c", "g"), ("hv/b.c", "emulate")})
        self.assertEqual(skeleton.solved_by(got, 0), frozenset())

    def test_refused(self):
        for decl, why in (
                (steps(("4.1", ["f", "g"], TESTS), ("4.2", ["emulate (hv/b.c)"], [])),
                 r"no step solves emulate \(hv/c.c\)"),
                (steps(("4.1", ["f", "g"], TESTS), ("4.2", ["emulate (hv/b.c)", "emulate (hv/c.c)", "f"], [])),
                 r"step 4.2: f \(hv/a.c\) is solved by step 4.1 already"),
                (steps(("4.1", ["f"], TESTS), ("4.2", ["g", "emulate (hv/b.c)", "emulate (hv/c.c)"], [])),
                 r"the region 'two functions' \(hv/a.c:10\) is split between steps 4.1 and 4.2"),
                (steps(("4.1", ["f", "g", "emulate"], TESTS)), r"'emulate' is in hv/b.c and hv/c.c: say which"),
                (steps(("4.1", ["f", "g", "nothing"], TESTS)), r"'nothing' names no stubbed function"),
                (steps(("4.1", ["f", "g", "emulate (hv/b.c)", "emulate (hv/c.c)"], ["lab9-one"])),
                 r"no step makes lab9-two pass"),
                (steps(("4.1", ["f", "g"], TESTS), ("4.2", ["emulate (hv/b.c)", "emulate (hv/c.c)"], ["lab9-one"])),
                 r"lab9-one passes first at step 4.1 already"),
                (steps(("4.1", ["f", "g", "emulate (hv/b.c)", "emulate (hv/c.c)"], TESTS + ["lab9-three"])),
                 r"lab9-three is no test of the lab"),
                (steps(("4.1", [], TESTS)), r"needs its handout number and the functions it solves")):
            with self.subTest(why=why), self.assertRaisesRegex(skeleton.SkeletonError, why):
                parse(decl)

    def test_no_such_step(self):
        with self.assertRaisesRegex(skeleton.SkeletonError, "no step 4: the lab has steps 1 to 3"):
            skeleton.solved_by(parse(GOOD), 4)


FILE = '''/* LAB 1 BEGIN: both */
int f(void)
{
    return 1;
}

int g(void)
{
    return 2;
}
/* LAB 1 END */
'''


class SolvedRegions(unittest.TestCase):
    def test_a_solved_region_stays(self):
        self.assertEqual(skeleton.make_stubs(FILE, "hv/a.c", 1, {("hv/a.c", "f"), ("hv/a.c", "g")}), (FILE, 0))
        self.assertEqual(skeleton.make_stubs(FILE, "hv/a.c", 1)[1], 1)

    def test_a_region_solved_in_part_is_refused(self):
        with self.assertRaisesRegex(skeleton.SkeletonError, "hv/a.c:1: the region 'both' is solved only in part"):
            skeleton.make_stubs(FILE, "hv/a.c", 1, {("hv/a.c", "f")})


@unittest.skipIf(studenttree.student_lab(ROOT) is not None, "a student tree: its LAB markers are gone")
class ReferenceSteps(unittest.TestCase):
    def test_every_lab_has_valid_steps(self):
        for lab in (1, 2, 3):
            self.assertGreaterEqual(len(skeleton.load_steps(ROOT, lab)), 3, lab)

    def test_the_tree_of_a_step(self):
        """Lab 1 after step 4.2: vmx_on.c as in the reference, ept.c still a stub."""
        with tempfile.TemporaryDirectory() as tmp:
            self.assertGreater(skeleton.make_skeleton(ROOT, tmp, 1, step=2), 10)
            with open(os.path.join(tmp, "hv", "vmx", "vmx_on.c")) as f, \
                    open(os.path.join(ROOT, "hv", "vmx", "vmx_on.c")) as g:
                self.assertEqual(f.read(), g.read())
            with open(os.path.join(tmp, "hv", "guest", "ept.c")) as f:
                self.assertIn('panic("LAB 1: your code here: ept_map_page (hv/guest/ept.c)");', f.read())
            with open(os.path.join(tmp, "mk", "lab.mk")) as f:
                text = f.read()
            self.assertIn("STUDENT_LAB := 1", text)
            self.assertNotIn("hv/vmx/vmx_on.c", text)
            self.assertIn("hv/guest/ept.c", text)

    def test_a_step_out_of_range_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertEqual(skeleton.main(["--lab", "2", "--step", "9", "--dest", tmp, "--no-git"]), 2)
            self.assertIn("no step 9: the lab has steps 1 to 5", err.getvalue())
            self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
