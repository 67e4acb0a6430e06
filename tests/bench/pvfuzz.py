#!/usr/bin/env python3
"""pvfuzz.py: the PV hypercall fuzzer (issue 19: "at least 10^6 random calls
with no hypervisor fault"), for `make bench` and `make pv-fuzz`.

One run per seed of the PV test kernel's case=fuzz (tests/kernels/pvtest/
cases_fuzz.c) under cpu=pv in Bochs: CALLS random VMCALLs (and their
multicalls' entries on top), each result
and the kernel's tables checked against the fuzzer's model, and the
hypervisor's recount of direct paging (dp_check, hv/pv/pv_check.c) every
DPCHECK hypercalls and at the end. A run passes when the kernel says
"0 wrong" and powers off, with no PANIC. One BENCH line per seed: calls,
results by code, recounts, the machine's time (system time, which Bochs's
TSC makes the same on every machine) and the wall time. Merged into the
results JSON under "pv_fuzz". A student tree before lab 5 leaves it out,
in one line.

--peer: the calls between VMs. The fuzz runs as vm0 (peer=1) beside
case=fuzz-partner as vm1 (cases_fuzz_partner.c), which offers it grants and
ports and stays still; every call between them is predicted, the partner's
report judged, both VMs' direct paging recounted. Its figures go under
"pv_fuzz_peer", with the grant statuses and the partner's line.
"""
import argparse
import os
import re
import sys
import time

import benchrun
from results import merge

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import studenttree  # noqa: E402

PVTEST = benchrun.PVTEST
LAB = studenttree.INTERDOMAIN_LAB     # its calls grant and bind ports across VMs
RESULT = re.compile(r"^pvtest: result fuzz: (\d+) calls, seed (\d+), (\d+) wrong, (\d+) deep checks", re.M)
CODES = re.compile(r"^pvtest: fuzz: results (.*)$", re.M)
TOOK = re.compile(r"^pvtest: fuzz: (\d+) calls \((\d+) VMCALLs, the rest multicall entries\) in (\d+) ms of system "
                  r"time$", re.M)
RECOUNTS = re.compile(r"^hv: direct paging: (\d+) recounts", re.M)
NEVER = re.compile(r"^PANIC|BREACH|FAILED", re.M)
GRANTS = re.compile(r"^pvtest: fuzz: grant ops' statuses: (.*)$", re.M)
PARTNER = re.compile(r"^pvtest: fuzz: with the partner: (.*)$", re.M)
WINDOW = re.compile(r"^pvtest: fuzz: the second window: (.*)$", re.M)
PARTNER_DONE = re.compile(r"^\(vm1\) pvtest: result fuzz-partner: .*report asked and written$", re.M)
PARTNER_RECOUNTS = re.compile(r"^hv: vm1: direct paging: (\d+) recounts", re.M)


def run(seed, calls, dpcheck, timeout, peer):
    """One fuzz run's figures; a run that fails stops the benchmark in one line."""
    start = time.time()
    modules = ["%s case=fuzz seed=%d count=%d%s" % (PVTEST, seed, calls, " peer=1" if peer else "")]
    hv_args = ["cpu=pv", "dpcheck=%d" % dpcheck]
    if peer:
        modules.append("%s case=fuzz-partner" % PVTEST)
        hv_args += ["vms=2", "guestmem=4"]
    outcome, console, argv = benchrun.bochs(modules, hv_args, timeout, "pv-fuzz seed %d" % seed)
    wall = time.time() - start
    done, took, recounts = RESULT.search(console), TOOK.search(console), RECOUNTS.search(console)
    bad = NEVER.search(console)
    partner_bad = peer and not (GRANTS.search(console) and PARTNER.search(console) and WINDOW.search(console) and
                                PARTNER_DONE.search(console) and PARTNER_RECOUNTS.search(console))
    if outcome["status"] != 0 or not done or not took or not recounts or bad or int(done.group(3)) or partner_bad:
        raise SystemExit("bench: pv-fuzz seed %d failed: %s%s: see its console with tools/hvrun %s" % (
            seed, outcome["summary"], " (%s)" % bad.group(0) if bad else "", " ".join(argv)))
    figures = {"seed": seed, "calls": int(done.group(1)), "vmcalls": int(took.group(2)),
               "wrong": int(done.group(3)), "recounts": int(recounts.group(1)), "system_ms": int(took.group(3)),
               "wall_s": round(wall, 1), "results": CODES.search(console).group(1)}
    if peer:
        figures.update(grants=GRANTS.search(console).group(1), partner=PARTNER.search(console).group(1),
                       window=WINDOW.search(console).group(1),
                       partner_recounts=int(PARTNER_RECOUNTS.search(console).group(1)))
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", help="the JSON file to merge the figures into")
    ap.add_argument("--calls", type=int, default=1000000)
    ap.add_argument("--seeds", default="1", help="comma-separated seeds, one run each")
    ap.add_argument("--dpcheck", type=int, default=4096, help="the hypervisor's recount every N hypercalls")
    ap.add_argument("--timeout", type=int, default=7200, help="seconds per run")
    ap.add_argument("--peer", action="store_true", help="with a partner VM: the calls between VMs")
    a = ap.parse_args()
    if not studenttree.reached(ROOT, LAB):
        print(studenttree.left_out_note(ROOT, "pv_fuzz", ["pv_fuzz"]))
        return
    runs, key = [], "pv_fuzz_peer" if a.peer else "pv_fuzz"
    for seed in [int(s) for s in a.seeds.split(",")]:
        r = run(seed, a.calls, a.dpcheck, a.timeout, a.peer)
        runs.append(r)
        print("BENCH %s seed=%d calls=%d vmcalls=%d wrong=%d recounts=%d system_ms=%d wall_s=%.1f results: %s%s" % (
            key, r["seed"], r["calls"], r["vmcalls"], r["wrong"], r["recounts"], r["system_ms"], r["wall_s"],
            r["results"], "; grant statuses: %s; %s; the second window: %s" % (r["grants"], r["partner"], r["window"])
            if a.peer else ""), flush=True)
    if a.results:
        merge(a.results, key, runs)


if __name__ == "__main__":
    main()
