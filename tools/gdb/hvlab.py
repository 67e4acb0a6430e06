"""hvlab.py: gdb helpers for the hvlab hypervisor (loaded by the .gdbinit
that `make gdb` writes; or `source tools/gdb/hvlab.py` by hand).

The names come from the hypervisor's own headers, parsed here, never copied:
hv/vmx/exit_reasons.h (the X-macro list of exit reasons) and
hv/vmx/vmcs_fields.h (every VMCS field's name and encoding). Commands:

    hv-exit [VCPU]           the current VM exit (the vCPU running, exit.c's `running`,
                             or the one given, e.g. `hv-exit *v`):
                             reason, guest RIP and the decoded qualification
    hv-exit-reason N         the name of basic exit reason N
    hv-vmcs-field NAME|ENC   a VMCS field's encoding from its name, or back
    hv-qual REASON QUAL      decode an exit qualification (SDM vol. 3, 28.2.1)

and convenience functions $exit_reason_name(n), $vmcs_field_name(enc).
"""
import os
import re

import gdb

HERE = os.path.dirname(os.path.abspath(__file__))
HV = os.path.join(os.path.dirname(os.path.dirname(HERE)), "hv")


def parse_exit_reasons(path=os.path.join(HV, "vmx", "exit_reasons.h")):
    """{number: (IDENT, "text")} from lines X(IDENT, num, "text")."""
    with open(path) as f:
        text = f.read()
    return {int(n): (ident, name) for ident, n, name in
            re.findall(r'X\((\w+),\s*(\d+),\s*"([^"]*)"\)', text)}


def parse_vmcs_fields(path=os.path.join(HV, "vmx", "vmcs_fields.h")):
    """{encoding: NAME} from lines X(NAME, 0xENC)."""
    with open(path) as f:
        text = f.read()
    return {int(enc, 16): name for name, enc in re.findall(r"X\((\w+),\s*(0x[0-9A-Fa-f]+)\)", text)}


EXIT_REASONS = parse_exit_reasons()
VMCS_FIELDS = parse_vmcs_fields()
VMCS_BY_NAME = {name: enc for enc, name in VMCS_FIELDS.items()}
IO, CR, DR, APIC, EPT, EXCEPTION = (
    next(n for n, (i, _) in EXIT_REASONS.items() if i == ident)
    for ident in ("IO_INSTRUCTION", "CR_ACCESS", "DR_ACCESS", "APIC_ACCESS", "EPT_VIOLATION", "EXCEPTION_NMI"))


def reason_name(n):
    n &= 0xFFFF
    return EXIT_REASONS.get(n, ("?", "unknown exit reason"))[1]


# The words of hv/vmx/exit_info.c, field by field, so that `hv-qual` and gdb's
# `monitor qual` say the same (tests/tools/test_gdb_hvlab.py checks both
# against the values of tests/unit/test_exit_info.c).
GPR_NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
EVENT_TYPES = ("external interrupt", "reserved type 1", "NMI", "hardware exception",
               "software interrupt", "privileged software exception", "software exception",
               "other event")


def describe_io(q):
    """I/O instruction (SDM vol. 3, 28.2.1, table 28-5): io_qual_describe."""
    size, out = (q & 7) + 1, not q & 8
    return "%s%s of %d byte%s %s port 0x%x (%s)%s" % (
        "OUT" if out else "IN", "S (string)" if q & 16 else "", size, "s" if size > 1 else "",
        "to" if out else "from", (q >> 16) & 0xFFFF,
        "immediate port" if q & 64 else "port in DX", ", with a REP prefix" if q & 32 else "")


def describe_cr(q):
    """Control-register access (table 28-3): cr_qual_describe."""
    cr, kind = q & 15, (q >> 4) & 3
    if kind < 2:
        return "MOV %s CR%d, register %s" % ("to" if kind == 0 else "from", cr,
                                             GPR_NAMES[(q >> 8) & 15])
    if kind == 2:
        return "CLTS (CR%d)" % cr
    return "LMSW (CR%d), source data 0x%x from %s" % (cr, (q >> 16) & 0xFFFF,
                                                     "memory" if q & 64 else "a register")


def describe_dr(q):
    """MOV DR (table 28-4): dr_qual_describe."""
    return "MOV %s DR%d, register %s" % ("from" if q & 16 else "to", q & 7, GPR_NAMES[(q >> 8) & 15])


APIC_ACCESS_TYPES = {0: "a data read (linear)", 1: "a data write (linear)",
                     2: "an instruction fetch (linear)", 3: "an access during event delivery (linear)",
                     10: "an access during event delivery (guest-physical)",
                     15: "an instruction fetch or execution (guest-physical)"}


def describe_apic(q):
    """APIC access (table 28-6): apic_qual_describe."""
    kind = (q >> 12) & 15
    at = " at offset 0x%x of the APIC page" % (q & 0xFFF) if kind <= 3 else ""
    return APIC_ACCESS_TYPES.get(kind, "a reserved access type") + at + (
        ", asynchronous to instruction execution" if q >> 16 & 1 else "")


def describe_ept(q):
    """EPT violation (table 28-7): ept_qual_describe."""
    access = ("a read and write" if q & 3 == 3 else "a write" if q & 2 else
              "an instruction fetch" if q & 4 else "a read")
    allowed = ("r" if q & 8 else "-") + ("w" if q & 16 else "-") + ("x" if q & 32 else "-")
    linear = ("no guest linear address" if not q & 128 else
              "guest linear address valid (its translation)" if q & 256 else
              "guest linear address valid (while walking the guest's page tables)")
    return "%s; the EPT allowed %s%s; %s%s" % (
        access, allowed, " (user-mode x)" if q & 64 else "", linear,
        "; NMI unblocking due to IRET" if q & 0x1000 else "")


def describe_debug(q):
    """Debug exception (table 28-1): debug_qual_describe."""
    return "debug: B0-B3=%x BD=%d BS=%d" % (q & 15, q >> 13 & 1, q >> 14 & 1)


def describe_event(info, error_code=0):
    """Interruption information (SDM 25.8.3, 25.9.2): event_info_describe."""
    if not info >> 31 & 1:
        return "no event (not valid)"
    text = "vector %d, %s" % (info & 0xFF, EVENT_TYPES[(info >> 8) & 7])
    if info & 0x800:
        text += ", error code 0x%x" % error_code
    return text + (", NMI unblocking due to IRET" if info & 0x1000 else "")


def decode_qualification(reason, q):
    """The qualification in words (SDM vol. 3, 28.2.1; the same words as
    `monitor qual`, hv/vmx/exit_info.c)."""
    reason &= 0xFFFF
    if reason == IO:
        return describe_io(q)
    if reason == CR:
        return describe_cr(q)
    if reason == DR:
        return describe_dr(q)
    if reason == APIC:
        return describe_apic(q)
    if reason == EPT:
        return describe_ept(q)
    if reason == EXCEPTION:
        return "exception: for #PF the linear address 0x%x; for #DB %s" % (q, describe_debug(q))
    return "no qualification to decode for %s (0x%x)" % (reason_name(reason), q)


class ExitReasonName(gdb.Function):
    """$exit_reason_name(N): the name of basic exit reason N."""

    def __init__(self):
        super().__init__("exit_reason_name")

    def invoke(self, n):
        return reason_name(int(n))


class VmcsFieldName(gdb.Function):
    """$vmcs_field_name(ENC): the name of the VMCS field with this encoding."""

    def __init__(self):
        super().__init__("vmcs_field_name")

    def invoke(self, enc):
        return VMCS_FIELDS.get(int(enc), "?")


class HvExitReason(gdb.Command):
    """hv-exit-reason N: the name of basic exit reason N (hv/vmx/exit_reasons.h)."""

    def __init__(self):
        super().__init__("hv-exit-reason", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        n = int(gdb.parse_and_eval(arg))
        print("%d: %s" % (n & 0xFFFF, reason_name(n)))


class HvVmcsField(gdb.Command):
    """hv-vmcs-field NAME|ENCODING: a VMCS field's encoding or name (hv/vmx/vmcs_fields.h)."""

    def __init__(self):
        super().__init__("hv-vmcs-field", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        name = arg.strip().upper()
        if name.startswith("VMCS_"):
            name = name[5:]
        if name in VMCS_BY_NAME:
            print("%s = 0x%04x" % (name, VMCS_BY_NAME[name]))
            return
        enc = int(gdb.parse_and_eval(arg))
        print("0x%04x = %s" % (enc, VMCS_FIELDS.get(enc, "not a field of hv/vmx/vmcs_fields.h")))


class HvQual(gdb.Command):
    """hv-qual REASON QUALIFICATION: decode an exit qualification."""

    def __init__(self):
        super().__init__("hv-qual", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) != 2:
            raise gdb.GdbError("usage: hv-qual REASON QUALIFICATION")
        reason, q = (int(gdb.parse_and_eval(w)) for w in words)
        print(decode_qualification(reason, q))


class HvExit(gdb.Command):
    """hv-exit [VCPU]: the VM exit the hypervisor is handling, decoded: that
    of the vCPU the CPU runs now (exit.c's `running`), or of the one given."""

    def __init__(self):
        super().__init__("hv-exit", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        v = gdb.parse_and_eval(arg or "*'hv/exit.c'::running")
        reason = int(v["exit_reason"])
        q = int(v["exit_qualification"])
        print("exit reason %d (%s)%s at guest rip 0x%x, qualification 0x%x" % (
            reason & 0xFFFF, reason_name(reason), ", VM-entry failure" if reason >> 31 else "",
            int(v["rip"]), q))
        print("  " + decode_qualification(reason, q))


for cls in (ExitReasonName, VmcsFieldName, HvExitReason, HvVmcsField, HvQual, HvExit):
    cls()
