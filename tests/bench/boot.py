#!/usr/bin/env python3
"""boot.py: the boot benchmark of `make bench`.

For each route it boots the hypervisor (with the guest kernel as its module)
several times and reports
  - wall time from starting the emulator to the hypervisor's first console
    line (median and range; goal <= 1 s on the fast route), and
  - the guest-visible TSC printed on that line: under Bochs with
    `clock: sync=none` it counts emulated instructions exactly, so it is the
    same on every run and every machine.
Figures only: nothing here passes or fails on time.
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
HV = os.path.join(ROOT, "build", "hv", "hv.elf")
GUEST = os.path.join(ROOT, "build", "guestos", "kernel.elf")
ROUTES = [("bochs", "fast"), ("bochs", "grub")]


def boot_once(emu, route, tmp):
    js = os.path.join(tmp, "run.json")
    # devices=machine: no measure of the TSC's rate at boot (devices=virtual's)
    r = benchrun.boot(["--emu", emu, "--boot", route, "--module", GUEST, HV, "--", "devices=machine"], js,
                      "%s/%s" % (emu, route))
    if r["status"] != 0 or not r["first_line"]:
        raise SystemExit("bench: the %s/%s boot failed: %s" % (emu, route, r["summary"]))
    m = re.search(r"tsc=(\d+)", r["first_line"])
    return r["first_line_seconds"], int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(ROOT, "build", "bench", "results.json"))
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    read(a.results)
    results = {}
    print("boot: emulator start -> first hypervisor line (%d runs each)" % a.runs)
    print("  %-12s %10s %18s %16s" % ("route", "median s", "min..max s", "instructions"))
    with tempfile.TemporaryDirectory() as tmp:
        for emu, route in ROUTES:
            runs = [boot_once(emu, route, tmp) for _ in range(a.runs)]
            secs = [s for s, _ in runs]
            tscs = sorted({t for _, t in runs})
            name = "%s-%s" % (emu, route)
            results[name] = {"wall_seconds_median": round(statistics.median(secs), 3),
                             "wall_seconds_min": min(secs), "wall_seconds_max": max(secs),
                             "instructions_to_first_line": tscs[0] if len(tscs) == 1 else tscs}
            print("  %-12s %10.3f %8.3f..%-8.3f %16s" % (name, statistics.median(secs), min(secs),
                                                        max(secs), ",".join(map(str, tscs))))
    print("BENCH boot fast_wall_s=%.3f goal_s=1.0" % results["bochs-fast"]["wall_seconds_median"])
    merge(a.results, "boot", results)


if __name__ == "__main__":
    sys.exit(main())
