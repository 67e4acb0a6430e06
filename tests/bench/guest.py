#!/usr/bin/env python3
"""guest.py: the guest OS's own benchmarks, natively and under the hypervisor.

Boots the guest kernel with bench=all (guestos/README.md: null system call,
fork+exit+wait, demand-zero page fault, context switch, compute loop, pipe
ping-pong, CPUID) and collects its "BENCH name cycles=N iterations=M" lines:
  - natively under Bochs, where `clock: sync=none` makes the TSC count
    emulated instructions: the figures are exact and the same on every run;
  - natively under QEMU TCG, where the TSC follows the host clock: the median
    of a few runs, for comparison only;
  - under the hypervisor in Bochs, with EPT (lab 1), with shadow paging
    (mem=shadow, lab 2) and with the guest kernel deprivileged to ring 1
    (cpu=deprivileged, lab 3), also with its sensitive instructions patched
    (patch=1), and its PV build paravirtualised (cpu=pv, lab 5: direct
    paging, hypercalls; its page-table updates batched, and one hypercall
    each with pvbatch=0): exact again, and shown as ratios to native Bochs,
    with the VM exits per reason of each whole run. The CPUID benchmark
    under the hypervisor is the VM-exit round trip, guest to hypervisor and
    back. Goals: fork+exit+wait at most 1.3x native with EPT, 3x with
    shadow paging; under PV, the null system call within 10% of native,
    fork+exit+wait and the context switch below shadow paging's.
Figures only: nothing here passes or fails on speed. Merged into the results
JSON under "guest_native" and "guest_" + each mode of MODE_ARGS.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

import benchrun
from results import merge, read

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import studenttree  # noqa: E402

BUILD = os.path.join(ROOT, "build")
GUEST = os.path.join(BUILD, "guestos", "kernel.elf")
GUEST_PV = os.path.join(BUILD, "guestos-pv", "kernel.elf")
HV = os.path.join(BUILD, "hv", "hv.elf")
USER = os.path.join(BUILD, "guestos", "user")
BENCH_LINE = re.compile(r"^BENCH (\S+) cycles=(\d+) iterations=(\d+)$", re.M)
EXIT_LINE = re.compile(r"^hv: exits: (.+?) +(\d+) exits +(\d+) cycles", re.M)
# bt=1's translator (hv/depriv/depriv_bt.c): blocks translated, exits by
# kind, translations asked for at exits and found in the cache.
BT_LINE = re.compile(r"^hv: bt: (\d+) blocks translated .*exits: (\d+) branch, (\d+) lookup, (\d+) emulate, "
                     r"(\d+) interrupt, (\d+) sti, (\d+) fault, (\d+) no-code;.*; (\d+) translations asked "
                     r"for at exits, (\d+) found in the cache\b", re.M)
BT_KEYS = ("blocks", "branch", "lookup", "emulate", "interrupt", "sti", "fault", "no_code", "asked", "found")
HYPERCALL_LINE = re.compile(r"^hv: hypercalls: (\S+) +(\d+) calls +(\d+) in multicalls +(\d+) requests", re.M)
GOALS = {"forkwait": {"ept": 1.3, "shadow": 3.0, "bt": 2.0}, "null": {"pv": 1.1, "bt": 5.0},
         "ctxswitch": {"bt": 4.0}}
# PV against shadow paging (issue 19): the two answers to the MMU without EPT.
GOALS_AGAINST = {("forkwait", "pv", "shadow"), ("ctxswitch", "pv", "shadow")}
# The hypervisor's options for each mode under it: labs 1-3's, the guest
# taking the machine's PIT interrupts itself (lab 4's virtual devices, the
# default where lab 4 is done, are measured against these by timer.py).
MODE_ARGS = {"ept": ["mem=ept", "devices=machine"], "shadow": ["mem=shadow", "devices=machine"],
             "deprivileged": ["mem=shadow", "cpu=deprivileged", "devices=machine"],
             "patched": ["mem=shadow", "cpu=deprivileged", "patch=1", "devices=machine"],
             "bt": ["mem=shadow", "cpu=deprivileged", "bt=1", "devices=machine"],
             "pv": ["cpu=pv"], "pv_unbatched": ["cpu=pv"]}
# The modes that boot the guest OS's PV build (guestos/README.md), and the
# guest options a mode adds to bench=all.
MODE_KERNEL = {"pv": GUEST_PV, "pv_unbatched": GUEST_PV}
# The modes whose benchmarks are also booted one by one for their costs per
# operation: the PV kernels' hypercalls, the translator's exits and misses.
PER_OPERATION = set(MODE_KERNEL) | {"bt"}
MODE_GUEST_ARGS = {"pv_unbatched": ["pvbatch=0"]}
# Operations per iteration its BENCH line counts, where it is not one: each
# of bench_ctxswitch.c's iterations is two switches (it halves its cycles).
OPS_PER_ITERATION = {"ctxswitch": 2}
RUN_TIMEOUT = 600      # seconds: the slowest mode's whole bench=all run takes minutes
MODE_HEADINGS = {"ept": "EPT/native", "shadow": "shadow/nat.", "deprivileged": "ring1/nat.",
                 "patched": "patched/nat.", "bt": "BT/nat.", "pv": "PV/nat.", "pv_unbatched": "PV-1by1/n."}


def routes(only=None):
    """(emulator, loader, runs, under the hypervisor: None or a MODE_ARGS
    key) for each column this tree can run: a student tree leaves out the
    modes of the labs it has not reached (their stubs panic), in one line.
    only: the columns wanted by name ("native" is Bochs natively, "qemu"
    QEMU natively, else a mode), None for all."""
    fast = "fast" if os.path.exists(os.path.join(BUILD, "loader", "stage2.bin")) else "grub"
    later = [m for m in MODE_ARGS if not studenttree.reached(ROOT, studenttree.lab_of_options(MODE_ARGS[m]))]
    note = studenttree.left_out_note(ROOT, "guest: columns", later)
    if note:
        print(note)
    return [r for r in all_routes(fast) if r[3] not in later and (only is None or column_name(r) in only)]


def column_name(route):
    """A route's name for --only: its mode, or native (Bochs) / qemu."""
    return route[3] or ("native" if route[0] == "bochs" else route[0])


def all_routes(fast):
    return [("bochs", fast, 1, None), ("qemu", "kernel", 3, None), ("bochs", fast, 1, "ept"),
            ("bochs", fast, 1, "shadow"), ("bochs", fast, 1, "deprivileged"), ("bochs", fast, 1, "patched"),
            ("bochs", fast, 1, "bt"), ("bochs", fast, 1, "pv"), ("bochs", fast, 1, "pv_unbatched")]


# The benchmarks to run (--benchmarks): None for every bench_*.elf.
CHOSEN = None


def bench_files():
    names = sorted(f for f in os.listdir(USER) if f.startswith("bench_") and f.endswith(".elf")
                   and (CHOSEN is None or f[len("bench_"):-len(".elf")] in CHOSEN))
    if not names:
        raise SystemExit("bench: no benchmark programs in %s: run `make` first" % USER)
    return names


def bench_names():
    """The benchmarks' names as their BENCH lines give them (bench_null.elf: null)."""
    return [f[len("bench_"):-len(".elf")] for f in bench_files()]


def bench_modules(names=None):
    """--module arguments for the benchmarks `names` (default: every one chosen)."""
    argv = []
    for n in bench_files():
        if names is None or n[len("bench_"):-len(".elf")] in names:
            argv += ["--module", os.path.join(USER, n)]
    return argv


def rerun_hint(emu, boot, under_hv):
    """The make command that shows the console of a failed benchmark run."""
    if under_hv in MODE_KERNEL:
        return "see its console with tools/hvrun --timeout %d --module '%s' %s %s -- %s" % (
            RUN_TIMEOUT, guest_module(under_hv), " ".join(bench_modules()), HV, " ".join(MODE_ARGS[under_hv]))
    if under_hv:
        return 'see its console with make run GUEST_ARGS=bench=all ARGS="%s" TIMEOUT=%d' % (
            " ".join(MODE_ARGS[under_hv]), RUN_TIMEOUT)
    return "see its console with make run-native ARGS=bench=all NATIVE_EMU=%s NATIVE_BOOT=%s TIMEOUT=%d" % (
        emu, boot, RUN_TIMEOUT)


def guest_module(under_hv):
    """The guest kernel's module string under the hypervisor in a mode."""
    return " ".join([MODE_KERNEL.get(under_hv, GUEST), "bench=all"] + MODE_GUEST_ARGS.get(under_hv, []))


def run_once(emu, boot, tmp, under_hv, exits=None, exit_cycles=None, names=None, hypercalls=None, bt=None):
    """One boot with bench=all: {name: (cycles per op, iterations)}; the
    hypervisor's exits per reason go into `exits`, and the cycles it spent
    on them (its own count, vmx_entry.S) into `exit_cycles`, a PV guest's
    hypercalls per call (hypercalls: {call: made, by VMCALL or in a
    multicall}) into `hypercalls`, bt=1's translator counts (BT_KEYS) into
    `bt`. names: the benchmarks to boot (default:
    every one chosen; [] boots none, the cost of the boot alone)."""
    names = bench_names() if names is None else names
    log, js = os.path.join(tmp, "console.log"), os.path.join(tmp, "run.json")
    if under_hv:
        kernel = ["--module", guest_module(under_hv)] + bench_modules(names) + [HV, "--"] + MODE_ARGS[under_hv]
    else:
        kernel = bench_modules(names) + [GUEST, "--", "bench=all"]
    outcome = benchrun.boot(["--emu", emu, "--boot", boot, "--timeout", str(RUN_TIMEOUT), "--log", log] + kernel, js,
                          "%s/%s" % (emu, boot))
    console = open(log).read() if os.path.exists(log) else ""
    if outcome["status"] != 0:
        raise SystemExit("bench: the %s/%s run failed: %s: %s" % (emu, boot, outcome["summary"],
                                                                  rerun_hint(emu, boot, under_hv)))
    figures = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in BENCH_LINE.finditer(console)}
    # A benchmark that printed no figure failed inside the guest (its program
    # stopped, or the guest OS never ran it): a table with a hole in it would
    # read as a result, so the run fails and names it.
    missing = sorted(set(names) - set(figures))
    if missing:
        raise SystemExit("bench: the %s/%s run printed no figure for %s: %s" % (
            emu, boot, ", ".join(missing), rerun_hint(emu, boot, under_hv)))
    if exits is not None:
        exits.update({m.group(1): int(m.group(2)) for m in EXIT_LINE.finditer(console)})
    if exit_cycles is not None:
        exit_cycles.update({m.group(1): int(m.group(3)) for m in EXIT_LINE.finditer(console)})
    if hypercalls is not None:
        hypercalls.update({m.group(1): int(m.group(2)) + int(m.group(3)) for m in HYPERCALL_LINE.finditer(console)})
    if bt is not None:
        m = BT_LINE.search(console)
        if m:
            bt.update(zip(BT_KEYS, map(int, m.groups())))
    return figures


def per_operation(emu, boot, tmp, mode):
    """What one operation of each benchmark costs the hypervisor in `mode`:
    {benchmark: {"exits": per op, "vmcalls": per op, "hypercalls": {call:
    per op}}}. Each benchmark boots alone, and a boot with none is taken
    off, so what is left is the benchmark's own (its program's start and
    end too, a few hundred exits over thousands of operations)."""
    def counts(names):
        exits, calls, bt = {}, {}, {}
        figures = run_once(emu, boot, tmp, mode, exits, names=names, hypercalls=calls, bt=bt)
        return figures, exits, calls, bt
    _, exits0, calls0, bt0 = counts([])
    out = {}
    for name in bench_names():
        figures, exits, calls, bt = counts([name])
        n = figures[name][1] * OPS_PER_ITERATION.get(name, 1)
        per = lambda a, b: {k: round((a.get(k, 0) - b.get(k, 0)) / n, 3) for k in set(a) | set(b)
                            if round((a.get(k, 0) - b.get(k, 0)) / n, 3)}
        e = per(exits, exits0)
        out[name] = {"exits": round(sum(e.values()), 3), "vmcalls": e.get("VMCALL", 0.0),
                     "exits_by_reason": e, "hypercalls": per(calls, calls0)}
        if bt:
            asked, found = bt["asked"] - bt0.get("asked", 0), bt["found"] - bt0.get("found", 0)
            out[name]["translator"] = per(bt, bt0)
            out[name]["tc_hit_rate"] = round(found / asked, 4) if asked > 0 else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(BUILD, "bench", "results.json"))
    ap.add_argument("--columns", action="store_true", help="name the columns this tree runs, run none")
    ap.add_argument("--only", help="run these columns only, comma-separated: native (Bochs), qemu, or modes "
                    "(%s); for a quick measurement, not for the handouts' figures" % ", ".join(MODE_ARGS))
    ap.add_argument("--benchmarks", help="run these benchmarks only, comma-separated (null,forkwait,...)")
    a = ap.parse_args()
    only = a.only.split(",") if a.only else None
    global CHOSEN
    CHOSEN = a.benchmarks.split(",") if a.benchmarks else None
    if a.columns:
        print("guest: columns: " + " ".join("%s-%s%s" % (e, b, "-hv-" + m if m else "")
                                            for e, b, _, m in routes(only)))
        return 0
    read(a.results)
    results, exits, exit_cycles, modes, per_op = {}, {}, {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for emu, boot, runs, under_hv in routes(only):
            key = "%s-%s%s" % (emu, boot, "-hv-" + under_hv if under_hv else "")
            exits[key], exit_cycles[key] = {}, {}
            samples = [run_once(emu, boot, tmp, under_hv, exits[key], exit_cycles[key]) for _ in range(runs)]
            if under_hv:
                modes[under_hv] = key
            if under_hv in PER_OPERATION:
                per_op[under_hv] = per_operation(emu, boot, tmp, under_hv)
            results[key] = {}
            for name in sorted(samples[0]):
                cycles = [s[name][0] for s in samples if name in s]
                results[key][name] = {"cycles_per_op": int(statistics.median(cycles)),
                                      "iterations": samples[0][name][1], "runs": len(cycles)}
                if len(set(cycles)) > 1:
                    results[key][name]["cycles_min"], results[key][name]["cycles_max"] = min(cycles), max(cycles)
    figures = {"guest_native": {k: v for k, v in results.items() if k not in modes.values()}}
    for mode, key in modes.items():
        figures["guest_" + mode] = {"column": key, "results": results[key], "exits": exits[key],
                                    "exit_cycles": exit_cycles[key]}
        if mode in per_op:
            figures["guest_" + mode]["per_operation"] = per_op[mode]
    for line in report(figures):
        print(line)
    for key, value in figures.items():
        if key != "guest_native":
            value["ratio_to_native"] = {n: round(r, 3) for n, r in ratios(figures, key[len("guest_"):]).items()}
        merge(a.results, key, value)


def ratios(figures, mode):
    """{benchmark: cycles under the hypervisor in `mode` / cycles natively
    in Bochs} from the figures in the results file's form; empty when this
    run had no native column (--only without native)."""
    native = next(iter(figures["guest_native"].values()), None)
    if native is None:
        return {}
    return {n: f["cycles_per_op"] / native[n]["cycles_per_op"]
            for n, f in figures["guest_" + mode]["results"].items()
            if f["cycles_per_op"] and native.get(n, {}).get("cycles_per_op")}


def report(figures, only=None):
    """make bench's report of the guest benchmarks, as lines, from figures in
    the results file's form ("guest_native", "guest_" + mode): also how the
    handouts' excerpts are made (tools/benchfigures.py). only: the modes to
    show (default: all in figures)."""
    modes = [m for m in MODE_ARGS if "guest_" + m in figures and (only is None or m in only)]
    columns = dict(figures["guest_native"])
    columns.update({figures["guest_" + m]["column"]: figures["guest_" + m]["results"] for m in modes})
    keys = list(columns)
    table = {}
    for key, results in columns.items():
        for name, f in results.items():
            table.setdefault(name, {})[key] = f["cycles_per_op"]
    ratio = {m: ratios(figures, m) for m in modes}
    exits = {m: figures["guest_" + m]["exits"] for m in modes}
    lines = ["guest: TSC cycles per operation (Bochs: exact instruction counts; QEMU: host clock, median)"]
    width = max(len(k) for k in keys) + 2
    lines.append("  %-12s" % "benchmark" + "".join("%*s" % (width, k) for k in keys) +
                 "".join("%14s" % MODE_HEADINGS[m] for m in modes))
    for name in sorted(table):
        row = table[name]
        rs = ["%.2fx" % ratio[m][name] if ratio[m].get(name) else "-" for m in modes]
        lines.append("  %-12s" % name + "".join("%*s" % (width, row.get(k, "-")) for k in keys) +
                     "".join("%14s" % r for r in rs))
    lines += goal_lines(ratio)
    lines.append("guest: VM exits per reason, whole bench=all run")
    lines.append("  %-32s" % "reason" + "".join("%14s" % m for m in modes))
    for r in sorted({r for m in modes for r in exits[m]}):
        lines.append("  %-32s" % r + "".join("%14s" % exits[m].get(r, 0) for m in modes))
    lines += per_operation_lines(figures, modes)
    trip = round_trip(figures) if "ept" in modes else None
    if trip:
        parts = "".join(" %s=%d" % (k, trip[k]) for k in ("hypervisor", "guest_loop", "transitions_and_registers")
                        if k in trip)
        lines.append("BENCH cpuid_exit_round_trip cycles=%d goal<=120 %s%s" % (
            trip["cycles"], "met" if trip["cycles"] <= 120 else "NOT met", parts))
    return lines


def goal_lines(ratio):
    """The goals' BENCH lines from {mode: {benchmark: ratio to native}}:
    met or NOT met, compared unrounded and shown with three decimals (so
    that no line reads "1.10 goal<=1.1 NOT met"), and "not measured" for a
    goal whose columns this run did not have (--only)."""
    lines = []
    for name, goals in GOALS.items():
        for mode, goal in goals.items():
            r = ratio.get(mode, {}).get(name)
            verdict = "not measured" if r is None else "met" if r <= goal else "NOT met"
            lines.append("BENCH %s_%s_ratio ratio=%s goal<=%.2f %s" % (
                name, mode, "-" if r is None else "%.3f" % r, goal, verdict))
    for name, mode, other in sorted(GOALS_AGAINST):
        r, o = ratio.get(mode, {}).get(name), ratio.get(other, {}).get(name)
        verdict = "not measured" if r is None or o is None else "met" if r < o else "NOT met"
        lines.append("BENCH %s_%s_vs_%s ratio=%s goal<%s %s" % (
            name, mode, other, "-" if r is None else "%.3f" % r, "-" if o is None else "%.3f" % o, verdict))
    return lines


def per_operation_lines(figures, modes):
    """The PV columns' exits and hypercalls per operation (per_operation):
    VM exits, VMCALLs (a multicall is one), and every hypercall made, a
    multicall's entries each counted, then the calls one by one."""
    lines = translated_lines(figures, modes)
    pv = [m for m in modes if m in MODE_KERNEL and figures["guest_" + m].get("per_operation")]
    if not pv:
        return lines
    lines += ["guest: per operation under PV: VM exits, VMCALLs, hypercalls (a multicall's entries too); "
             "each benchmark booted alone, less a boot with none"]
    lines.append(("  %-12s" % "" + "".join("%-39s" % ("  " + m) for m in pv)).rstrip())
    lines.append("  %-12s" % "benchmark" + "".join("%13s%13s%13s" % ("exits", "VMCALLs", "hypercalls") for _ in pv))
    per = {m: figures["guest_" + m]["per_operation"] for m in pv}
    for name in sorted(per[pv[0]]):
        cells = ""
        for m in pv:
            f = per[m].get(name, {})
            cells += "%13.2f%13.2f%13.2f" % (f.get("exits", 0), f.get("vmcalls", 0),
                                             sum(f.get("hypercalls", {}).values()))
        lines.append("  %-12s" % name + cells)
        for m in pv:
            calls = per[m].get(name, {}).get("hypercalls", {})
            if calls:
                lines.append("  %-12s" % "" + "  %s: " % m + ", ".join(
                    "%s %.3g" % (c, n) for c, n in sorted(calls.items(), key=lambda kv: -kv[1])))
    return lines


def translated_lines(figures, modes):
    """The translated column's costs per operation (per_operation): VM exits,
    of them the translator's (VMCALL: chaining, lookups, emulation), blocks
    translated, and the share of the translations asked for at exits that
    the cache held (chained and looked-up transfers never ask: the rate is
    a floor)."""
    if "bt" not in modes or not figures["guest_bt"].get("per_operation"):
        return []
    per = figures["guest_bt"]["per_operation"]
    lines = ["guest: per operation, translated (bt=1): VM exits, of them translator exits, blocks translated, "
             "translations found in the cache at exits; each benchmark booted alone, less a boot with none"]
    lines.append("  %-12s%13s%13s%13s%13s" % ("benchmark", "exits", "translator", "translated", "TC hits"))
    for name in sorted(per):
        f = per[name]
        t = f.get("translator", {})
        rate = f.get("tc_hit_rate")
        lines.append("  %-12s%13.2f%13.2f%13.3f%13s" % (name, f.get("exits", 0), f.get("vmcalls", 0),
                                                      t.get("blocks", 0), "-" if rate is None else
                                                      "%.1f%%" % (100 * rate)))
        reasons = f.get("exits_by_reason", {})
        if reasons:
            lines.append("  %-12s  exits: " % "" + ", ".join(
                "%s %.3g" % (r, n) for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])))
    return lines


def round_trip(figures):
    """The CPUID round trip with EPT and where it goes: the hypervisor's own
    TSC count per CPUID exit (vmx_entry.S times each exit, from its
    registers saved to their reload), the guest's loop (native), and the
    rest: the VM exit and entry and the guest's 15 registers saved and
    loaded (README.md, "Benchmarks"). None without the figures."""
    ept = figures.get("guest_ept", {})
    trip = ept.get("results", {}).get("cpuid", {}).get("cycles_per_op")
    if not trip:
        return None
    out = {"cycles": trip}
    n, c = ept["exits"].get("CPUID"), ept.get("exit_cycles", {}).get("CPUID")
    loop = next(iter(figures["guest_native"].values())).get("cpuid", {}).get("cycles_per_op")
    if n and c and loop:
        out.update(hypervisor=round(c / n), guest_loop=loop)
        out["transitions_and_registers"] = trip - out["hypervisor"] - loop
    return out

if __name__ == "__main__":
    sys.exit(main())
