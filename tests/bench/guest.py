#!/usr/bin/env python3
"""guest.py: the guest OS's own benchmarks, run natively (no hypervisor).

Boots the guest kernel with bench=all (guestos/README.md: null system call,
fork+exit+wait, demand-zero page fault, context switch, compute loop, pipe
ping-pong) and collects its "BENCH name cycles=N iterations=M" lines:
  - under Bochs, where `clock: sync=none` makes the TSC count emulated
    instructions: the figures are exact and the same on every run;
  - under QEMU TCG, where the TSC follows the host clock: the median of a
    few runs, for comparison only.
These are the baselines the hypervisor's labs are measured against. Figures
only: nothing here passes or fails on speed. Merged into the results JSON
under the key "guest_native".
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
GUEST = os.path.join(BUILD, "guestos", "kernel.elf")
USER = os.path.join(BUILD, "guestos", "user")
BENCH_LINE = re.compile(r"^BENCH (\S+) cycles=(\d+) iterations=(\d+)$", re.M)


def routes():
    fast = os.path.exists(os.path.join(BUILD, "loader", "stage2.bin"))
    return [("bochs", "fast" if fast else "grub", 1), ("qemu", "kernel", 3)]


def bench_modules():
    names = sorted(f for f in os.listdir(USER) if f.startswith("bench_") and f.endswith(".elf"))
    if not names:
        raise SystemExit("bench: no benchmark programs in %s: run `make` first" % USER)
    argv = []
    for n in names:
        argv += ["--module", os.path.join(USER, n)]
    return argv


def run_once(emu, boot, tmp):
    """One boot with bench=all: {name: (cycles per op, iterations)}."""
    log, js = os.path.join(tmp, "console.log"), os.path.join(tmp, "run.json")
    subprocess.run([os.path.join(ROOT, "tools", "hvrun"), "--quiet", "--emu", emu, "--boot", boot,
                    "--timeout", "300", "--log", log, "--json", js] + bench_modules() + [GUEST, "--", "bench=all"],
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
        for emu, boot, runs in routes():
            samples = [run_once(emu, boot, tmp) for _ in range(runs)]
            key = "%s-%s" % (emu, boot)
            results[key] = {}
            for name in sorted(samples[0]):
                cycles = [s[name][0] for s in samples if name in s]
                results[key][name] = {"cycles_per_op": int(statistics.median(cycles)),
                                      "iterations": samples[0][name][1], "runs": len(cycles)}
                if len(set(cycles)) > 1:
                    results[key][name]["cycles_min"], results[key][name]["cycles_max"] = min(cycles), max(cycles)
                table.setdefault(name, {})[key] = int(statistics.median(cycles))
    keys = list(results)
    print("guest_native: TSC cycles per operation (Bochs: exact instruction counts; QEMU: host clock, median)")
    print("  %-12s" % "benchmark" + "".join("%16s" % k for k in keys))
    for name in sorted(table):
        print("  %-12s" % name + "".join("%16s" % table[name].get(k, "-") for k in keys))
    os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
    old = {}
    if os.path.exists(a.results):
        with open(a.results) as f:
            old = json.load(f)
    old["guest_native"] = results
    with open(a.results, "w") as f:
        json.dump(old, f, indent=1)
        f.write("\n")
    print("bench: figures written to %s" % a.results)


if __name__ == "__main__":
    sys.exit(main())
