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
  - every test name in backquotes (`labN-name`) is a declared test.

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

    def test_every_test_named_is_declared(self):
        names = {t.full_name for t in self.tests}
        for lab, text in self.handouts.items():
            for m in TEST_NAME.finditer(text):
                self.assertIn(m.group(1), names, "handouts/lab%d.md:%d names an undeclared test"
                              % (lab, line_of(text, m.start())))


if __name__ == "__main__":
    unittest.main()
