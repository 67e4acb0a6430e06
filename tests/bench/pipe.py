#!/usr/bin/env python3
"""pipe.py: the inter-VM pipe's figures (issue 20 points 3 and 6), for
`make bench`: two PV VMs in Bochs exchange MSGS messages through Xen's
request/response ring (lib/io_ring.c) and through a virtio split virtqueue
(lib/virtqueue.c) in frames vm0 grants to vm1, with notification hold-off
(event indexes) on and off (tests/kernels/pvtest/cases_pipe.c; the tests,
with their exact counts, are tests/integration/pv_pipe_cases.py). One BENCH
line per run: each end's TSC cycles per message, the messages per million
cycles at the sender, the notifications sent and held off. Merged into the
results JSON under "pipe". A student tree before lab 6 leaves it out.
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

PVTEST = benchrun.PVTEST
LAB = studenttree.INTERDOMAIN_LAB
END = re.compile(r"pvtest: (ring front|ring back|vq driver|vq device): (\d+) messages, (\d+) bad, broken (\d+); "
                 r"publishes notified (\d+), held off (\d+); events sent (\d+), blocks (\d+); "
                 r"(\d+) cycles per message$", re.M)
NEVER = re.compile(r"^PANIC|BREACH|FAILED", re.M)
RUNS = [("ring", 1), ("ring", 0), ("vq", 1), ("vq", 0)]


def run(design, hold, msgs, timeout):
    """One pair's figures; a run that fails stops the benchmark in one line."""
    args = "hold=%d msgs=%d" % (hold, msgs)
    outcome, console, argv = benchrun.bochs(["%s case=pipe-%s-%s %s" % (PVTEST, design, end, args)
                                             for end in ("send", "recv")], ["cpu=pv", "vms=2", "guestmem=4"],
                                            timeout, "pipe %s hold=%d" % (design, hold))
    ends = {m.group(1).split()[1]: m for m in END.finditer(console)}
    bad = NEVER.search(console)
    if outcome["status"] != 0 or len(ends) != 2 or bad or any(
            int(m.group(2)) != msgs or int(m.group(3)) for m in ends.values()):
        raise SystemExit("bench: pipe %s hold=%d failed: %s%s: see its console with tools/hvrun %s" % (
            design, hold, outcome["summary"], " (%s)" % bad.group(0) if bad else "", " ".join(argv)))
    out = {"design": design, "hold": hold, "messages": msgs}
    for role, m in sorted(ends.items()):
        out[role] = {"cycles_per_message": int(m.group(9)), "notified": int(m.group(5)),
                     "held_off": int(m.group(6)), "events": int(m.group(7)), "blocks": int(m.group(8))}
    sender = ends["front"] if design == "ring" else ends["driver"]
    out["messages_per_million_cycles"] = round(1e6 / int(sender.group(9)), 1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", help="the JSON file to merge the figures into")
    ap.add_argument("--msgs", type=int, default=2000)
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    a = ap.parse_args()
    if not studenttree.reached(ROOT, LAB):
        print(studenttree.left_out_note(ROOT, "pipe", ["pipe"]))
        return
    runs = []
    for design, hold in RUNS:
        r = run(design, hold, a.msgs, a.timeout)
        runs.append(r)
        print("BENCH pipe %s hold=%d messages=%d per_million_cycles=%.1f %s" % (
            design, hold, r["messages"], r["messages_per_million_cycles"], " ".join(
                "%s: cycles/msg=%d notified=%d held_off=%d events=%d" % (
                    role, v["cycles_per_message"], v["notified"], v["held_off"], v["events"])
                for role, v in sorted(r.items()) if isinstance(v, dict))), flush=True)
    if a.results:
        merge(a.results, "pipe", runs)


if __name__ == "__main__":
    main()
