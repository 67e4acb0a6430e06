#!/usr/bin/env python3
"""guest.py: the guest OS's own benchmarks, natively and under the hypervisor.

Boots the guest kernel with bench=all (guestos/README.md: null system call,
fork+exit+wait, demand-zero page fault, context switch, compute loop, pipe
ping-pong, CPUID) and collects its "BENCH name cycles=N iterations=M" lines:
  - natively under Bochs, where `clock: sync=none` makes the TSC count
    emulated instructions: the figures are exact and the same on every run;
  - natively under QEMU TCG, where the TSC follows the host clock: the median
    of a few runs, for comparison only;
  - under the hypervisor (EPT) in Bochs: exact again, and shown as a ratio to
    native Bochs. The CPUID benchmark under the hypervisor is the VM-exit
    round trip, guest to hypervisor and back.
Figures only: nothing here passes or fails on speed. Merged into the results
JSON under "guest_native" and "guest_ept".
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

from results import merge

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
GUEST = os.path.join(BUILD, "guestos", "kernel.elf")
HV = os.path.join(BUILD, "hv", "hv.elf")
USER = os.path.join(BUILD, "guestos", "user")
BENCH_LINE = re.compile(r"^BENCH (\S+) cycles=(\d+) iterations=(\d+)$", re.M)


def routes():
    """(emulator, loader, runs, under the hypervisor?) for each column."""
    fast = "fast" if os.path.exists(os.path.join(BUILD, "loader", "stage2.bin")) else "grub"
    return [("bochs", fast, 1, False), ("qemu", "kernel", 3, False), ("bochs", fast, 1, True)]


def bench_modules():
    names = sorted(f for f in os.listdir(USER) if f.startswith("bench_") and f.endswith(".elf"))
    if not names:
        raise SystemExit("bench: no benchmark programs in %s: run `make` first" % USER)
    argv = []
    for n in names:
        argv += ["--module", os.path.join(USER, n)]
    return argv


def run_once(emu, boot, tmp, under_hv):
    """One boot with bench=all: {name: (cycles per op, iterations)}."""
    log, js = os.path.join(tmp, "console.log"), os.path.join(tmp, "run.json")
    if under_hv:
        kernel = ["--module", GUEST + " bench=all"] + bench_modules() + [HV]
    else:
        kernel = bench_modules() + [GUEST, "--", "bench=all"]
    subprocess.run([os.path.join(ROOT, "tools", "hvrun"), "--quiet", "--emu", emu, "--boot", boot,
                    "--timeout", "600", "--log", log, "--json", js] + kernel,
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(js) as f:
        outcome = json.load(f)
    console = open(log).read() if os.path.exists(log) else ""
    if outcome["status"] != 0:
        raise SystemExit("bench: the %s/%s run failed: %s" % (emu, boot, outcome["summary"]))
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in BENCH_LINE.finditer(console)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(BUILD, "bench", "results.json"))
    a = ap.parse_args()
    results, table = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for emu, boot, runs, under_hv in routes():
            samples = [run_once(emu, boot, tmp, under_hv) for _ in range(runs)]
            key = "%s-%s%s" % (emu, boot, "-hv-ept" if under_hv else "")
            results[key] = {}
            for name in sorted(samples[0]):
                cycles = [s[name][0] for s in samples if name in s]
                results[key][name] = {"cycles_per_op": int(statistics.median(cycles)),
                                      "iterations": samples[0][name][1], "runs": len(cycles)}
                if len(set(cycles)) > 1:
                    results[key][name]["cycles_min"], results[key][name]["cycles_max"] = min(cycles), max(cycles)
                table.setdefault(name, {})[key] = int(statistics.median(cycles))
    keys = list(results)
    native, ept = keys[0], keys[-1]
    print("guest: TSC cycles per operation (Bochs: exact instruction counts; QEMU: host clock, median)")
    print("  %-12s" % "benchmark" + "".join("%18s" % k for k in keys) + "%12s" % "EPT/native")
    for name in sorted(table):
        row = table[name]
        ratio = "%.2fx" % (row[ept] / row[native]) if row.get(native) and row.get(ept) else "-"
        print("  %-12s" % name + "".join("%18s" % row.get(k, "-") for k in keys) + "%12s" % ratio)
    if "cpuid" in table and table["cpuid"].get(ept):
        print("BENCH cpuid_exit_round_trip cycles=%d goal<=120" % table["cpuid"][ept])
    merge(a.results, "guest_native", {k: v for k, v in results.items() if k != ept})
    merge(a.results, "guest_ept", {"results": results[ept],
                                   "ratio_to_native": {n: round(table[n][ept] / table[n][native], 3)
                                                       for n in table if table[n].get(native) and table[n].get(ept)}})


if __name__ == "__main__":
    sys.exit(main())
