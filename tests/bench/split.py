#!/usr/bin/env python3
"""split.py: the split console against the emulated device (issue 20 points
3 and 6), for `make bench`: the same console traffic, the guest OS's
program console_lines (LINES lines of 64 bytes, guestos/user/console_lines.c),
through three consoles, each booted in Bochs:
  uart       the guest OS (not PV) under mem=ept: the hypervisor's emulated
             UART, an exit for each port access (two a byte: the line
             status, then the data);
  console_io the PV guest OS (cpu=pv): a hypercall a line;
  split      the PV guest OS with console=split in vm1, the PV guest OS with
             backend=console in vm0 printing its lines (lib/pv_abi.h
             section 11): Xen's ring in a granted page, event channel
             notifications with hold-off;
  split_vq   the same device over a virtqueue (console=split ring=vq): the
             queue in the granted page, the lines in a second one, event
             indexes for the hold-off.
Each run's figures: TSC cycles per line (Bochs's TSC, exact; under the
hypervisor it counts wall time, so the driver VM's work for the lines is in
the split run's count), bytes per million cycles, and per console line of
the run (its boot's few lines with the program's): the guest's exits (all,
and its hypercalls: VMCALL exits), and
for split the notifications (events both ways) and the front end's blocks,
and the driver VM's exits. Merged into the results JSON under "split". A
student tree before lab 6 (grants, channels between VMs, Xen's ring) leaves
it out.
"""
import argparse
import os
import re
import sys

import benchrun
from results import merge

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import studenttree  # noqa: E402

BUILD = os.path.join(ROOT, "build")
GUEST = os.path.join(BUILD, "guestos", "kernel.elf")
GUEST_PV = os.path.join(BUILD, "guestos-pv", "kernel.elf")
PROGRAM = os.path.join(BUILD, "guestos", "user", "console_lines.elf")
LAB = studenttree.INTERDOMAIN_LAB
LINE_BYTES = 64
BENCH = re.compile(r"^(?:\[vm1\] )?BENCH console_lines cycles=(\d+) iterations=(\d+)$", re.M)
NEVER = re.compile(r"^PANIC|^\(guest\) PANIC|BREACH|FAIL", re.M)
FRONT = re.compile(r"^\[vm1\] guestos: split console: (\d+) requests, (\d+) events, (\d+) blocks, 0 refused$", re.M)
BACK = re.compile(r"^guestos: console back end: vm1: it is gone; (\d+) lines, \d+ requests \(0 refused\), "
                  r"(\d+) events sent, \d+ blocks$", re.M)
TEST = "test=console_lines"

RUNS = {
    "uart": ([GUEST + " " + TEST, PROGRAM], ["mem=ept"]),
    "console_io": ([GUEST_PV + " " + TEST, PROGRAM], ["cpu=pv"]),
    "split": ([GUEST_PV + " backend=console", GUEST_PV + " console=split " + TEST, PROGRAM],
              ["cpu=pv", "vms=2", "guestmem=24"]),
    "split_vq": ([GUEST_PV + " backend=console", GUEST_PV + " console=split ring=vq " + TEST, PROGRAM],
                 ["cpu=pv", "vms=2", "guestmem=24"]),
}
SPLIT = ("split", "split_vq")


def exits(console, vm, reason=None):
    """A VM's exits in all ("hv: exits: N in all" for vm0, "hv: vm1: ..."),
    or those of one reason ("hv: vm1: exits: VMCALL   N exits"); 0 if none."""
    what = r"(\d+) in all" if reason is None else r"%s +(\d+) exits" % reason
    m = re.search(r"^hv: %sexits: %s" % ("vm1: " if vm else "", what), console, re.M)
    return int(m.group(1)) if m else 0


def guest_lines(console, split):
    """The guest's console lines in the run: vm1's through the driver VM,
    else every line that is not the hypervisor's or the runner's."""
    if split:
        return len(re.findall(r"^\[vm1\] ", console, re.M))
    return len([l for l in console.splitlines() if l and not re.match(r"hv:|hvrun:|POWEROFF|\(guest\) POWEROFF", l)])


def run(name, timeout):
    modules, hv_args = RUNS[name]
    outcome, console, argv = benchrun.bochs(modules, hv_args, timeout, "split %s" % name)
    bench, bad = BENCH.search(console), NEVER.search(console)
    split = name in SPLIT
    lines, guest_exits = guest_lines(console, split), exits(console, 1 if split else 0)
    front, back = FRONT.search(console), BACK.search(console)
    if outcome["status"] != 0 or not bench or bad or not guest_exits or (split and not (front and back)):
        raise SystemExit("bench: split %s failed: %s%s: see its console with tools/hvrun %s" % (
            name, outcome["summary"], " (%s)" % bad.group(0) if bad else "", " ".join(argv)))
    cycles = int(bench.group(1))
    out = {"console": name, "lines": int(bench.group(2)), "line_bytes": LINE_BYTES, "cycles_per_line": cycles,
           "bytes_per_million_cycles": round(LINE_BYTES * 1e6 / cycles, 1), "run_lines": lines,
           "guest_exits_per_line": round(guest_exits / lines, 2),
           "guest_hypercalls_per_line": round(exits(console, 1 if split else 0, "VMCALL") / lines, 2)}
    if split:
        out["notifications_per_line"] = round((int(front.group(2)) + int(back.group(2))) / lines, 3)
        out["front_blocks_per_line"] = round(int(front.group(3)) / lines, 3)
        out["driver_exits_per_line"] = round(exits(console, 0) / lines, 2)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", help="the JSON file to merge the figures into")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    a = ap.parse_args()
    if not studenttree.reached(ROOT, LAB):
        print(studenttree.left_out_note(ROOT, "split", ["split"]))
        return
    runs = []
    for name in RUNS:
        r = run(name, a.timeout)
        runs.append(r)
        print("BENCH split %s lines=%d cycles/line=%d bytes_per_million_cycles=%.1f guest_exits/line=%.2f "
              "guest_hypercalls/line=%.2f%s" % (
            name, r["lines"], r["cycles_per_line"], r["bytes_per_million_cycles"], r["guest_exits_per_line"],
            r["guest_hypercalls_per_line"],
            "" if name not in SPLIT else " notifications/line=%.3f front_blocks/line=%.3f driver_exits/line=%.2f" % (
                r["notifications_per_line"], r["front_blocks_per_line"], r["driver_exits_per_line"])), flush=True)
    if a.results:
        merge(a.results, "split", runs)


if __name__ == "__main__":
    main()
