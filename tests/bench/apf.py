#!/usr/bin/env python3
"""apf.py: the pseudo page fault's gain (issue 20 points 4 and 6), for
`make bench`: the guest OS's test `apf` (guestos/user/apf.c) in Bochs under
the hypervisor's paging (resident=768 of the VM's 2048 pages, each page-in
PAGEIN thousand TSC cycles): a toucher process walks 4 MiB while its parent
computes work units until it has exited. Unmodified, every fault on a page
the hypervisor paged out holds the whole VM; with apf=1 the guest OS blocks
the toucher on the pseudo page fault and the parent works meanwhile. One
BENCH line per run (the work units done, the faults, the stalls and the
pseudo page faults), then the gain: the work done while the pages came in,
agreed against unmodified; then double paging (slide 8): the guest OS's own
swap under the hypervisor's paging, the pages written twice. Bochs counts
time in instructions: every figure
is exact (tests/integration/apf_cases.py checks them). Merged into the
results JSON under "apf". A student tree before lab 6 leaves it out.
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

LAB = 6
KERNEL = os.path.join(benchrun.BUILD, "guestos", "kernel.elf")
PROGRAM = os.path.join(benchrun.BUILD, "guestos", "user", "apf.elf")
APF = re.compile(r"^APF pages=(\d+) passes=(\d+) units=(\d+) not_present=(\d+) ready=(\d+) woken=(\d+)$", re.M)
SWAP_PROGRAM = os.path.join(benchrun.BUILD, "guestos", "user", "swap.elf")
DOUBLE = re.compile(r"^hv: double paging: the guest wrote (\d+) pages to its own swap, (\d+) of them paged out by the "
                    r"hypervisor already \(written twice\)$", re.M)
PAGING = re.compile(r"^hv: paging: (\d+) of (\d+) pages resident at most, [^;]*; (\d+) page-outs \((\d+) of zeros\), "
                    r"(\d+) page-ins \(\d+ for the hypervisor's own accesses\); (\d+) faults on pages out, "
                    r"(\d+) stalls \((\d+) cycles\)$", re.M)


def run(agreed, pagein, timeout):
    """One run's figures; a run that fails stops the benchmark in one line."""
    what = "apf %s pagein=%d" % ("agreed" if agreed else "unmodified", pagein)
    outcome, console, argv = benchrun.bochs(["%s test=apf%s" % (KERNEL, " apf=1" if agreed else ""), PROGRAM],
                                            ["guestmem=8", "resident=768", "pagein=%d" % pagein], timeout, what)
    apf, paging = APF.search(console), PAGING.search(console)
    if outcome["status"] != 0 or not apf or not paging or not re.search(r"^TEST apf: ok$", console, re.M):
        raise SystemExit("bench: %s failed: %s: see its console with tools/hvrun %s" % (
            what, outcome["summary"], " ".join(argv)))
    return {"agreed": agreed, "pagein_kcycles": pagein, "resident": int(paging.group(1)),
            "pages": int(paging.group(2)), "units": int(apf.group(3)), "pseudo_faults": int(apf.group(4)),
            "woken": int(apf.group(6)), "faults": int(paging.group(6)), "stalls": int(paging.group(7)),
            "stall_cycles": int(paging.group(8)), "page_outs": int(paging.group(3)),
            "page_ins": int(paging.group(5))}


def double_paging(pagein, timeout):
    """Double paging (slide 8): the guest's swap under the hypervisor's
    paging (the test `swap`: 1024 pages written, all paged out by the guest
    OS, read back), the pages written twice."""
    what = "apf double paging pagein=%d" % pagein
    outcome, console, argv = benchrun.bochs(["%s swap=1024 test=swap" % KERNEL, SWAP_PROGRAM],
                                            ["guestmem=16", "resident=1536", "pagein=%d" % pagein], timeout, what)
    m = DOUBLE.search(console)
    if outcome["status"] != 0 or not m or not re.search(r"^TEST swap: ok$", console, re.M):
        raise SystemExit("bench: %s failed: %s: see its console with tools/hvrun %s" % (
            what, outcome["summary"], " ".join(argv)))
    return {"pagein_kcycles": pagein, "resident": 1536, "pages": 4096, "guest_swapped_out": int(m.group(1)),
            "written_twice": int(m.group(2))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", help="the JSON file to merge the figures into")
    ap.add_argument("--pagein", type=int, action="append", help="page-in latencies, thousands of TSC cycles "
                    "(default: 20 and 100)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    a = ap.parse_args()
    if not studenttree.reached(ROOT, LAB):
        print(studenttree.left_out_note(ROOT, "apf", ["apf"]))
        return
    out = []
    for pagein in a.pagein or [20, 100]:
        pair = [run(agreed, pagein, a.timeout) for agreed in (False, True)]
        for r in pair:
            print("BENCH apf %s pagein=%d units=%d faults=%d stalls=%d stall_cycles=%d pseudo_faults=%d" % (
                "agreed" if r["agreed"] else "unmodified", pagein, r["units"], r["faults"], r["stalls"],
                r["stall_cycles"], r["pseudo_faults"]), flush=True)
        gain = round(pair[1]["units"] / max(pair[0]["units"], 1), 1)
        print("BENCH apf gain pagein=%d work_units_agreed_per_unmodified=%.1f" % (pagein, gain), flush=True)
        out.append({"pagein_kcycles": pagein, "unmodified": pair[0], "agreed": pair[1], "gain": gain})
    double = double_paging(20, a.timeout)
    print("BENCH apf double_paging guest_swapped_out=%d written_twice=%d" % (double["guest_swapped_out"],
                                                                            double["written_twice"]), flush=True)
    if a.results:
        merge(a.results, "apf", {"gain": out, "double_paging": double})


if __name__ == "__main__":
    main()
