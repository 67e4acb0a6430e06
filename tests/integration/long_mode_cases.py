"""long_mode_cases.py: a 64-bit guest (issue 18, part 2: long mode).

The long64 test kernel (tests/kernels/long64) is a 32-bit Multiboot kernel
that switches to long mode as a PC kernel does and checks, in 64-bit mode,
what a 64-bit kernel needs: EFER.LMA, CPUID's long-mode and SYSCALL bits,
#GP and #PF through a 64-bit IDT (a non-canonical access and jump, an
unmapped page), leaving long mode the ways a CPU refuses, FS/GS bases and
SWAPGS, SYSCALL/SYSRET with STAR, LSTAR and SFMASK, WRMSR's refusal of
non-canonical bases, the PIT's IRQ 0 through the PIC. Each case checks every one of its lines, in
order:
  - natively under QEMU (its -kernel loader), the reference: the same lines
    but for the checks of what QEMU's TCG does not refuse (the kernel says
    it skips them): the two non-canonical WRMSRs, a far jump to a CS with
    L=1 and D=1, CR0.PG cleared in 64-bit mode, CR4.PAE cleared in IA-32e
    mode, EFER.LME cleared while paging is on;
  - under the hypervisor with EPT: devices=machine, devices=virtual with the
    VM-entry checker before every entry (vmcheck=2), two VMs in turns
    (their SYSCALL MSRs switched with them);
  - under mem=shadow and cpu=deprivileged, the clean refusal at its WRMSR
    of EFER.LME: the guest stopped with the reason, no PANIC;
  - probe=lapic and probe=mmio: the local APIC and the I/O APIC from 64-bit
    code (devices=virtual, whose MMIO emulation decodes 64-bit code), the
    same natively and under EPT, and the forms it must refuse;
  - probe=strio: string I/O from 64-bit code through 4-level paging (its
    own block at the end), natively and under EPT with both device models.
"""
import os
import re

from harness import BUILD, FAIL, HV, OK, Case

LONG64 = os.environ.get("LONG64_ELF", os.path.join(BUILD, "tests", "long64.elf"))
TIMEOUT = 120


def check_lines(native):
    """Every line long64 prints, in order; native: QEMU's TCG."""
    def hvlab_only(what, checked):
        if native:
            return "%s: not checked off hvlab \\(QEMU's TCG takes it\\)" % what
        return checked

    def canonical(msr):
        what = "WRMSR of a non-canonical %s" % msr
        return hvlab_only(what, what + " is #GP\\(0\\) and changes nothing: ok")
    lines = [
        "in 64-bit mode, multiboot magic ok",
        "IA32_EFER.LMA reads 1: ok",
        "CPUID 0x80000001 EDX says long mode \\(bit 29\\): ok",
        "CPUID 0x80000001 EDX says SYSCALL \\(bit 11\\): ok",
        "a non-canonical access is #GP\\(0\\): ok",
        "an access to an unmapped page is #PF, CR2 its address, error code 0: ok",
        "a jump to a non-canonical address is #GP\\(0\\): ok",
        hvlab_only("a far jump to a CS with L=1 and D=1", "a far jump to a CS with L=1 and D=1 is #GP\\(0x30\\): ok"),
        hvlab_only("MOV to CR0 clearing PG in 64-bit mode", "MOV to CR0 clearing PG in 64-bit mode is #GP\\(0\\): ok"),
        hvlab_only("MOV to CR4 clearing PAE in IA-32e mode", "MOV to CR4 clearing PAE in IA-32e mode is #GP\\(0\\): ok"),
        hvlab_only("WRMSR clearing EFER.LME while paging is on",
                   "WRMSR clearing EFER.LME while paging is on is #GP\\(0\\), long mode stays: ok"),
        "FS_BASE written by WRMSR reads back and is FS's base: ok",
        "GS_BASE written by WRMSR reads back and is GS's base: ok",
        "SWAPGS exchanges GS_BASE and KERNEL_GS_BASE: ok",
        canonical("FS_BASE"),
        "STAR, LSTAR and SFMASK read back: ok",
        "SYSRET entered ring 3 with STAR's selectors \\(CS 0x2b, SS 0x23\\): ok",
        "SYSCALL reached LSTAR at ring 0 with STAR's selectors, RCX the return address: ok",
        "SYSCALL saved RFLAGS in R11 \\(IF=1\\) and SFMASK cleared IF: ok",
        "SYSRET returned to ring 3 and SYSCALL came back: ok",
        canonical("LSTAR"),
        "the PIT's IRQ 0 through the PIC reached its 64-bit gate 3 times: ok",
        "all checks passed",
    ]
    return "^" + "\n".join("long64: " + line for line in lines) + "\n"


def lines_checked(tags):
    """Each VM's long64 lines, apart from the hypervisor's (the refused
    WRMSR's report) and the other VM's (with vms=2 their turns interleave
    them), are the whole list in order. The console relays the part of a
    guest's line it has when the hypervisor prints a line of its own, and
    the rest on a line of its own (with the VM's tag): put back together."""
    return lambda console: vm_lines_checked(console, tags)


COMPLETE = re.compile(r"(: ok|: FAILED|checks passed|checks FAILED|TCG takes it\)|magic ok|magic BAD)$")


def vm_lines(console, tag):
    lines = []
    for line in console.splitlines():
        if tag and not line.startswith(tag):
            continue
        if not tag and line.startswith(("hv: ", "(vm1) ")):
            continue
        body = line[len(tag):]
        # A piece may be a line's start cut short ("l", then "ong64: ..."
        # when the other VM's turn came in between).
        if body.startswith("long64: ") or (body and "long64: ".startswith(body)):
            lines.append(body)
        elif lines and not COMPLETE.search(lines[-1]):
            lines[-1] += body
    return "".join(line + "\n" for line in lines)


def vm_lines_checked(console, tags):
    for tag in tags:
        mine = vm_lines(console, tag)
        if not re.match(check_lines(False), mine):
            return "VM %s's long64 lines are not the expected ones: %r" % (tag or "0", mine)
    return None


# The WRMSR clearing EFER.LME while paging is on, refused by the hypervisor.
EFER_REFUSED = r"^hv: guest writes MSR 0xc0000080: 0x400 is not a value it can hold, #GP injected$"


def on_hv(name, args):
    return Case("long64-" + name, ["--module", LONG64, HV, "--"] + args, OK,
                must=[r"^long64: in 64-bit mode, multiboot magic ok$", EFER_REFUSED,
                      r"^hv: guest stopped: it powered off with status 0$", r"^POWEROFF 0$"],
                must_not=[r"^PANIC", r"FAILED", r"VM-entry failure"], check=lines_checked([""]),
                timeout=TIMEOUT)


def refused(name, args):
    return Case("long64-" + name + "-refused", ["--module", LONG64, HV, "--"] + args, FAIL,
                runner_must=[r"^hvrun: power-off, status 4 \(the hypervisor stopped a misbehaving guest\)"],
                must=[r"^hv: guest stopped: it set IA32_EFER.LME: long mode needs mem=ept "
                      r"\(shadow paging walks 32-bit tables"],
                must_not=[r"^PANIC", r"^long64: ", r"VM-entry failure"], timeout=TIMEOUT)


# ---- probe=lapic and probe=mmio: the APICs' MMIO from 64-bit code ----
# tests/kernels/long64/probe_mmio.c: each form a 64-bit kernel's MOV to or
# from an APIC register takes (REX.R/X/B, SIB with R12-R14, RIP-relative
# loads and stores, 64-bit moffs, the zero-extending 32-bit load), then the
# odd ones the CPU answers before any access (a REX a DS prefix follows, a
# 16-byte instruction, non-canonical addresses, a fetch across into a page
# not present). Natively under QEMU the reference; under the hypervisor
# (devices=virtual: devices=machine has no APICs for a guest) every access
# exits and hv/exit/vm_mmio.c decodes it (hv/x86/x86_decode.c).
MMIO_LINES = [
    "local APIC version 0x14 (R9D, REX.R)",
    "the 32-bit load zero-extended R9: ok",
    "a RIP-relative load reads the same: ok",
    "a load with SIB, R12 + R13 * 4 into R14D, reads the same: ok",
    "a load run from the upper half (0xffffff0000000000) reads the same: ok",
    "TPR written from R9D reads 0x20 through R10D",
    "TPR by 64-bit moffs (A3, A1) reads 0x30; APIC ID 0",
    "a RIP-relative store of an immediate (EOI) resumes after its immediate: ok",
    "I/O APIC version 0x20, 24 pins (R8D to IOREGSEL, IOWIN to R11D)",
    "a REX.R before a DS prefix is ignored: the load is ECX's, R9 unchanged{rex}",
    "a 16-byte instruction to the local APIC is #GP(0): ok",
    "a load from a non-canonical local APIC address is #GP(0): ok",
    "the same through a 64-bit moffs is #GP(0): ok",
    "an instruction across into a page not present: vector 14, CR2 0x40000000, error 0x0",
    "its fetch is #PF at the page not present: ok",
    "all checks passed",
]


def mmio_checked(native):
    """probe=mmio's lines, every one and in order; QEMU 7.2's TCG applies a
    REX prefix a legacy prefix follows (the SDM ignores it): natively the
    kernel says it skips that check."""
    rex = ": not checked off hvlab (QEMU's TCG applies the REX)" if native else ": ok"
    want = ["long64: mmio: " + line.format(rex=rex) for line in MMIO_LINES]

    def check(console):
        got = [line for line in console.splitlines() if line.startswith("long64: mmio: ")]
        return None if got == want else "probe=mmio's lines are not the expected ones: %r" % got
    return check


def mmio_refused(name, why):
    """Hostile: probe=mmio, then an access the hypervisor must refuse: the
    guest stopped, with the reason, after all of probe=mmio's lines."""
    return Case("long64-mmio-" + name + "-refused", ["--module", LONG64 + " probe=mmio mmio=" + name, HV, "--",
                                                   "mem=ept", "devices=virtual"], FAIL,
                must=[r"^long64: mmio: all checks passed$", r"^hv: guest stopped: " + why],
                runner_must=[r"^hvrun: power-off, status 4 \(the hypervisor stopped a misbehaving guest\)"],
                must_not=[r"^PANIC", r"FAILED", r"^long64: mmio: a .* read 0x", r"VM-entry failure"],
                timeout=TIMEOUT)


def lapic_probe_cases():
    return [
        Case("long64-lapic-native-qemu", ["--emu", "qemu", "--boot", "kernel", LONG64, "--", "probe=lapic"], OK,
             must=[r"^long64: local APIC version register read: 0x[0-9a-f]*14$", r"^POWEROFF 0$"]),
        Case("long64-lapic-ept-virtual", ["--module", LONG64 + " probe=lapic", HV, "--", "mem=ept",
                                          "devices=virtual"], OK,
             must=[r"^long64: local APIC version register read: 0x[0-9a-f]*14$",
                   r"^hv: guest stopped: it powered off with status 0$", r"^POWEROFF 0$"],
             must_not=[r"^PANIC", r"VM-entry failure"], timeout=TIMEOUT),
        Case("long64-mmio-native-qemu", ["--emu", "qemu", "--boot", "kernel", LONG64, "--", "probe=mmio"], OK,
             must=[r"^POWEROFF 0$"], must_not=[r"FAILED"], check=mmio_checked(native=True)),
        Case("long64-mmio-ept-virtual", ["--module", LONG64 + " probe=mmio", HV, "--", "mem=ept",
                                         "devices=virtual"], OK,
             must=[r"^hv: guest stopped: it powered off with status 0$", r"^POWEROFF 0$"],
             must_not=[r"^PANIC", r"FAILED", r"VM-entry failure"], check=mmio_checked(native=False),
             timeout=TIMEOUT),
        # A REX.W load of the I/O APIC's 32-bit window: no result the SDM
        # defines (11.4.1), refused by name.
        mmio_refused("wide", r"its I/O APIC at guest-physical 0xfec00010: a 64-bit access \(REX\.W\) "
                             r"\(instruction bytes 49 8b [0-9a-f]{2} 24 10 at rip 0x"),
        # A RIP-relative load the guest maps to no RAM and no device.
        mmio_refused("outside", r"EPT violation: it read from guest-physical 0x3f000000 \(linear 0x3f000000\), "
                                r"outside its"),
    ]


def long_mode_cases():
    two = ["--module", LONG64, "--module", LONG64, HV, "--", "vms=2", "devices=virtual"]
    return [
        Case("long64-native-qemu", ["--emu", "qemu", "--boot", "kernel", LONG64], OK,
             must=[check_lines(True), r"^POWEROFF 0$"], must_not=[r"FAILED"]),
        on_hv("ept-machine", ["mem=ept", "devices=machine"]),
        on_hv("ept-virtual-vmcheck", ["mem=ept", "devices=virtual", "vmcheck=2"]),
        Case("long64-vms2", two, OK,
             must=[r"^hv: guest stopped: it powered off with status 0$",
                   r"^hv: vm1: guest stopped: it powered off with status 0$", r"^POWEROFF 0$"],
             must_not=[r"^PANIC", r"FAILED", r"VM-entry failure"], check=lines_checked(["", "(vm1) "]),
             timeout=TIMEOUT),
        refused("shadow", ["mem=shadow", "devices=machine"]),
        refused("depriv", ["mem=shadow", "cpu=deprivileged", "devices=machine"]),
    ] + lapic_probe_cases() + strio_cases()


# ---- probe=strio: string I/O through 4-level paging (issue 18, part 4) ----
# tests/kernels/long64/probe_strio.c: REP OUTSB/INSB/OUTSD/INSD from 64-bit
# code on 2 MiB and 4 KiB pages (the upper half, 0x67), a #PF in the middle
# of a REP (RCX, RSI, RDI and the port as the CPU leaves them, resumed by
# IRET), a non-canonical RSI. Natively under QEMU the reference; under the
# hypervisor every element goes through its walk of the guest's 4-level
# tables (hv/guest/guest_paging_pae.c). devices=machine has no PCI ports:
# the dword checks are left out there (nopci).
STRIO_CHECKS = [
    "this line was written by rep outsb from a 2 MiB page",
    "rep outsb from a 2 MiB page left RSI after each part and RCX 0: ok",
    "this line was written by rep outsb across two 4 KiB pages of the upper half",
    "rep outsb across two 4 KiB pages at 0xffffff8000000fd8 left RSI after each part and RCX 0: ok",
    "this line was written by rep outsb with a 32-bit address size (0x67)",
    "rep outsb with 0x67 used ESI and ECX: RSI and RCX zero-extended after it: ok",
    "rep outsb of 8 bytes across a 4 KiB page boundary to the PIC's mask: the last (0x3f) is the mask: ok",
    "rep insb of 6 bytes across a 4 KiB page boundary: the mask in each, nothing beyond: ok",
    "rep insb of 6 bytes into a 2 MiB page: the mask in each, nothing beyond: ok",
    "rep insb of 16 bytes meeting a not-present page after 8: #PF 0x2 at the page, RCX 8 and RDI the page "
    "at the fault: ok",
    "resumed by the handler's IRET, it wrote all 16: ok",
    "rep outsb of 8 bytes meeting a not-present page after 4: #PF 0x0 at the page, RCX 4, RSI the page, the "
    "4th byte (0xcf) the mask: ok",
    "resumed by the handler's IRET, it wrote all 8 (the mask 0x3f): ok",
    # The SDM sets P with RSVD (4.7); QEMU's TCG leaves P clear.
    "rep insb into a page whose PTE has bit 51 set: #PF {rsvd}, RCX 4; mended, it finishes: ok",
    "rep outsb from the PML4 through its own recursive slot (0xffffff7fbfdfe009): the PML4E's byte: ok",
]
STRIO_DWORDS = [
    "rep outsd of 3 dwords, one across a 4 KiB page boundary, to CONFIG_ADDRESS: the last stays: ok",
    "rep insd of 3 dwords across the boundary: CONFIG_ADDRESS in each: ok",
]
STRIO_END = [
    "rep outsb with a non-canonical RSI is #GP(0): ok",
    "all checks passed",
]


def strio_checked(nopci, native=False):
    """probe=strio's lines, every one and in order."""
    want = STRIO_CHECKS + (["rep insd/outsd on CONFIG_ADDRESS left out (nopci)"] if nopci
                           else STRIO_DWORDS) + STRIO_END
    want = ["long64: strio: " + line.format(rsvd="0xa" if native else "0xb") for line in want]

    def check(console):
        got = [line for line in console.splitlines() if line.startswith("long64: strio: ")]
        return None if got == want else "probe=strio's lines are not the expected ones: %r" % got
    return check


def strio_cases():
    def on_hv(name, devices, extra=""):
        return Case("long64-strio-" + name, ["--module", LONG64 + " probe=strio" + extra, HV, "--", "mem=ept",
                                             "devices=" + devices], OK,
                    must=[r"^hv: guest stopped: it powered off with status 0$", r"^POWEROFF 0$"],
                    must_not=[r"^PANIC", r"FAILED", r"VM-entry failure"], check=strio_checked(bool(extra)),
                    timeout=TIMEOUT)
    return [
        Case("long64-strio-native-qemu", ["--emu", "qemu", "--boot", "kernel", LONG64, "--", "probe=strio"], OK,
             must=[r"^POWEROFF 0$"], must_not=[r"FAILED"], check=strio_checked(False, native=True)),
        on_hv("ept-virtual", "virtual"),
        on_hv("ept-machine", "machine", " nopci"),
    ] + [outside(level) for level in (1, 2, 3, 4)] + [
        # The same from code in the upper half: the report's instruction at
        # its 64-bit RIP, read through the 4-level tables.
        Case("long64-strio-outside-high", ["--module", LONG64 + " probe=strio outside=high", HV, "--", "mem=ept",
                                           "devices=virtual"], FAIL,
             must=[r"^long64: strio: rep insb at 0xffffff8000000000 to a page outside RAM$",
                   r"^hv: guest stopped: string I/O \(INS\) at rip 0xffffff8000000000 writes guest-physical "
                   r"0xf0000000 \(linear 0x8000001000\), outside the guest's RAM",
                   r"^hv: guest instruction at 0xffffff8000000000: f3 6c$"],
             runner_must=[r"^hvrun: power-off, status 4 \(the hypervisor stopped a misbehaving guest\)"],
             must_not=[r"^PANIC", r"went on", r"VM-entry failure"], timeout=TIMEOUT),
    ]


def outside(level):
    """Hostile: the window's entry at `level` (1 the PTE ... 4 the PML4E)
    points outside guest RAM and REP INSB writes through it. Under EPT the
    CPU's own walk would meet no RAM (an EPT violation): the hypervisor stops
    the guest and says why; its report reads the instruction's bytes through
    the guest's 4-level tables (guest_linear_walk), REP INSB."""
    why = (r"string I/O \(INS\) at rip 0x[0-9a-f]+ writes guest-physical 0xf0000000 \(linear 0x8000000000\), "
           r"outside the guest's RAM" if level == 1 else
           r"string I/O at rip 0x[0-9a-f]+: the guest's page table at 0xf0000000 for linear 0x8000000000 is "
           r"outside its RAM")
    return Case("long64-strio-outside-%d" % level, ["--module", LONG64 + " probe=strio outside=%d" % level, HV,
                                                    "--", "mem=ept", "devices=virtual"], FAIL,
                must=[r"^long64: strio: rep insb through a level-%d entry pointing outside RAM$" % level,
                      r"^hv: guest stopped: " + why, r"^hv: guest instruction at 0x[0-9a-f]+: f3 6c$"],
                runner_must=[r"^hvrun: power-off, status 4 \(the hypervisor stopped a misbehaving guest\)"],
                must_not=[r"^PANIC", r"went on", r"VM-entry failure"], timeout=TIMEOUT)
