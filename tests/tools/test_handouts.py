"""test_handouts.py: what the lab handouts say of the kit is what the kit is.

A handout's counts are checked against their source (issue 14, point 4),
so that none is typed by hand and left behind when the code moves:

  - "There are F stubbed functions in R regions": the student tree's own
    stubs of that lab (grading/skeleton.py stub_census);
  - every function the lab's stubs leave to the student is named in the
    handout (in backquotes), so no stub is a surprise;
  - "Lab N has T tests worth P points; H of them, worth Q points, are
    hidden": labs/labN/tests.toml;
  - "worth X of lab N's P points" next to a test name: that test's points
    and the lab's total;
  - every test name in backquotes (`labN-name`) is a declared test;
  - the steps of "What to implement" are those of labs/labN/steps.toml,
    in its order, and each names in its "Test: ..." or "Tests: ..."
    sentence exactly the tests the steps file gives it (those that pass
    once it is done: grading/check_steps.py proves that), or, with none,
    says "No test of its own" and names a later step's test that covers it.

These claims are about the reference: a student tree has lost the markers,
the hidden tests and the later labs' tests they are checked against, so
there the checks skip.
"""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import labspec  # noqa: E402
import skeleton  # noqa: E402
import studenttree  # noqa: E402

HANDOUTS = os.path.join(ROOT, "handouts")
STUBS = re.compile(r"There (?:are|is) (\d+)\s+stubbed functions? in (\d+) regions?", re.I)
TOTALS = re.compile(r"Lab (\d+) has (\d+) tests worth (\d+) points; (\d+) of them, worth (\d+)\s+points, "
                    r"(?:are|is) hidden")
WORTH = re.compile(r"`(lab\d+-[\w-]+)`, worth (\d+) of lab (\d+)'s (\d+)\s+points")
TEST_NAME = re.compile(r"`(lab\d+-[a-z0-9-]+)`")
# The section of the steps, and each step's start in it: a heading
# "### 4.1 ..." (lab 1), else a numbered item "1. ..." (labs 2 and 3).
IMPLEMENT = re.compile(r"^## \d+\. What to implement\n(.*?)(?=^## )", re.M | re.S)
STEP_STARTS = (re.compile(r"^### (\d+\.\d+) ", re.M), re.compile(r"^(\d+)\. ", re.M))
# "Test: `lab1-vmxon`." / "Tests: `lab1-msr`, `lab1-refused-values` (hidden)."
STEP_TESTS = re.compile(r"\bTests?:\s+(`lab\d+-[a-z0-9-]+`(?:\s+\(hidden\))?(?:,\s+`lab\d+-[a-z0-9-]+`"
                        r"(?:\s+\(hidden\))?)*)\.")
NO_TEST = re.compile(r"\bNo\s+test\s+of\s+its\s+own\b")


def lab_handouts():
    """{lab: its handout's text}."""
    found = {}
    for name in sorted(os.listdir(HANDOUTS)):
        m = re.fullmatch(r"lab(\d+)\.md", name)
        if m:
            with open(os.path.join(HANDOUTS, name)) as f:
                found[int(m.group(1))] = f.read()
    return found


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def handout_steps(text):
    """[(the step's number, its text)] of a handout's "What to implement"."""
    section = IMPLEMENT.search(text)
    if not section:
        return []
    body = section.group(1)
    starts = next((found for found in (list(p.finditer(body)) for p in STEP_STARTS) if found), [])
    ends = [m.start() for m in starts[1:]] + [len(body)]
    return [(m.group(1), body[m.start():end]) for m, end in zip(starts, ends)]


class Handouts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if studenttree.student_lab(ROOT) is not None:
            raise unittest.SkipTest("a student tree: the handouts are checked against the reference")
        cls.handouts = lab_handouts()
        cls.tests = labspec.load_all(ROOT)

    def test_every_lab_has_a_handout_that_states_its_counts(self):
        labs = sorted({t.lab for t in self.tests})
        self.assertEqual(sorted(self.handouts), labs)
        for lab, text in self.handouts.items():
            self.assertRegex(text, STUBS, "handouts/lab%d.md: no 'There are F stubbed functions in R regions'" % lab)
            self.assertRegex(text, TOTALS, "handouts/lab%d.md: no 'Lab %d has T tests worth P points; ...'"
                             % (lab, lab))

    def test_stub_counts(self):
        for lab, text in self.handouts.items():
            functions, regions = skeleton.stub_census(ROOT, lab)
            for m in STUBS.finditer(text):
                self.assertEqual((int(m.group(1)), int(m.group(2))), (functions, regions),
                                 "handouts/lab%d.md:%d says %s; the lab %d tree has %d stubbed functions in "
                                 "%d regions" % (lab, line_of(text, m.start()), m.group(0), lab, functions,
                                                 regions))

    def test_every_stubbed_function_is_named(self):
        for lab, text in self.handouts.items():
            missing = sorted(f for f in skeleton.stub_names(ROOT, lab) if "`%s`" % f not in text)
            self.assertEqual(missing, [], "handouts/lab%d.md never names these stubbed functions" % lab)

    def test_points(self):
        for lab, text in self.handouts.items():
            mine = [t for t in self.tests if t.lab == lab]
            hidden = [t for t in mine if t.hidden]
            want = (lab, len(mine), sum(t.points for t in mine), len(hidden), sum(t.points for t in hidden))
            for m in TOTALS.finditer(text):
                got = tuple(int(x) for x in m.groups())
                self.assertEqual(got, want, "handouts/lab%d.md:%d: %s" % (lab, line_of(text, m.start()),
                                                                           m.group(0)))
            for m in WORTH.finditer(text):
                t = next((t for t in self.tests if t.full_name == m.group(1)), None)
                self.assertIsNotNone(t, m.group(0))
                total = sum(x.points for x in self.tests if x.lab == int(m.group(3)))
                self.assertEqual((int(m.group(2)), int(m.group(4))), (t.points, total),
                                 "handouts/lab%d.md:%d: %s" % (lab, line_of(text, m.start()), m.group(0)))

    def test_steps_name_their_tests(self):
        for lab, text in self.handouts.items():
            steps = skeleton.load_steps(ROOT, lab)
            found = handout_steps(text)
            self.assertEqual([n for n, _ in found], [s.handout for s in steps],
                             "handouts/lab%d.md: its steps are not those of labs/lab%d/steps.toml" % (lab, lab))
            first = {t: s.number for s in steps for t in s.tests}
            for step, (number, body) in zip(steps, found):
                where = "handouts/lab%d.md, step %s" % (lab, number)
                named = STEP_TESTS.findall(body)
                if step.tests:
                    self.assertEqual(len(named), 1, "%s: one 'Test: ...' or 'Tests: ...' sentence wanted" % where)
                    self.assertEqual(TEST_NAME.findall(named[0]), step.tests,
                                     "%s names other tests than labs/lab%d/steps.toml gives it" % (where, lab))
                    for t in TEST_NAME.findall(named[0]):
                        hidden = next(x.hidden for x in self.tests if x.full_name == t)
                        self.assertEqual(bool(re.search(r"`%s`\s+\(hidden\)" % t, named[0])), hidden,
                                         "%s: a hidden test, and only one, says '(hidden)': %s" % (where, t))
                else:
                    self.assertEqual(named, [], "%s names tests, but labs/lab%d/steps.toml gives it none"
                                     % (where, lab))
                    no_test = NO_TEST.search(body)
                    self.assertIsNotNone(no_test, "%s: no 'No test of its own'" % where)
                    later = TEST_NAME.search(body, no_test.end())
                    self.assertTrue(later and first.get(later.group(1), 0) > step.number,
                                    "%s: 'No test of its own' names no test of a later step" % where)

    def test_every_test_named_is_declared(self):
        names = {t.full_name for t in self.tests}
        for lab, text in self.handouts.items():
            for m in TEST_NAME.finditer(text):
                self.assertIn(m.group(1), names, "handouts/lab%d.md:%d names an undeclared test"
                              % (lab, line_of(text, m.start())))


if __name__ == "__main__":
    unittest.main()
