#!/usr/bin/env python3
"""benchplots.py: `make bench`'s figures drawn as plots for the handouts.

    tools/benchplots.py --out DIR [--results FILE]

writes five SVG files into DIR, made from a results file in make bench's
form (RESULTS; default handouts/bench.json, the reference's figures):

  guest-cost.svg        each guest benchmark's cycles per operation in each
                        mode under the hypervisor, relative to native Bochs
                        (log scale)
  exits.svg             the VM exits of a whole bench=all run, per exit
                        reason and mode (log scale)
  cpuid-round-trip.svg  the CPUID round trip with EPT split into its parts
                        (tests/bench/guest.py, round_trip)
  ticks-by-policy.svg   lab 4: the timer probe's ticks against wall time under
                        each missed-tick policy, beside a VM that spins
                        (tests/bench/timer.py, its "policies")
  schedule.svg          lab 4: the same run's two VMs on one CPU as a
                        timeline of their turns (timer_mode=catchup), the
                        probe's ticks marked on its own

`make handouts` runs it on the last `make bench`'s RESULTS, or on
handouts/bench.json when there is none, so no figure in a plot is typed by
hand. Each plot names the file it was drawn from; a plot whose figures the
file lacks (a student tree leaves out the modes of labs it has not reached)
says so instead of drawing bars.

It needs matplotlib, Debian's python3-matplotlib: make runs it with
PLOT_PYTHON (default /usr/bin/python3, Debian's own Python, which may not
be the kit's $(PYTHON)). The figures are read without matplotlib
(cost_bars, exit_bars, trip_parts, policy_steps, schedule_bars), so they
are tested anywhere.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchfigures  # noqa: E402  (also puts tests/bench on the path)
import guest  # noqa: E402

PLOTS = ("guest-cost.svg", "exits.svg", "cpuid-round-trip.svg", "ticks-by-policy.svg", "schedule.svg")
# One colour per mode, the same in every plot (matplotlib's default cycle).
MODE_COLOURS = {"ept": "#1f77b4", "shadow": "#ff7f0e", "deprivileged": "#2ca02c", "patched": "#d62728",
                "bt": "#e377c2", "pv": "#9467bd", "pv_unbatched": "#8c564b"}
# The missed-tick policies (timer_mode=), in tests/bench/timer.py's order, and their colours.
POLICY_TITLES = [("catchup", "catchup: all, late"), ("merge", "merge: one per gap"),
                 ("discard", "discard: none of a gap's"), ("delay", "delay: its time stands still")]
POLICY_COLOURS = {"catchup": "#1f77b4", "merge": "#ff7f0e", "discard": "#2ca02c", "delay": "#d62728"}
TRIP_PARTS = [("guest_loop", "the guest's loop (native)"),
              ("transitions_and_registers", "VM exit and entry, 15 registers saved and loaded"),
              ("hypervisor", "the hypervisor: vmx_exit to VMRESUME")]


def modes(figures):
    """The modes under the hypervisor that the figures have, in make bench's order."""
    return [m for m in guest.MODE_ARGS if "guest_" + m in figures]


def cost_bars(figures):
    """([benchmark titles], [(mode, its title, [ratio to native or None])])."""
    if "guest_native" not in figures:
        return [], []
    ratio = {m: guest.ratios(figures, m) for m in modes(figures)}
    names = [(n, t) for n, t in benchfigures.BENCH_NAMES if any(n in r for r in ratio.values())]
    return [t for _, t in names], [(m, benchfigures.MODE_TITLES[m], [ratio[m].get(n) for n, _ in names])
                                   for m in ratio]


def exit_bars(figures):
    """([exit reasons, the most frequent first], [(mode, its title, [count])])."""
    exits = {m: figures["guest_" + m].get("exits", {}) for m in modes(figures)}
    total = {}
    for counts in exits.values():
        for reason, n in counts.items():
            total[reason] = total.get(reason, 0) + n
    reasons = sorted(total, key=lambda r: (-total[r], r))
    return reasons, [(m, benchfigures.MODE_TITLES[m], [exits[m].get(r, 0) for r in reasons]) for m in exits]


def trip_parts(figures):
    """[(part, cycles)] of the CPUID round trip, or [] without its figures."""
    trip = guest.round_trip(figures) if "guest_native" in figures else None
    if not trip or "hypervisor" not in trip:
        return []
    return [(title, trip[key]) for key, title in TRIP_PARTS]


def ms(ticks, tsc_hz):
    return ticks * 1000.0 / tsc_hz


def policy_steps(figures):
    """([(policy, title, [ms of wall time], [ticks taken by then])], (end
    ms, periods of wall time by then)): the probe's ticks, each policy a
    staircase, up to the last PIT stop or tick of any, and the line of one
    tick per PIT period of wall time; ([], None) without the figures."""
    runs = figures.get("timer", {}).get("policies", {})
    series, end = [], None
    for name, title in POLICY_TITLES:
        run = runs.get(name)
        if not run:
            continue
        times = [ms(t, run["tsc_hz"]) for t in run["ticks"]]
        series.append((name, title, times, list(range(1, len(times) + 1))))
        last = max([run["wall_elapsed"]] + run["ticks"])      # its PIT's stop, or a late tick
        if end is None or ms(last, run["tsc_hz"]) > end[0]:
            end = (ms(last, run["tsc_hz"]), last / run["period"])
    return series, end


def schedule_bars(figures, policy="catchup"):
    """([(vm, [(start ms, length ms)])], [tick ms]): the turns of the
    `policy` run from the probe's PIT start on, and the probe's ticks."""
    run = figures.get("timer", {}).get("policies", {}).get(policy)
    if not run:
        return [], []
    hz = run["tsc_hz"]
    rows = {}
    for vm, a, b in run["turns"]:
        if b > 0:
            rows.setdefault(vm, []).append((ms(max(a, 0), hz), ms(b - max(a, 0), hz)))
    return sorted(rows.items()), [ms(t, hz) for t in run["ticks"]]


# ------------------------------------------------------------------ drawing

def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("benchplots: %s has no matplotlib: install Debian's python3-matplotlib "
                         "(tools/deps.sh docs) and run it with /usr/bin/python3 (make's PLOT_PYTHON)"
                         % sys.executable)
    matplotlib.use("svg")
    # The same figures give the same file: no date, fixed ids; text stays
    # text (the page's fonts, searchable, smaller).
    matplotlib.rcParams.update({"svg.hashsalt": "hvlab", "svg.fonttype": "none", "font.size": 10,
                                "font.family": ["DejaVu Sans", "sans-serif"]})
    import matplotlib.pyplot as plt
    return plt


def save(plt, fig, ax, path, source):
    fig.text(0.01, 0.01, "from %s" % source, fontsize=8, color="#666666")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": "hvlab tools/benchplots.py"})
    plt.close(fig)


def empty(ax, what, source):
    ax.set_axis_off()
    ax.text(0.5, 0.5, "%s: not in %s\n(make bench makes it)" % (what, source), ha="center", va="center",
            transform=ax.transAxes, color="#666666")


def grouped_bars(ax, labels, series, horizontal):
    width = 0.8 / max(1, len(series))
    for i, (mode, title, values) in enumerate(series):
        pos = [k + (i - (len(series) - 1) / 2) * width for k in range(len(labels))]
        vals = [v if v else 0 for v in values]
        bar = ax.barh if horizontal else ax.bar
        bar(pos, vals, width, label=title, color=MODE_COLOURS.get(mode))


def plot_cost(plt, figures, path, source):
    labels, series = cost_bars(figures)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if not series:
        empty(ax, "the guest benchmarks under the hypervisor", source)
    else:
        grouped_bars(ax, labels, series, horizontal=False)
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.5)             # a mode as cheap as native still shows its bar
        ax.axhline(1, color="#333333", linewidth=0.8)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels([l.replace(" (per iteration)", "") for l in labels], rotation=20, ha="right")
        ax.set_ylabel("cycles per operation / native (log scale)")
        ax.set_title("Each guest benchmark's cost under the hypervisor, relative to native")
        ax.legend(title="mode", fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3)
    save(plt, fig, ax, path, source)


def plot_exits(plt, figures, path, source):
    reasons, series = exit_bars(figures)
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.55 * max(3, len(reasons))))
    if not reasons:
        empty(ax, "the VM exits per reason", source)
    else:
        grouped_bars(ax, reasons, series, horizontal=True)
        ax.set_xscale("log")
        least = min(n for _, _, counts in series for n in counts if n)
        ax.set_xlim(left=10 ** (len(str(least)) - 1) / 2)   # below the least count: every bar shows
        ax.set_yticks(range(len(reasons)))
        ax.set_yticklabels(reasons)
        ax.invert_yaxis()
        ax.set_xlabel("VM exits in a whole bench=all run (log scale)")
        ax.set_title("VM exits per reason, in each mode")
        ax.legend(title="mode", fontsize=9, loc="lower right")
        ax.grid(axis="x", which="major", alpha=0.3)
    save(plt, fig, ax, path, source)


def plot_trip(plt, figures, path, source):
    parts = trip_parts(figures)
    fig, ax = plt.subplots(figsize=(8, 2.8))
    if not parts:
        empty(ax, "the CPUID round trip with EPT", source)
    else:
        left = 0
        for (title, cycles), colour in zip(parts, ("#9e9e9e", "#d62728", "#1f77b4")):
            ax.barh([0], [cycles], height=0.6, left=left, color=colour, label="%s: %d" % (title, cycles))
            left += cycles
        ax.set_yticks([])
        ax.set_ylim(-0.5, 2.3)              # room above the bar for the legend
        ax.set_xlim(0, left)
        ax.set_xlabel("TSC cycles (Bochs: one per instruction); %d in all" % left)
        ax.set_title("One CPUID round trip with EPT, guest to hypervisor and back")
        ax.legend(loc="upper left", fontsize=9, frameon=False)
    save(plt, fig, ax, path, source)


def plot_policies(plt, figures, path, source):
    series, end = policy_steps(figures)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if not series:
        empty(ax, "the timer probe's ticks per missed-tick policy", source)
    else:
        ax.plot([0, end[0]], [0, end[1]], color="#999999", linewidth=1, linestyle="--",
                label="one per PIT period of wall time")
        for name, title, times, counts in series:
            ax.step([0] + times, [0] + counts, where="post", color=POLICY_COLOURS[name],
                    label="%s (%d)" % (title, counts[-1] if counts else 0))
        ax.set_xlim(0, end[0])
        ax.set_ylim(bottom=0)
        ax.set_xlabel("wall time since its PIT started (ms of the TSC)")
        ax.set_ylabel("ticks the guest has taken")
        ax.set_title("A guest's timer ticks beside a VM that spins, per missed-tick policy")
        ax.legend(fontsize=9, loc="upper left")
        ax.grid(alpha=0.3)
    save(plt, fig, ax, path, source)


def plot_schedule(plt, figures, path, source):
    rows, tick_times = schedule_bars(figures)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    if not rows:
        empty(ax, "the two VMs' turns", source)
    else:
        colours = ("#1f77b4", "#9e9e9e")
        for i, (vm, bars) in enumerate(rows):
            ax.broken_barh(bars, (i - 0.35, 0.7), color=colours[i % 2], label="vm%d's turns" % vm)
        ax.plot(tick_times, [0] * len(tick_times), linestyle="none", marker="|", markersize=14, color="#d62728",
                label="vm0's ticks (timer_mode=catchup)")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(["vm%d" % vm for vm, _ in rows])
        ax.set_ylim(-0.6, len(rows) + 0.4)
        ax.invert_yaxis()
        right = max(a + w for _, bars in rows for a, w in bars)
        ax.set_xlim(0, right)
        ax.set_xlabel("wall time since vm0's PIT started (ms of the TSC)")
        ax.set_title("Two VMs on one CPU: turns of the VMX-preemption timer")
        ax.legend(fontsize=9, loc="lower right", ncol=2, frameon=False)
    save(plt, fig, ax, path, source)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=benchfigures.FIGURES,
                    help="make bench's RESULTS file (default: handouts/bench.json)")
    ap.add_argument("--out", required=True, help="the folder the SVG files go to")
    a = ap.parse_args(argv)
    try:
        with open(a.results) as f:
            figures = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit("benchplots: cannot read %s: %s" % (a.results, e))
    if not isinstance(figures, dict):
        raise SystemExit("benchplots: %s is not make bench's results (a JSON object)" % a.results)
    source = os.path.relpath(os.path.abspath(a.results), ROOT)
    plt = pyplot()
    os.makedirs(a.out, exist_ok=True)
    for name, draw in zip(PLOTS, (plot_cost, plot_exits, plot_trip, plot_policies, plot_schedule)):
        draw(plt, figures, os.path.join(a.out, name), source)
    print("benchplots: %d plots in %s from %s" % (len(PLOTS), a.out, source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
