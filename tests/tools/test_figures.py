"""test_figures.py: the handouts' figures and plots (issue 16).

  - every figure a handout shows (figures/NAME.svg) has its Graphviz source,
    handouts/figures/NAME.dot, and every source is shown somewhere;
  - every plot a handout shows (plots/NAME.svg) is one tools/benchplots.py
    draws;
  - every source draws with dot, without a warning;
  - every hypervisor file a figure names (hv/...) is in the tree, so a
    figure does not go on naming a file that moved.
"""
import glob
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchplots  # noqa: E402

FIGURES = os.path.join(ROOT, "handouts", "figures")
EMBED = re.compile(r"!\[[^\]]*\]\(((figures|plots)/([\w.-]+)\.svg)\)")
HV_PATH = re.compile(r"\bhv/[\w/.-]*\w\.(?:c|S|h|md|toml)\b")


def sources():
    return {os.path.basename(p)[:-len(".dot")]: p for p in sorted(glob.glob(os.path.join(FIGURES, "*.dot")))}


def embeds():
    """[(handout, 'figures' or 'plots', name)] of every figure and plot shown
    (handouts/README.md is the folder's note, not a handout)."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "handouts", "*.md"))):
        if os.path.basename(path) == "README.md":
            continue
        with open(path) as f:
            for m in EMBED.finditer(f.read()):
                found.append((os.path.basename(path), m.group(2), m.group(3)))
    return found


class Figures(unittest.TestCase):
    def test_every_figure_shown_has_a_source_and_every_source_is_shown(self):
        shown = {name for _, kind, name in embeds() if kind == "figures"}
        self.assertEqual(sorted(shown - set(sources())), [], "figures shown with no handouts/figures/NAME.dot")
        self.assertEqual(sorted(set(sources()) - shown), [], "figures drawn that no handout shows")

    def test_every_plot_shown_is_drawn(self):
        drawn = {p[:-len(".svg")] for p in benchplots.PLOTS}
        for handout, kind, name in embeds():
            if kind == "plots":
                self.assertIn(name, drawn, "%s shows plots/%s.svg, which tools/benchplots.py does not draw"
                              % (handout, name))

    def test_the_labs_show_figures(self):
        per = {}
        for handout, kind, _ in embeds():
            per.setdefault(handout, set()).add(kind)
        for lab in ("lab1.md", "lab2.md", "lab3.md"):
            self.assertEqual(per.get(lab), {"figures", "plots"}, lab)

    def test_every_source_draws_without_a_warning(self):
        for name, path in sources().items():
            r = subprocess.run(["dot", "-Tsvg", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual((r.returncode, r.stderr), (0, ""), name)
            self.assertIn("<svg", r.stdout, name)

    def test_every_hypervisor_file_a_figure_names_exists(self):
        missing = []
        for name, path in sources().items():
            with open(path) as f:
                for hv in sorted(set(HV_PATH.findall(f.read()))):
                    if not os.path.exists(os.path.join(ROOT, hv)):
                        missing.append("handouts/figures/%s.dot: %s" % (name, hv))
        self.assertEqual(missing, [], "figures name hypervisor files that are not in the tree")


if __name__ == "__main__":
    unittest.main()
