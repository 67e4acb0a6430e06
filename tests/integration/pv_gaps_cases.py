"""pv_gaps_cases.py: the PV guest's hypercall fuzzer (alone, and beside a
partner VM: the calls between VMs) and the hostile gaps
pv_cases.py left (issue 19): continuations a guest abuses (hv/pv/
continuation.c), CPUID's hypervisor leaves past those defined, the
hypercall page's MSR written again and again, and the small bugs found
beside them (the hypervisor's PDEs' A bit, string I/O from the M2P,
console_io's read). The PV test kernel's cases are in
tests/kernels/pvtest/cases_fuzz.c (with fuzz_*.c, cases_fuzz_partner.c)
and cases_gaps.c.
"""
import re

from guest_cases import TYPED
from harness import HV, OK, Case
from pv_cases import (AT_SHUTDOWN, EFAULT, EINVAL, GP, NEVER, POWERED_OFF, PART_WAY, PVTEST, interdomain, pv, result,
                      vm1, vm_pair)

FUZZ_CALLS = 2000
FUZZ_DPCHECK = 64          # the hypervisor's recount every 64 hypercalls (hv/pv/pv_check.c)
# The calls between VMs that one VM can make: grants (every one refused),
# loopback channels bound, statuses asked.
FUZZ_ACROSS = (r"^pvtest: fuzz: [1-9]\d* grant ops, [1-9]\d* loopbacks bound, [1-9]\d* statuses, "
               r"ports bound at the end \d+$")
FUZZ_RESULT = r"^pvtest: result fuzz: (\d+) calls, seed (\d+), 0 wrong, [1-9]\d* deep checks, spare pinned [01]$"
RECOUNTS = r"^hv: direct paging: (\d+) recounts \(every (\d+) hypercalls, and at shutdown\), all as kept$"
# Two VMs (fuzz peer=1 beside fuzz-partner): the calls between them. Every
# grant status a map, unmap, grant or end can give came up (-6 is none),
# the partner's ports were bound to, and its report judged.
TWO_VMS_CALLS = 3000
TWO_VMS_STATUSES = r"^pvtest: fuzz: grant ops' statuses: 0: [1-9]\d*" + "".join(
    r" -%d: [1-9]\d*" % s for s in (1, 2, 3, 4, 5, 7, 8, 9)) + "$"
TWO_VMS_PARTNER = (r"^pvtest: fuzz: with the partner: [1-9]\d* grant maps, [1-9]\d* accesses through the window, "
                   r"[1-9]\d* binds to its ports; its report checked: 15 of its ports, 5 of its pages, [1-4] of the "
                   r"grants it maps still mapped$")
TWO_VMS_WINDOW = (r"^pvtest: fuzz: the second window: hooked [1-9]\d* times, [1-9]\d* grants mapped there, cleaned "
                  r"\d+ times, the spare .* at the end$")
PARTNER_RESULT = (r"result fuzz-partner: 7 grants, ports 2-6 offered, 7 and 8 bound, 4 of vm0's grants mapped; "
                  r"woken after [1-9]\d* blocks, report asked and written$")


def fuzz_case(seed, calls, dpcheck, name=None, timeout=None):
    """case=fuzz: every result as predicted, the hypervisor's recount after
    every dpcheck hypercalls and at the end."""
    def enough(out):
        done = re.search(FUZZ_RESULT, out, re.M)
        recounts = re.search(RECOUNTS, out, re.M)
        if not done or int(done.group(1)) < calls or int(done.group(2)) != seed:
            return "fewer than %d calls, or not seed %d" % (calls, seed)
        # Its calls count a multicall's entries; the hypervisor's, VMCALLs.
        if not recounts or int(recounts.group(1)) < 2:
            return "no recount of direct paging before the one at shutdown"
        return None
    c = pv("fuzz seed=%d count=%d" % (seed, calls), [r"^pvtest: case fuzz$", r"^pvtest: fuzz: results 0: \d+",
                                                     FUZZ_ACROSS, FUZZ_RESULT, RECOUNTS, POWERED_OFF],
           extra=["dpcheck=%d" % dpcheck], name=name or "fuzz", check=enough)
    if timeout:
        c.timeout = timeout
    return interdomain([c])[0]     # its calls grant and bind ports across VMs (refused, or loopbacks)


def fuzz_two_vms_case(seed, calls, dpcheck):
    """case=fuzz peer=1 as vm0, case=fuzz-partner as vm1: every call between
    them as predicted, the partner's report as the model says, and both
    VMs' direct paging recounted every dpcheck hypercalls and at the end."""
    def enough(out):
        done = re.search(FUZZ_RESULT, out, re.M)
        if not done or int(done.group(1)) < calls or int(done.group(2)) != seed:
            return "fewer than %d calls, or not seed %d" % (calls, seed)
        for vm in ("", "vm1: "):
            counts = re.search(r"^hv: %sdirect paging: (\d+) recounts .*, all as kept$" % vm, out, re.M)
            if not counts or int(counts.group(1)) < 2:
                return "no recount of %sdirect paging before the one at shutdown" % (vm or "vm0's ")
        return None
    return vm_pair("fuzz-two-vms", "fuzz seed=%d count=%d peer=1" % (seed, calls), "fuzz-partner",
                   [r"^pvtest: case fuzz$", vm1("case fuzz-partner$"), r"^pvtest: fuzz: results 0: \d+",
                    TWO_VMS_STATUSES, TWO_VMS_WINDOW, TWO_VMS_PARTNER, vm1(PARTNER_RESULT), FUZZ_RESULT],
                   extra=["dpcheck=%d" % dpcheck], check=enough)


def found_cases():
    """What the fuzzer with a partner found, replayed (cases_fuzz_found.c)."""
    return [
        # A grant mapped in an L1 released under it (its record stale: the
        # unmap has nothing to remove), the entry cleaned, the L1 hooked
        # again and the same frame's other grant mapped at the same entry:
        # the stale record's unmap answers okay and leaves the other's
        # mapping (it took it away), which reads and unmaps.
        vm_pair("fuzz-found-stale-unmap", "grant-stale-take", "grant-twice-give",
                [r"^pvtest: result stale-take: hook 0, map 0, unhook 0, cleaned 0 0, hook again 0, the other grant "
                 r"mapped there 0; the first's unmap 0; the other's entry kept, a read through it reads "
                 r"\(0x61766947\); its unmap 0$",
                 vm1(r"result twice: granted 0 and 0; vm0 done$")]),
    ]


def continuation_cases():
    """Continuations abused: whatever the guest changes between two parts of
    a call, the next part finds what a fresh call would (each part reads
    the guest's memory again), and nothing but the guest's own counts is
    wrong."""
    return [
        # The flag on a fresh call: *done (5) taken as the parts before, the
        # requests all done; the guest's count may wrap (its own); a
        # multicall's count with bit 31 set is a list past 4 GiB.
        result("cont-flag-fresh", r"flag-fresh: mmu_update 0 done 8 last 2; no done 0 last 1; mmuext 0 done 0; "
                                  r"multicall %d" % EFAULT),
        # The part after the upcall does its 256 requests, then cannot write
        # *done: -EFAULT, *done as the last part left it.
        result("cont-done-unwritable", r"done-unwritable: %d, done (%s) at the upcall, \1 after; \d+ more applied "
                                       r"\(one part: yes\)" % (EFAULT, PART_WAY)),
        # The requests up to the unmapped page done, *done saying so, -EFAULT.
        result("cont-tail-unmapped", r"tail-unmapped: %d, unmapped from (\d+), done \1, applied \1" % EFAULT),
        # The entry read again: now a nested multicall (-EINVAL), or a list
        # at the M2P (-EFAULT); the next entry runs; nothing more applied.
        result("multicall-rewritten-op", r"rewritten-op: 0, results %d 0x10000, done (%s) at the upcall, \1 after, "
                                         r"applied \1" % (EINVAL, PART_WAY)),
        result("multicall-rewritten-list", r"rewritten-list: 0, results %d 0x10000, done (%s) at the upcall, \1 "
                                           r"after, applied \1" % (EFAULT, PART_WAY)),
    ]


def interface_cases():
    """CPUID's hypervisor leaves and the hypercall page's MSR, hostile."""
    return [
        result("cpuid-leaves", r"cpuid: 0 of 253 undefined leaves answer \(first 0x0\); max 0x40000002, "
                               r"hypercall page 1 MSR 0x40000000"),
        # The same frame twice (kept once), another (the first let go: it
        # can leave the VM; the page in use cannot), then a page table: #GP.
        pv("hcpage-again", [r"^pvtest: hcpage-again: stubs 0x10000 0x10000, MSR at b yes, a given back 1, "
                            r"b \(the page\) -16$",
                            r"^hv: PV guest: hypercall page at 0x[0-9a-f]+ refused \(a page table\)", GP,
                            POWERED_OFF]),
        # The M2P's PDE with A already (pv_build.c; SDM 4.8).
        result("hv-slot-accessed", r"hv-slot: first L2 P 1 A 1; pinned 0 0: P 1 A 1"),
        # console_io's read: typed input, 5 bytes a call, from the ring's
        # in[]; an unmapped buffer takes nothing (the whole line follows).
        Case("pv-console-read", ["--input", TYPED, "--module", PVTEST + " case=console-read", HV, "--", "cpu=pv",
                                  AT_SHUTDOWN],
             OK, must=[r"^INPUT ready$", r"^pvtest: result read: 0 before any input; unmapped buffer %d; then '%s' "
                       r"\(%d bytes in \d+ reads\), ring consumed yes$" % (EFAULT, re.escape(TYPED), len(TYPED))],
             must_not=NEVER, timeout=120),
    ]


def gap_cases():
    return [fuzz_case(1, FUZZ_CALLS, FUZZ_DPCHECK)] + interdomain([fuzz_two_vms_case(1, TWO_VMS_CALLS, FUZZ_DPCHECK)] +
                                                                  found_cases()) + \
        continuation_cases() + interface_cases()
