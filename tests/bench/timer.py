#!/usr/bin/env python3
"""timer.py: lab 4's benchmark for `make bench`: the virtual timer and two VMs on one CPU.

Every run is the hypervisor in Bochs with devices=virtual and EPT, whose
TSC counts emulated instructions: each figure is exact and the same on
every run and every machine.
  - ticks: badguest's timer probe (do=ticks,...,quiet: its PIT at HZ, IRQ 0
    alone open, tests/kernels/badguest/ticks.c) alone in its VM, halting
    between ticks or computing, at 100 Hz and 1000 Hz: the VM exits and
    the hypervisor's cycles per delivered tick (its "hv: exits:" lines,
    and the ticks its devices line says it injected). Each is the
    difference of two runs, one twice as long as the other, so that the
    boot's exits and its console lines fall out. Goal: at most 2.5 exits
    per tick.
  - guest: the guest OS's benchmarks (bench=all, as guest.py runs them;
    its PIT at 100 Hz) with devices=virtual against devices=machine, the
    machine's PIT and PICs passed through: ratios, and each run's exits
    per reason. Goal: within 5%.
  - schedule: two CPU-bound guests (badguest do=spin, one with half the
    other's work) in turns of 10 ms: what a switch between VMs costs (the
    schedule's line), and fairness: the ratio of the TSC charged to each
    while both could run (sched_trace=1's turn record).
  - policies: the probe computing beside a VM that spins, under each
    missed-tick policy, as tests/integration/timer_cases.py runs it: its
    ticks against wall time, and the turns, for tools/benchplots.py's
    ticks-by-policy.svg and schedule.svg.
Figures only: nothing here passes or fails on speed. Merged into the
results JSON under "timer". A student tree before lab 4 leaves it out, in
one line.
"""
import argparse
import os
import re
import sys
import tempfile

import benchrun
import guest
from results import merge, read

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import studenttree  # noqa: E402
import ticks  # noqa: E402

BUILD = os.path.join(ROOT, "build")
HV = os.path.join(BUILD, "hv", "hv.elf")
BADGUEST = os.path.join(BUILD, "tests", "badguest.elf")
VIRTUAL = ["devices=virtual"]
LAB = studenttree.lab_of_options(VIRTUAL)
COLUMNS = ("ticks", "guest", "schedule", "policies")
RATES = (100, 1000)
HOWS = ("hlt", "spin")
HOW_TITLES = {"hlt": "halting", "spin": "computing"}
STRETCHES_K = (1000, 2000)         # thousands of TSC ticks: two runs, one twice the other
EXITS_PER_TICK_GOAL = 2.5
GUEST_GOAL = 1.05
POLICIES = ("catchup", "merge", "discard", "delay")
# The probe beside a spinning VM, as tests/integration/timer_cases.py has it.
PROBE_HZ, PROBE_STRETCH_K, PROBE_QUANTUM_MS = 100, 2000, 27
SPIN_WORK = (10, 20)               # do=spin=N: millions of turns of each CPU-bound guest
RUN_TIMEOUT = 600
EXIT_TOTAL = re.compile(r"^hv: exits: (\d+) in all, (\d+) cycles in the hypervisor$", re.M)


def columns():
    """The columns this tree runs: none before lab 4, in one line."""
    if not studenttree.reached(ROOT, LAB):
        print(studenttree.left_out_note(ROOT, "timer", list(COLUMNS)))
        return []
    return list(COLUMNS)


def boot(argv, tmp, what, timeout=120):
    """One run's console; a run that fails stops the benchmark in one line."""
    log, js = os.path.join(tmp, "console.log"), os.path.join(tmp, "run.json")
    fast = "fast" if os.path.exists(os.path.join(BUILD, "loader", "stage2.bin")) else "grub"
    outcome = benchrun.boot(["--emu", "bochs", "--boot", fast, "--timeout", str(timeout), "--log", log] + argv,
                            js, what)
    console = open(log).read() if os.path.exists(log) else ""
    if outcome["status"] != 0:
        raise SystemExit("bench: the %s run failed: %s: see its console with tools/hvrun %s" % (
            what, outcome["summary"], " ".join(argv)))
    return console


def exit_counts(console):
    """(exits, hypervisor cycles, {reason: exits}) of VM 0's run."""
    total = EXIT_TOTAL.search(console)
    return int(total.group(1)), int(total.group(2)), {m.group(1): int(m.group(2))
                                                      for m in guest.EXIT_LINE.finditer(console)}


def cycles_per_exit(console):
    """{reason: the hypervisor's cycles per exit} of VM 0's run."""
    return {m.group(1): round(int(m.group(3)) / int(m.group(2))) for m in guest.EXIT_LINE.finditer(console)
            if int(m.group(2))}


def injected(console):
    """Interrupts injected into VM 0 (its devices line)."""
    for m in ticks.DEVICES_RE.finditer(console):
        if not m.group(1):
            return int(m.group(6))
    raise SystemExit("bench: a timer run printed no devices line")


def tick_costs(tmp):
    """{"100-hlt": {...}, ...}: exits and cycles per tick, from two runs."""
    out = {}
    for hz in RATES:
        for how in HOWS:
            runs = []
            for stretch in STRETCHES_K:
                console = boot(["--module", "%s do=ticks=%d,%d,%s,quiet" % (BADGUEST, hz, stretch, how), HV, "--"]
                               + VIRTUAL + ["guestmem=16"], tmp, "ticks %d Hz %s" % (hz, how))
                runs.append((injected(console),) + exit_counts(console))
            (t1, e1, c1, r1), (t2, e2, c2, r2) = runs
            dt = t2 - t1
            out["%d-%s" % (hz, how)] = {
                "hz": hz, "how": how, "ticks": dt, "exits_per_tick": round((e2 - e1) / dt, 3),
                "cycles_per_tick": round((c2 - c1) / dt), "exits_per_tick_by_reason": {
                    r: round((r2.get(r, 0) - r1.get(r, 0)) / dt, 3) for r in sorted(set(r1) | set(r2))
                    if r2.get(r, 0) != r1.get(r, 0)}}
    return out


def guest_os(tmp):
    """The guest OS's benchmarks with the machine's PIT and PIC and with the VM's."""
    out = {}
    for devices in ("machine", "virtual"):
        argv = ["--module", guest.GUEST + " bench=all"] + guest.bench_modules() + [HV, "--", "mem=ept",
                                                                                   "devices=" + devices]
        console = boot(argv, tmp, "guest OS bench=all devices=%s" % devices, RUN_TIMEOUT)
        figures = {m.group(1): int(m.group(2)) for m in guest.BENCH_LINE.finditer(console)}
        missing = sorted(set(guest.bench_names()) - set(figures))
        if missing:
            raise SystemExit("bench: the devices=%s run printed no figure for %s" % (devices, ", ".join(missing)))
        total, cycles, reasons = exit_counts(console)
        out[devices] = {"cycles_per_op": figures, "exits": reasons, "exit_cycles": cycles,
                        "cycles_per_exit": cycles_per_exit(console)}
    out["ratio"] = {n: round(out["virtual"]["cycles_per_op"][n] / c, 3)
                    for n, c in out["machine"]["cycles_per_op"].items() if c}
    return out


def schedule(tmp):
    """A switch's cost and the fairness of two CPU-bound guests."""
    argv = [a for n in SPIN_WORK for a in ("--module", "%s do=spin=%d" % (BADGUEST, n))]
    console = boot(argv + [HV, "--"] + VIRTUAL + ["vms=2", "guestmem=16", "sched_trace=1"], tmp, "two spinning VMs")
    m = ticks.SWITCHES_RE.search(console)
    record = ticks.turns(console)
    # Both could run until the first one stopped: its last turn's end.
    first_end = min(max(b for v, _, b in record if v == vm) for vm in (0, 1))
    charged = [sum(b - a for v, a, b in record if v == vm and b <= first_end) for vm in (0, 1)]
    return {"switches": int(m.group(1)), "switch_cycles": int(m.group(2)), "switch_min": int(m.group(3)),
            "switch_max": int(m.group(4)), "charged_while_both_ran": charged,
            "fairness": round(charged[0] / charged[1], 4), "turns_while_both_ran":
            [sum(1 for v, _, b in record if v == vm and b <= first_end) for vm in (0, 1)]}


def policy_run(policy, tmp):
    """The probe beside a spinning VM under `policy`: its ticks and the
    turns, in TSC ticks of wall time from its PIT's start."""
    probe_arg = "%s do=ticks=%d,%d" % (BADGUEST, PROBE_HZ, PROBE_STRETCH_K)
    console = boot(["--module", probe_arg, "--module", "%s do=spin=3" % BADGUEST, HV, "--"] + VIRTUAL +
                   ["vms=2", "guestmem=16", "quantum=%d" % PROBE_QUANTUM_MS, "sched_trace=1",
                    "timer_mode=" + policy], tmp, "ticks under timer_mode=%s" % policy)
    probe = ticks.Probe(console)
    mine = ticks.turns(console, 0)
    gturns = ticks.guest_turns(mine, probe.tsc_run)
    host = [ticks.to_host(t, gturns) for t in [probe.load_b, probe.stop_a, probe.end] + probe.ticks]
    if None in host:
        raise SystemExit("bench: the timer_mode=%s run's probe read a TSC outside its turns" % policy)
    start, stop, end = host[:3]
    # The periods of its time, read off its own TSC: wall time (tsc=wall)
    # under catchup, merge and discard, its own run time under delay.
    _, sure = probe.edges()
    return {"taken": probe.taken, "periods_of_its_time": sure, "tsc_hz": probe.tsc_hz,
            "period": round(float(probe.period), 1), "guest_elapsed": probe.stop_a - probe.load_b,
            "wall_elapsed": stop - start, "end": end - start, "ticks": [t - start for t in host[3:]],
            # the schedule plot's: one run's turns are enough
            "turns": [[v, a - start, b - start] for v, a, b in ticks.turns(console) if a < end]
            if policy == "catchup" else []}


def policies(tmp):
    return {p: policy_run(p, tmp) for p in POLICIES}


RUNS = {"ticks": tick_costs, "guest": guest_os, "schedule": schedule, "policies": policies}


def report(figures):
    """make bench's report of the timer figures, as lines, from the
    results file's "timer" object."""
    lines = []
    t = figures.get("ticks")
    if t:
        lines.append("timer: VM exits and hypervisor cycles per delivered tick (devices=virtual, EPT; the "
                     "probe alone; the difference of two runs)")
        lines.append("  %-8s %-10s %10s %12s  %s" % ("rate", "guest", "exits/tick", "cycles/tick", "exits per reason"))
        for key, f in t.items():
            by = ", ".join("%s %.2f" % (r, n) for r, n in f["exits_per_tick_by_reason"].items())
            lines.append("  %-8s %-10s %10.2f %12d  %s" % ("%d Hz" % f["hz"], HOW_TITLES[f["how"]],
                                                            f["exits_per_tick"], f["cycles_per_tick"], by))
        for key, f in t.items():
            lines.append("BENCH timer_exits_per_tick hz=%d guest=%s exits=%.2f goal<=%.1f %s" % (
                f["hz"], HOW_TITLES[f["how"]], f["exits_per_tick"], EXITS_PER_TICK_GOAL,
                "met" if f["exits_per_tick"] <= EXITS_PER_TICK_GOAL else "NOT met"))
    g = figures.get("guest")
    if g:
        lines.append("timer: the guest OS's benchmarks (TSC cycles per operation, its PIT at 100 Hz), EPT")
        lines.append("  %-12s %12s %12s %10s" % ("benchmark", "machine", "virtual", "virt./mach."))
        for name, ratio in sorted(g["ratio"].items()):
            lines.append("  %-12s %12d %12d %9.2fx" % (name, g["machine"]["cycles_per_op"][name],
                                                      g["virtual"]["cycles_per_op"][name], ratio))
        for devices in ("machine", "virtual"):
            lines.append("  exits, whole run, devices=%s: %s; %d cycles in the hypervisor" % (
                devices, ", ".join("%s %d" % rn for rn in sorted(g[devices]["exits"].items())),
                g[devices]["exit_cycles"]))
        worst = max((r, n) for n, r in g["ratio"].items() if n != "cpuid")
        lines.append("BENCH timer_guest_ratio worst=%s ratio=%.3f goal<=%.2f %s (cpuid, the exit round trip "
                     "itself: %.2f)" % (worst[1], worst[0], GUEST_GOAL, "met" if worst[0] <= GUEST_GOAL else "NOT met",
                                        g["ratio"].get("cpuid", 0)))
    s = figures.get("schedule")
    if s:
        lines.append("BENCH vm_switch cycles=%d min=%d max=%d switches=%d" % (
            s["switch_cycles"], s["switch_min"], s["switch_max"], s["switches"]))
        lines.append("BENCH fairness ratio=%.4f vm0=%d vm1=%d (TSC charged while both ran)" % (
            s["fairness"], s["charged_while_both_ran"][0], s["charged_while_both_ran"][1]))
    p = figures.get("policies")
    if p:
        lines.append("timer: the probe's ticks beside a spinning VM (%d Hz, turns of %d ms), per missed-tick policy"
                     % (PROBE_HZ, PROBE_QUANTUM_MS))
        lines.append("  %-8s %8s %16s %16s %16s" % ("policy", "ticks", "periods (its time)", "its TSC elapsed",
                                                   "wall elapsed"))
        for name, f in p.items():
            lines.append("  %-8s %8d %16d %16d %16d" % (name, f["taken"], f["periods_of_its_time"],
                                                      f["guest_elapsed"], f["wall_elapsed"]))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(BUILD, "bench", "results.json"))
    ap.add_argument("--columns", action="store_true", help="name the columns this tree runs, run none")
    ap.add_argument("--only", action="append", choices=COLUMNS, help="run only these columns (default: all)")
    a = ap.parse_args()
    run = [c for c in columns() if not a.only or c in a.only]
    if a.columns:
        print("timer: columns: " + " ".join(run))
        return 0
    if not run:
        return 0
    results = read(a.results)
    figures = dict(results.get("timer", {}))
    with tempfile.TemporaryDirectory() as tmp:
        for column in run:
            figures[column] = RUNS[column](tmp)
    for line in report(figures):
        print(line)
    merge(a.results, "timer", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
