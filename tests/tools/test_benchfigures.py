"""test_benchfigures.py: the figures the README and the handouts quote from
`make bench` are those of handouts/bench.json (tools/benchfigures.py), and
a quote typed by hand, or left behind by a new run, is caught."""
import copy
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchfigures  # noqa: E402


class BenchFiguresTest(unittest.TestCase):
    def setUp(self):
        self.figures = benchfigures.load(benchfigures.FIGURES)

    def test_every_quote_is_the_kept_figure(self):
        self.assertEqual(benchfigures.check(self.figures), [])

    def test_the_documents_quote_figures(self):
        # The check must have something to check: the README's tables, lab
        # 1's report, and prose figures in the README and labs 1-3.
        quoted = {}
        for path in benchfigures.documents():
            with open(path) as f:
                text = f.read()
            quoted[os.path.relpath(path, ROOT)] = (len(benchfigures.BLOCK.findall(text)),
                                              len(benchfigures.INLINE.findall(text)))
        self.assertEqual(quoted["README.md"][0], 3)
        self.assertEqual(quoted["handouts/lab1.md"][0], 1)
        for name in ("README.md", "handouts/lab1.md", "handouts/lab2.md", "handouts/lab3.md"):
            self.assertGreater(quoted[name][1], 0, name)

    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".md", delete=False)
        self.addCleanup(os.unlink, f.name)
        f.write(text)
        f.close()
        return f.name

    def test_a_number_typed_by_hand_is_caught_and_rewritten(self):
        null = self.figures["guest_patched"]["ratio_to_native"]["null"]
        path = self.write("costs 999x<!--bench:guest_patched.ratio_to_native.null:.0f--> native\n")
        problems = benchfigures.check(self.figures, [path])
        self.assertEqual(len(problems), 1)
        self.assertIn("should read 'costs %.0fx<!--bench" % null, problems[0])
        benchfigures.update(self.figures, [path])
        self.assertEqual(benchfigures.check(self.figures, [path]), [])

    def test_a_stale_block_is_caught(self):
        figures = copy.deepcopy(self.figures)
        path = self.write("<!-- bench: guest-report ept -->\n" + benchfigures.block(figures, "guest-report", ["ept"])
                          + "<!-- /bench -->\n")
        self.assertEqual(benchfigures.check(figures, [path]), [])
        figures["guest_ept"]["results"]["cpuid"]["cycles_per_op"] += 1
        self.assertTrue(any("cpuid" in p for p in benchfigures.check(figures, [path])))

    def test_a_missing_figure_is_named(self):
        path = self.write("1<!--bench:guest_ept.results.nosuch.cycles_per_op-->\n")
        self.assertEqual(benchfigures.check(self.figures, [path]),
                         ["%s: no figure guest_ept.results.nosuch.cycles_per_op in handouts/bench.json"
                          % os.path.relpath(path, ROOT)])


if __name__ == "__main__":
    unittest.main()
