"""test_benchplots.py: the plots of make bench's figures (tools/benchplots.py)
on a small results file made here: the figures each plot reads, and the SVG
files Debian's matplotlib draws from them (PLOT_PYTHON, /usr/bin/python3 as
in make handouts)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchplots  # noqa: E402

PLOT_PYTHON = os.environ.get("PLOT_PYTHON", "/usr/bin/python3")


def bench(cycles):
    return {n: {"cycles_per_op": c, "iterations": 100, "runs": 1} for n, c in cycles.items()}


# Two modes, two benchmarks and CPUID: a student tree of lab 2.
RESULTS = {
    "guest_native": {"bochs-fast": bench({"null": 100, "forkwait": 50000, "cpuid": 5})},
    "guest_ept": {"column": "bochs-fast-hv-ept", "results": bench({"null": 101, "forkwait": 51000, "cpuid": 120}),
                  "exits": {"CPUID": 5000, "I/O instruction": 1000},
                  "exit_cycles": {"CPUID": 350000, "I/O instruction": 90000}},
    "guest_shadow": {"column": "bochs-fast-hv-shadow",
                     "results": bench({"null": 110, "forkwait": 60000, "cpuid": 130}),
                     "exits": {"CPUID": 5000, "exception or NMI": 40000, "INVLPG": 7},
                     "exit_cycles": {"CPUID": 360000}},
    # Lab 4 (tests/bench/timer.py): two policies' probe runs, a 4 MHz TSC,
    # a period of 40,000 ticks (10 ms); catchup's turns: vm0, vm1, vm0.
    "timer": {"policies": {
        "catchup": {"tsc_hz": 4000000, "period": 40000.0, "wall_elapsed": 100000, "end": 120000,
                    "ticks": [40400, 82000, 84000], "turns": [[0, -5000, 40000], [1, 40300, 80000],
                                                               [0, 80300, 120000]]},
        "delay": {"tsc_hz": 4000000, "period": 40000.0, "wall_elapsed": 160000, "end": 200000,
                  "ticks": [40400, 120500], "turns": []}}},
}


class Figures(unittest.TestCase):
    def test_cost_bars_are_ratios_to_native_in_make_benchs_order(self):
        labels, series = benchplots.cost_bars(RESULTS)
        self.assertEqual(labels, ["null system call", "fork + exit + wait", "CPUID"])
        self.assertEqual([(m, t) for m, t, _ in series], [("ept", "EPT"), ("shadow", "shadow")])
        self.assertEqual(series[0][2], [1.01, 1.02, 24.0])
        self.assertEqual(series[1][2], [1.1, 1.2, 26.0])

    def test_exit_bars_most_frequent_reason_first_and_zero_where_a_mode_has_none(self):
        reasons, series = benchplots.exit_bars(RESULTS)
        self.assertEqual(reasons, ["exception or NMI", "CPUID", "I/O instruction", "INVLPG"])
        self.assertEqual(series[0][2], [0, 5000, 1000, 0])
        self.assertEqual(series[1][2], [40000, 5000, 0, 7])

    def test_the_round_trips_parts_add_up_to_the_trip(self):
        parts = benchplots.trip_parts(RESULTS)
        # The hypervisor's own count per exit, the native loop, and the rest.
        self.assertEqual([c for _, c in parts], [5, 45, 70])
        self.assertEqual(sum(c for _, c in parts), 120)

    def test_policy_steps_count_each_policys_ticks_in_wall_time(self):
        series, end = benchplots.policy_steps(RESULTS)
        self.assertEqual([(p, times, counts) for p, _, times, counts in series],
                         [("catchup", [10.1, 20.5, 21.0], [1, 2, 3]), ("delay", [10.1, 30.125], [1, 2])])
        # Up to the later PIT stop (delay's, 40 ms), where four periods of wall time have passed.
        self.assertEqual(end, (40.0, 4.0))

    def test_schedule_bars_are_each_vms_turns_from_the_pit_start(self):
        rows, tick_times = benchplots.schedule_bars(RESULTS)
        self.assertEqual(rows, [(0, [(0.0, 10.0), (20.075, 9.925)]), (1, [(10.075, 9.925)])])
        self.assertEqual(tick_times, [10.1, 20.5, 21.0])

    def test_a_file_without_the_figures_gives_no_bars(self):
        only_native = {"guest_native": RESULTS["guest_native"]}
        self.assertEqual(benchplots.cost_bars(only_native)[1], [])
        self.assertEqual(benchplots.exit_bars(only_native), ([], []))
        self.assertEqual(benchplots.trip_parts(only_native), [])
        self.assertEqual(benchplots.cost_bars({}), ([], []))
        self.assertEqual(benchplots.policy_steps(only_native), ([], None))
        self.assertEqual(benchplots.schedule_bars(only_native), ([], []))


class Drawing(unittest.TestCase):
    def draw(self, figures, out="plots"):
        if not hasattr(self, "tmp"):
            self.tmp = tempfile.mkdtemp(prefix="hvlab-plots-")
            self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])
        results = os.path.join(self.tmp, "results.json")
        with open(results, "w") as f:
            json.dump(figures, f)
        out = os.path.join(self.tmp, out)
        r = subprocess.run([PLOT_PYTHON, os.path.join(ROOT, "tools", "benchplots.py"), "--results", results,
                            "--out", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)
        svgs = {}
        for name in benchplots.PLOTS:
            with open(os.path.join(out, name)) as f:
                svgs[name] = f.read()
            ET.fromstring(svgs[name])          # well-formed SVG
        return svgs, results

    def text(self, svg):
        """The words of an SVG (matplotlib keeps text as text: svg.fonttype none)."""
        return " ".join(t.text or "" for t in ET.fromstring(svg).iter() if t.tag.endswith("text"))

    def test_the_svg_plots_name_their_figures_and_their_file(self):
        svgs, results = self.draw(RESULTS)
        cost = self.text(svgs["guest-cost.svg"])
        for word in ("null system call", "fork + exit + wait", "EPT", "shadow", "log scale"):
            self.assertIn(word, cost)
        self.assertIn("INVLPG", self.text(svgs["exits.svg"]))
        self.assertIn("120 in all", self.text(svgs["cpuid-round-trip.svg"]))
        self.assertIn("catchup: all, late (3)", self.text(svgs["ticks-by-policy.svg"]))
        self.assertIn("vm1", self.text(svgs["schedule.svg"]))
        for name, svg in svgs.items():
            self.assertIn(os.path.relpath(results, ROOT), self.text(svg), name)

    def test_the_same_figures_draw_the_same_files(self):
        self.assertEqual(self.draw(RESULTS, "first")[0], self.draw(RESULTS, "second")[0])

    def test_missing_figures_are_said_not_drawn(self):
        svgs, _ = self.draw({"guest_native": RESULTS["guest_native"]})
        for name, svg in svgs.items():
            self.assertIn("make bench makes it", self.text(svg), name)


if __name__ == "__main__":
    unittest.main()
