"""vmx_entry_cases.py: one integration case per deliberate VMCS breakage.

Each case boots the hypervisor in Bochs with `vmcs_break=NAME`, which breaks
one VM-entry rule just before VMLAUNCH (hv/check/vmcs_breaks.c). The launch must
fail, and then:
  - the hypervisor's VM-entry checker names the rule:
        hv: VM-entry check: SDM <section> (<title>): <rule> [FIELD=0x...] ...
  - the hypervisor stops with `PANIC hv: VM entry failed ...` (runner status PANIC);
  - the runner shows Bochs's own reason from its log: a `VMFAIL: ...` line for
    the controls and the host state (VMLAUNCH fails with VMfailValid), or
    `VMEXIT: Guest State Checks Failed` for the guest state (a VM exit with
    basic reason 33 and bit 31 set).

The breakages are read from the BREAK(...) lines of hv/check/vmcs_breaks.c, so
the table has one source.
"""
import os
import re

from harness import FAIL, GUEST, HV, MBINFO, PANIC, ROOT, Case

BREAKS_C = os.path.join(ROOT, "hv", "check", "vmcs_breaks.c")
# The VMCS of labs 1-3, which the breakages are written against: with
# devices=virtual (lab 4, the default where it is done) the controls differ
# (the VMX-preemption timer, TSC offsetting) and exits take another path.
MACHINE = "devices=machine"
BREAK_LINE = re.compile(r'BREAK\("([a-z0-9-]+)",\s*"(27\.[0-9.]+)"')


def vmcs_breaks():
    """[(name, section)] from hv/check/vmcs_breaks.c, in table order."""
    with open(BREAKS_C) as f:
        found = BREAK_LINE.findall(f.read())
    if not found:
        raise RuntimeError("no BREAK(...) lines in %s" % BREAKS_C)
    return found


def bochs_reason(section):
    """What Bochs 2.7 logs when it refuses the VMCS: controls and host state
    (27.2) make VMLAUNCH fail; guest state (27.3) makes the entry exit."""
    if section.startswith("27.2"):
        return r"VMFAIL: "
    return r"VMEXIT: Guest State Checks Failed"


# Rules the SDM states but Bochs 2.7 does not enforce: the VM entry goes
# through. For these the checker is run before the entry (vmcheck=1), and it
# must still name the rule; what the guest then does is its own affair (here
# the #GP meets a guest with no IDT yet: a triple fault, and the hypervisor
# stops the guest).
# Bochs 2.7 does not check a 64-bit guest's RIP for canonical form (27.3.1.4):
# the entry succeeds and the first fetch is the guest's #GP.
BOCHS_DOES_NOT_CHECK = {"inject-nmi-error-code", "guest-hlt-tf-without-bs", "guest-rip-non-canonical"}


def vmx_entry_cases():
    cases = []
    for name, section in vmcs_breaks():
        if name in BOCHS_DOES_NOT_CHECK:
            cases.append(Case("vmx-entry-" + name,
                              ["--emu", "bochs", "--module", GUEST, HV, "--", MACHINE, "vmcs_break=" + name,
                               "vmcheck=1"], FAIL,
                              must=[r"^hv: VM-entry check: SDM %s \(" % re.escape(section)],
                              must_not=[r"^PANIC hv: VM entry failed"]))
            continue
        must = [
            r"^hv: VM-entry check: SDM %s \(" % re.escape(section),
            r"^PANIC hv: VM entry failed",
        ]
        cases.append(Case("vmx-entry-" + name,
                          ["--emu", "bochs", "--module", GUEST, HV, "--", MACHINE, "vmcs_break=" + name],
                          PANIC, must=must, must_not=[r"^POWEROFF 0$"],
                          runner_must=[r"^hvrun:\s+bochs: .*%s" % bochs_reason(section)]))
    return cases + vmresume_cases()


def resume_case(name, breakage, at, must, bochs_line):
    """vmcs_break=breakage made at exit `at`: the VMRESUME after it fails."""
    return Case(name, ["--module", MBINFO, HV, "--", MACHINE, "vmcs_break=" + breakage,
                       "vmcs_break_at=%d" % at], PANIC,
                must=must + [r"^PANIC hv: VM entry failed: the VM-entry checker found 1 broken rule above"],
                runner_must=[r"^hvrun:\s+bochs: .*" + bochs_line])


def vmresume_cases():
    """The same breakages made while handling a later VM exit
    (vmcs_break_at=N): now VMRESUME is the entry that fails, on its way back
    from vmx_exit (hv/vmx/vmx_entry.S), and the report is as precise."""
    return [
        resume_case("vmx-resume-fails-host-state", "host-tr-null", 5,
                    [r"^hv: vmcs_break=host-tr-null: ",
                     r"^hv: VMRESUME failed: VM-instruction error 8 \(VM entry with invalid host-state field",
                     r"^hv: VM-entry check: SDM 27\.2\.3 .*\[HOST_TR_SELECTOR=0x0\]",
                     r"^hv: the last 5 VM exits, oldest first:"],
                    r"VMFAIL: VMCS invalid host TR selector"),
        resume_case("vmx-resume-fails-guest-state", "guest-cs-type", 3,
                    [r"^hv: VM entry failed: exit reason 33 \(VM-entry failure: invalid guest state\)",
                     r"^hv: VM-entry check: SDM 27\.3\.1\.2 ",
                     r"^hv:   #3 VM-entry failure: invalid guest state \(33, VM-entry failure\)",
                     # the panic's backtrace goes through the stub to vcpu_run (frame pointers)
                     r"^  #\d 0x[0-9a-f]+ <on_exit\+0x[0-9a-f]+>\n  #\d 0x[0-9a-f]+ <on_exit_then_break\+0x[0-9a-f]+>\n"
                     r"  #\d 0x[0-9a-f]+ <vmx_exit\+0x[0-9a-f]+>\n  #\d 0x[0-9a-f]+ <vcpu_run\+0x[0-9a-f]+>\n"
                     r"  #\d 0x[0-9a-f]+ <hv_main\+"],
                    r"VMEXIT: Guest State Checks Failed"),
        Case("vmx-resume-break-needs-a-name", ["--module", MBINFO, HV, "--", "vmcs_break_at=3"], PANIC,
             must=[r"^PANIC hv: vmcs_break_at=3 needs vmcs_break=NAME"]),
    ]


if __name__ == "__main__":
    for case in vmx_entry_cases():
        print(case.name, " ".join(case.argv))
