"""pv_gaps_cases.py: the PV guest's hypercall fuzzer and the hostile gaps
pv_cases.py left (issue 19): continuations a guest abuses (hv/pv/
continuation.c), CPUID's hypervisor leaves past those defined, the
hypercall page's MSR written again and again, and the small bugs found
beside them (the hypervisor's PDEs' A bit, string I/O from the M2P,
console_io's read). The PV test kernel's cases are in
tests/kernels/pvtest/cases_fuzz.c and cases_gaps.c.
"""
import re

from pv_cases import POWERED_OFF, pv

FUZZ_CALLS = 2000
FUZZ_DPCHECK = 64          # the hypervisor's recount every 64 hypercalls (hv/pv/pv_check.c)
FUZZ_RESULT = r"^pvtest: result fuzz: (\d+) calls, seed (\d+), 0 wrong, [1-9]\d* deep checks, spare pinned [01]$"
RECOUNTS = r"^hv: direct paging: counts recomputed (\d+) times \(every (\d+) hypercalls, and at shutdown\), all as kept$"


def fuzz_case(seed, calls, dpcheck, name=None, timeout=None):
    """case=fuzz: every result as predicted, the hypervisor's recount after
    every dpcheck hypercalls and at the end."""
    def enough(out):
        done = re.search(FUZZ_RESULT, out, re.M)
        recounts = re.search(RECOUNTS, out, re.M)
        if not done or int(done.group(1)) < calls or int(done.group(2)) != seed:
            return "fewer than %d calls, or not seed %d" % (calls, seed)
        if not recounts or int(recounts.group(1)) < calls // dpcheck:
            return "fewer than %d recounts of direct paging" % (calls // dpcheck)
        return None
    c = pv("fuzz seed=%d count=%d" % (seed, calls), [r"^pvtest: case fuzz$", r"^pvtest: fuzz: results 0: \d+",
                                                     FUZZ_RESULT, RECOUNTS, POWERED_OFF],
           extra=["dpcheck=%d" % dpcheck], name=name or "fuzz", check=enough)
    if timeout:
        c.timeout = timeout
    return c


def gap_cases():
    return [
        fuzz_case(1, FUZZ_CALLS, FUZZ_DPCHECK),
    ]
