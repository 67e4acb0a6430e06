"""hv_cases.py: the hypervisor's exit handlers, each proven by a real guest.

The guest is tests/kernels/badguest, a tiny Multiboot kernel that does one
bad (or merely privileged) thing per run, chosen by `do=NAME` on its command
line, and prints what it saw. Each case boots build/hv/hv.elf in Bochs with
badguest as module 0 and checks, line by line, both sides: what the guest
saw (badguest: ...) and what the hypervisor said (hv: ...), in order where
the order matters, and the runner's exit status. A handler that is wrong or
missing fails its case: an unhandled exit stops the guest, a fault injected after
advancing RIP shows in the guest's `(at the <instruction>)`, a value not
emulated shows in the guest's lines.

A few badguest runs without the hypervisor are controls: they show that the
guest would see something else on the bare (emulated) CPU, so the lines the
hypervisor cases expect are its doing.

Last, the hypervisor's own refusals: a CPU without EPT, options that do not
go together, too few modules for vms=2, a module 0 that is not a Multiboot
kernel, a guest that does not fit.
"""
import os
import re
import subprocess
import sys

from harness import (BUILD, DATA, GUEST, HOSTILE, HV, FAIL, OK, OUT, PANIC, ROOT, Case, console_of, data_file,
                     judge, studenttree)

BADGUEST = os.environ.get("BADGUEST_ELF", os.path.join(BUILD, "tests", "badguest.elf"))
SYSCALL_ELF = os.path.join(BUILD, "guestos", "user", "syscall.elf")   # an ELF, not Multiboot
GUEST_RAM_MIB = 64   # the hypervisor's default guestmem=
TIMEOUT = 20         # each run takes under a second: a hang fails soon

# How a run ends.
GUEST_POWEROFF_0 = [r"^\(guest\) POWEROFF 0\nhv: guest stopped: it powered off with status 0\nhv: exits: \d+ in all",
                    r"^POWEROFF 0$"]
GUEST_STOPPED = [r"^hv: guest eax=[0-9a-f]{8} ebx=", r"^hv: guest eip=[0-9a-f]{8} eflags=",
                 r"^hv: guest instruction at 0x[0-9a-f]{8}: ([0-9a-f]{2}( [0-9a-f]{2})*|unreadable .*)$",
                 r"^hv: the last \d+ VM exits, oldest first:$", r"^hv: exits: \d+ in all",
                 r"^POWEROFF 4$"]
STOPPED_BY_HV = r"^hvrun: power-off, status 4 \(the hypervisor stopped a misbehaving guest\)"
NO_PANIC = [r"^PANIC", r"^badguest: FAIL"]


def bad(do, *hv_args, extra=()):
    """hvrun arguments: the hypervisor, badguest as its guest kernel."""
    return list(extra) + ["--module", "%s do=%s" % (BADGUEST, do), HV, "--"] + list(hv_args)


def no_exit(reason):
    """A check: the statistics show no exit of this reason."""
    def check(console):
        m = re.search(r"^hv: exits: %s +\d+ exits" % re.escape(reason), console, re.M)
        return "an exit of reason %s: %s" % (reason, m.group(0)) if m else None
    return check


def default_virtual(case):
    """A case that needs devices= to default to virtual: in the trees of
    labs 1-4 it defaults to machine (grading/studenttree.py)."""
    case.lab = max(case.lab, studenttree.DEVICES_VIRTUAL_BY_DEFAULT_LAB)
    return case


def exits(reason, count):
    """The hypervisor's statistics line for one exit reason."""
    return r"^hv: exits: %s +%d exits " % (re.escape(reason), count)


def guest_done(do, lines, exit_lines=(), hv_args=(), name=None, check=None):
    """badguest does `do`, sees `lines`, and powers off by itself with 0."""
    must = [r"^badguest: do=%s$" % re.escape(do)] + lines + [r"^badguest: done$"]
    return Case(name or "hv-" + do, bad(do, *hv_args), OK,
                must=must + list(exit_lines) + GUEST_POWEROFF_0,
                must_not=NO_PANIC + [r"^badguest: exception", r"^hv: guest eax="], check=check,
                timeout=TIMEOUT)


# Fewer instructions than this cannot handle an exit: the window vmx_entry.S
# times holds four VMREADs, the statistics, the dispatch and a handler. Under
# Bochs (clock: sync=none) a TSC cycle is one instruction.
MIN_CYCLES_PER_EXIT = 25


def exit_stats_add_up(console):
    """The exit statistics are whole: the per-reason lines add up to the
    totals, and every reason's cycles were counted (vmx_entry.S adds each
    exit's, the power-off's too), none of them zero or implausibly few."""
    total = re.search(r"^hv: exits: (\d+) in all, (\d+) cycles in the hypervisor$", console, re.M)
    rows = re.findall(r"^hv: exits: (.+?) +(\d+) exits +(\d+) cycles +(\d+) per exit$", console, re.M)
    if not total or not rows:
        return "no exit statistics on the console"
    if sum(int(r[1]) for r in rows) != int(total.group(1)):
        return "the exits per reason do not add up to %s in all" % total.group(1)
    if sum(int(r[2]) for r in rows) != int(total.group(2)):
        return "the cycles per reason do not add up to %s in all" % total.group(2)
    few = [r[0] for r in rows if int(r[2]) < MIN_CYCLES_PER_EXIT * int(r[1])]
    return "too few cycles counted for %s" % ", ".join(few) if few else None


def injected(do, hv_line, vector, insn, exit_line):
    """The hypervisor injects an exception: badguest's handler reports it,
    right after the hypervisor's own line (if any), on the very instruction
    that exited (a fault: RIP not advanced)."""
    exc = r"badguest: exception %d error=0x0 eip=0x[0-9a-f]{8} \(at the %s\)$" % (vector, re.escape(insn))
    must = [r"^badguest: do=%s$" % do, "^" + (hv_line + r"\n" if hv_line else "") + exc, exit_line]
    return Case("hv-" + do, bad(do), OK, must=must + GUEST_POWEROFF_0,
                must_not=NO_PANIC + [r"^badguest: done$"], timeout=TIMEOUT)


def stopped(do, before, why, last_exit, hv_args=(), name=None, insn=None):
    """The hypervisor stops the guest: badguest's last line `before` is
    followed at once by `hv: guest stopped: <why>`, the guest's registers
    (and `insn`, the bytes of the instruction it stopped at, if given), the
    exit trace ending with `last_exit`, the statistics and POWEROFF 4."""
    must = [r"^badguest: %s\nhv: guest stopped: %s$" % (before, why),
            r"^hv:   #\d+ %s rip=0x[0-9a-f]+ qualification=0x[0-9a-f]+\nhv: exits: \d+ in all" % last_exit]
    if insn:
        must.append(r"^hv: guest instruction at 0x[0-9a-f]{8}: %s$" % insn)
    return Case(name or "hv-" + do, bad(do, *hv_args), FAIL, must=must + GUEST_STOPPED,
                must_not=NO_PANIC + [r"^badguest: (done|exception)", r"^POWEROFF 0$"],
                runner_must=[STOPPED_BY_HV], timeout=TIMEOUT)


def refused_lines(under_hv):
    """do=refused's lines, as one regex: under the hypervisor XSAVE is hidden
    and each refused WRMSR has the hypervisor's line first; on the bare CPU
    XSAVE is there and CR4.OSXSAVE may be set."""
    def hv(msr, value):
        return (r"hv: guest writes MSR %s: %s is not a value it can hold, #GP injected\n" % (msr, value)
                if under_hv else "")
    xsave = r"xsave=0 osxsave=0\nbadguest: mov cr4 OSXSAVE: #GP" if under_hv else \
            r"xsave=1 osxsave=0\nbadguest: mov cr4 OSXSAVE: no fault"
    return (r"^badguest: cpuid.1:ecx " + xsave + r"\n"
            r"badguest: mov cr0 PG without PE: #GP\nbadguest: mov cr0 NW without CD: #GP\n" +
            hv("0x277", "0x202020202020202") + r"badguest: wrmsr IA32_PAT 0x0202020202020202: #GP\n" +
            hv("0x176", "0x800000000000") + r"badguest: wrmsr IA32_SYSENTER_EIP 0x0000800000000000: #GP\n"
            r"badguest: wrmsr IA32_SYSENTER_ESP 0xffff800000001000: no fault$")


def cpu_variant(name, cpu):
    """hvrun arguments and a case-name suffix for a Bochs CPU model (cpu:
    one whose VMX has no EPT, for mem=shadow), or for the default one."""
    return (["--cpu", cpu], name + "-" + cpu) if cpu else ([], name)


def fuzz_case(seed, mem, cpu=None, hv_args=()):
    suffix = "".join("-" + a.replace("cpu=", "").replace("=1", "") for a in hv_args)   # -deprivileged-patch
    extra, name = cpu_variant("hv-fuzz-%d-%s%s" % (seed, mem, suffix), cpu)
    return Case(name, bad("fuzz=%d" % seed, "mem=" + mem, *hv_args, extra=extra), OK,
                must=[r"^badguest: fuzz seed=%d: 3000 instructions, \d+ faulted: .*vector 13 x\d+" % seed,
                      r"^badguest: done$"] + GUEST_POWEROFF_0,
                must_not=NO_PANIC + [r"^hv: guest eax="], timeout=60)


PTFUZZ_LINE = re.compile(r"^badguest: ptfuzz seed=\d+: .*checksum 0x[0-9a-f]{8}$", re.M)


def same_as_native(seed):
    """A check: the run's ptfuzz line equals the one badguest prints on the
    bare (emulated) CPU, whose own paging is the reference."""
    def check(console):
        native = console_of([BADGUEST, "--", "do=ptfuzz=%d" % seed], 60)
        return "; ".join(judge.same_as(PTFUZZ_LINE.pattern, console, native)) or None
    return check


def ptfuzz_case(seed, mem, cpu=None, hv_args=()):
    suffix = "".join("-" + a.replace("cpu=", "").replace("=1", "") for a in hv_args)   # -deprivileged-patch
    extra, name = cpu_variant("hv-ptfuzz-%d-%s%s" % (seed, mem, suffix), cpu)
    return Case(name, bad("ptfuzz=%d" % seed, "mem=" + mem, *hv_args, extra=extra), OK,
                must=[PTFUZZ_LINE.pattern[1:-1].join("^$"), r"^badguest: done$"] + GUEST_POWEROFF_0,
                must_not=NO_PANIC + [r"^hv: guest eax="], check=same_as_native(seed), timeout=60)


def ept_case(do, verb, line, insn):
    why = (r"EPT violation: it %s guest-physical 0xf0000000 \(linear 0xf0000000\), outside its "
           r"%d MiB of RAM" % (verb, GUEST_RAM_MIB))
    return stopped(do, line, why, r"EPT violation \(48\)", insn=insn)


UART_LINES = [r"^badguest: uart dll=0x0c dlm=0x00 lcr=0x03 ier=0x05 iir=0xc1 mcr=0x03 lsr=0x60 msr=0x%s$",
              r"^badguest: uart iir=0x01 with the FIFOs off, scratch 0x5a then 0xa5$"]


def scrub_cases():
    """A guest's RAM starts zeroed though the machine's was not: fill_free=
    fills every free page with 0xAB before the VM is made (hv/mem/scrub.c),
    on a CPU with AVX-512 (its stores) and on one without (REP STOSQ)."""
    line = r"^badguest: 0 nonzero words in its RAM from 2 MiB to 64 MiB$"
    return [
        guest_done("zeroed-ram", [line], hv_args=["fill_free=171"], name="hv-ram-scrubbed-avx512"),
        Case("hv-ram-scrubbed-stosq", bad("zeroed-ram", "mem=shadow", "fill_free=171",
                                          extra=["--cpu", "core2_penryn_t9600"]), OK,
             must=[line] + GUEST_POWEROFF_0, must_not=NO_PANIC, timeout=TIMEOUT),
    ]


def handler_cases():
    port = r"hv: guest %s port 0x%s: no device there \(reads give all ones, writes are dropped\)"
    return [
        # CPUID: the hypervisor bit, VMX hidden, the signature leaf; and
        # test=NAME on the hypervisor's command line reaches the guest's.
        guest_done("cpuid", [r"^badguest: cmdline 'do=cpuid test=hvpass'$",
                             r"^badguest: cpuid.1:ecx hypervisor=1 vmx=0$",
                             r"^badguest: cpuid.0x40000000 eax=0x40000000 signature 'hvlabhvlabhv'$",
                             r"^badguest: cpuid.0x40000001 eax=0x00000000 ebx=0x00000000 "
                             r"ecx=0x00000000 edx=0x00000000$"],
                   [exits("CPUID", 3)], hv_args=["test=hvpass"], check=exit_stats_add_up),
        # I/O to ports with no device: all ones of the access's width (the
        # rest of EAX kept), writes dropped, one report per port, in I/O
        # bitmap A (0x1234, 0x1236) and B (0x9abc).
        Case("hv-ioport", bad("ioport"), OK,
             must=["^" + port % ("reads", "1234") + r"\nbadguest: in from port 0x1234: inb eax=0x123456ff "
                   r"inw eax=0x1234ffff inl eax=0xffffffff\nbadguest: out to port 0x1234 done$",
                   "^" + port % ("reads", "9abc") + r"\nbadguest: inb from port 0x9abc: 0xff$",
                   "^" + port % ("writes", "1236") + r"\nbadguest: outb to port 0x1236 done$",
                   r"^badguest: done$"] + GUEST_POWEROFF_0,
             must_not=NO_PANIC + [r"(?s)port 0x1234: no device.*port 0x1234: no device", r"^badguest: exception"],
             timeout=TIMEOUT),
        # Polling at one RIP, 25000 identical exits in a row each for CPUID
        # and IN: not a stuck guest, since each handler advances RIP; in
        # every mode that reaches the run loop's watch.
        guest_done("poll", [r"^hv: guest reads port 0x1234: ",
                            r"^badguest: 25000 CPUID at one rip, 25000 IN from port 0x1234 read 0xff$"],
                   [exits("CPUID", 25000)]),
        guest_done("poll", [r"^hv: guest reads port 0x1234: ",
                            r"^badguest: 25000 CPUID at one rip, 25000 IN from port 0x1234 read 0xff$"],
                   [exits("CPUID", 25000)], hv_args=["mem=shadow"], name="hv-poll-shadow"),
        guest_done("poll", [r"^hv: guest reads port 0x1234: ",
                            r"^badguest: 25000 CPUID at one rip, 25000 IN from port 0x1234 read 0xff$"],
                   [exits("CPUID", 25000)], hv_args=["mem=shadow", "cpu=deprivileged"], name="hv-poll-deprivileged"),
        # The MSR allow-list: emulated reads, and writes that read back.
        guest_done("msr-allowed", [
            r"^badguest: IA32_TSC advances: yes$",
            r"^badguest: IA32_APIC_BASE=0xfee00900$",
            r"^badguest: IA32_MISC_ENABLE=0x[0-9a-f]+$",
            r"^badguest: IA32_SYSENTER_CS was 0x0, wrote 0x8, reads 0x8$",
            r"^badguest: IA32_SYSENTER_ESP was 0x0, wrote 0x123450, reads 0x123450$",
            r"^badguest: IA32_SYSENTER_EIP was 0x0, wrote 0x106789, reads 0x106789$",
            r"^badguest: IA32_PAT was 0x7040600070406, wrote 0x7010600070106, reads 0x7010600070106$",
            r"^badguest: IA32_EFER was 0x0, wrote 0x801, reads 0x801$"],
            [exits("RDMSR", 14), exits("WRMSR", 5)]),
        # Refused MSRs: #GP, reported once by the hypervisor.
        injected("msr-refused", r"hv: guest reads MSR 0xc0000103: not allowed, #GP injected", 13, "rdmsr",
                 exits("RDMSR", 1)),
        injected("msr-refused-write", r"hv: guest writes MSR 0xc0000080: 0x2 is not a value it can hold, "
                 r"#GP injected", 13,
                 "wrmsr", exits("WRMSR", 1)),
        # CR4: VMXE reads as 0 (the shadow), other bits are the guest's, and
        # setting VMXE is a #GP.
        Case("hv-cr4-vmxe", bad("cr4-vmxe"), OK,
             must=[r"^badguest: cr4=0x00000000 vmxe=0\nbadguest: cr4=0x00000010 after setting PSE\n"
                   r"badguest: exception 13 error=0x0 eip=0x[0-9a-f]{8} \(at the mov to cr4\)$",
                   exits("control-register access", 1)] + GUEST_POWEROFF_0,
             must_not=NO_PANIC + [r"^badguest: done$"], timeout=TIMEOUT),
        # CR0: NE is set in the real CR0 but hidden; the guest may set and
        # clear it in its own view (both MOVs exit, the shadow follows).
        guest_done("cr0-shadow", [r"^badguest: cr0=0x[0-9a-f]{4}0011 smsw=0x0011 ne=0$",
                                  r"^badguest: cr0=0x[0-9a-f]{4}0031 smsw=0x0031 ne=1 after setting NE$",
                                  r"^badguest: cr0=0x[0-9a-f]{4}0011 smsw=0x0011 ne=0 after clearing NE$"],
                   [exits("control-register access", 2)]),
        # VMX instructions: #UD, as on a CPU without VMX.
        injected("vmcall", None, 6, "vmcall", exits("VMCALL", 1)),
        injected("vmxon", None, 6, "vmxon", exits("VMXON", 1)),
        # The other instructions that always exit (exit_unconditional.c): INVD
        # completes (as WBINVD); a task switch stops the guest, with the reason.
        guest_done("invd", [r"^badguest: invd completed$"], [exits("INVD", 1)]),
        stopped("task-switch", r"jumping to the TSS at selector 0x18",
                r"a hardware task switch to TSS selector 0x18 by JMP: hvlab does not emulate task switches",
                r"task switch \(9\)", insn="ea 00 00 00 00 18 00"),    # ljmp $0x18, $0
        # Values a real CPU refuses with #GP are refused by the hypervisor too,
        # in both paging modes: in the VMCS they would fail the next VM entry.
        # XSAVE is hidden (CPUID) and CR4.OSXSAVE refused.
        guest_done("refused", [refused_lines(True)], [exits("WRMSR", 3)]),
        guest_done("refused", [refused_lines(True)], [exits("WRMSR", 3)], hv_args=["mem=shadow"],
                   name="hv-refused-shadow"),
        # Thousands of random privileged instructions (tests/kernels/badguest/
        # fuzz.c): none may panic or hang the hypervisor, with EPT or shadow
        # paging; each runs, or faults in the guest, which goes on.
    ] + [fuzz_case(seed, mem) for seed, mem in ((1, "ept"), (2, "ept"), (3, "ept"), (4, "shadow"),
                                                (5, "shadow"))] + [
        fuzz_case(6, "shadow", cpu="core2_penryn_t9600"),
        # Random page tables (fuzz.c's sibling ptfuzz.c): every read, write,
        # page fault and accessed/dirty flag the same as the CPU's own paging,
        # under shadow paging (lab 2) and with EPT.
    ] + [ptfuzz_case(seed, mem) for seed, mem in ((1, "shadow"), (2, "shadow"), (3, "shadow"), (4, "ept"))] + [
        ptfuzz_case(5, "shadow", cpu="core2_penryn_t9600"),
        # HLT with IF=0: stopped, at the HLT's own address.
        stopped("hlt-cli", r"hlt with interrupts off at 0x0*(?P<at>[1-9a-f][0-9a-f]*)",
                r"it halted with interrupts off \(HLT at 0x(?P=at)\), so nothing could ever wake it",
                r"HLT \(12\)", insn="f4", hv_args=["devices=machine"]),
        # HLT with IF=1: the HLT activity state; the PIT's interrupts (PIC and
        # PIT passed through) wake it, each HLT once.
        guest_done("hlt-sti", [r"^badguest: woke from hlt 5 times, 5 timer interrupts$"], [exits("HLT", 5)],
                   hv_args=["devices=machine"]),
        # The same with devices=virtual, one VM: its HLT does not exit while
        # a timer event is armed (exit/vm_interrupts.c); the preemption
        # timer's exit ends the wait, and finds the endless one, still named
        # at the HLT's own address.
        stopped("hlt-cli", r"hlt with interrupts off at 0x0*(?P<at>[1-9a-f][0-9a-f]*)",
                r"it halted with interrupts off \(HLT at 0x(?P=at)\), so nothing could ever wake it",
                r"VMX-preemption timer expired \(52\)", hv_args=["devices=virtual"], name="hv-hlt-cli-virtual"),
        guest_done("hlt-sti", [r"^badguest: woke from hlt 5 times, 5 timer interrupts$"],
                   [r"^hv: exits: VMX-preemption timer expired +\d+ exits "], hv_args=["devices=virtual"],
                   name="hv-hlt-sti-virtual", check=no_exit("HLT")),
        # Triple fault: contained, reported, statistics, status 4.
        stopped("triplefault", r"loading an empty IDT and executing int3",
                r"triple fault \(an exception while delivering a double fault\): the guest's CPU would "
                r"have shut down", r"triple fault \(2\)", insn="cc"),
        # EPT violations beyond guest RAM, each access type named.
        # The report shows the instruction (mov 0xf0000000, %eax; mov %edx,
        # 0xf0000000), or why it cannot: it is not in RAM.
        ept_case("ept", "read from", r"reading 0xf0000000 \(paging off\)", "a1 00 00 00 f0"),
        ept_case("ept-write", "wrote to", r"writing 0xf0000000 \(paging off\)", "89 15 00 00 00 f0"),
        ept_case("ept-fetch", "fetched from", r"jumping to 0xf0000000 \(paging off\)",
                 r"unreadable \(not mapped by the guest's page tables, or outside its RAM\)"),
        # The emulated 16550: divisor latch, FIFO, IIR, LSR, MSR, scratch.
        guest_done("uart", [UART_LINES[0] % "b0", UART_LINES[1]]),
        # A guest's own power-off with a non-zero status: reported with its
        # status, no register dump (it is no fault), and a verdict of 1: the
        # statuses that mean a panic (3) or a stopped guest (4) are never
        # the guest's to give.
        Case("hv-poweroff-5", bad("poweroff=5"), FAIL,
             must=[r"^badguest: powering off with status 5\n\(guest\) POWEROFF 5\nhv: guest stopped: it powered off "
                   r"with status 5\nhv: exits: \d+ in all", r"^POWEROFF 1$"],
             must_not=NO_PANIC + [r"^hv: guest eax=", r"^hv: the last", r"^POWEROFF 5$"],
             runner_must=[r"^hvrun: power-off, status 1 \(the run reported a failure\)"], timeout=TIMEOUT),
    ]


def native_control_cases():
    """badguest on the bare emulated CPU (no hypervisor): what the hypervisor
    cases expect differs here, so it is the hypervisor's doing there."""
    native = lambda do: [BADGUEST, "--", "do=" + do]  # noqa: E731
    return [
        Case("hv-control-native-cpuid", native("cpuid"), OK,
             must=[r"^badguest: cpuid.1:ecx hypervisor=0 vmx=1$", r"^badguest: done$", r"^POWEROFF 0$"],
             must_not=[r"hvlabhvlabhv"]),
        # The CPU itself refuses the same values (XSAVE it has).
        Case("hv-control-native-refused", native("refused"), OK,
             must=[refused_lines(False), r"^badguest: done$", r"^POWEROFF 0$"]),
        Case("hv-control-native-cr4-vmxe", native("cr4-vmxe"), FAIL,
             must=[r"^badguest: FAIL setting CR4.VMXE raised no exception$"]),
        # Bochs's own 16550 gives the same registers, but for the modem
        # status: no carrier (DCD) on Bochs's file-backed line.
        Case("hv-control-native-uart", native("uart"), OK,
             must=[UART_LINES[0] % "30", UART_LINES[1], r"^POWEROFF 0$"]),
    ]


def refusal_cases():
    """The hypervisor stops before any guest runs, and says why: a PANIC for the
    command line or the machine, a refused guest for a kernel it cannot take."""
    lab = lambda opt, text: Case(  # noqa: E731
        "hv-refuses-" + opt.replace("=", "-"), bad("cpuid", opt), PANIC,
        must=[r"^PANIC hv: %s$" % text, r"^POWEROFF 3$"], must_not=[r"^badguest:", r"^hv: VMXON ok$"])
    big = data_file("guestmem-big.bin", 5 * 1024 * 1024 + 77, 3)
    return [
        Case("hv-refuses-no-ept", bad("cpuid", extra=["--cpu", "core2_penryn_t9600"]), PANIC,
             must=[r"^PANIC hv: mem=ept needs EPT and the unrestricted guest, which this CPU's VMX lacks "
                   r"\(IA32_VMX_PROCBASED_CTLS2 allows 0x[0-9a-f]{8}\): use a CPU model that has them "
                   r"\(Bochs: CPU=tigerlake\), or mem=shadow \(lab 2\)$", r"^POWEROFF 3$"],
             must_not=[r"^badguest:", r"^hv: VMXON ok$"]),
        Case("hv-refuses-virtual-devices-no-preemption-timer",
             bad("cpuid", "mem=shadow", "devices=virtual", extra=["--cpu", "core2_penryn_t9600"]), PANIC,
             must=[r"^PANIC hv: devices=virtual needs the VMX-preemption timer \(IA32_VMX_PINBASED_CTLS bit "
                   r"38\), which this CPU's VMX lacks: the VM's ticks come from the preemption timer, even "
                   r"to a guest that never exits, its TSC stands still by TSC offsetting, and its NMIs "
                   r"wait for the guest's IRET by virtual NMIs \(Bochs: CPU=tigerlake has them all; "
                   r"devices=machine runs on this CPU\)$",
                   r"^POWEROFF 3$"],
             must_not=[r"^badguest:", r"^hv: VMXON ok$"]),
        # devices= left to its default (virtual) on that CPU: the machine's
        # devices, said so, and the guest runs.
        default_virtual(Case("hv-machine-devices-without-preemption-timer",
             bad("cpuid", "mem=shadow", extra=["--cpu", "core2_penryn_t9600"]), OK,
             must=[r"^hv: devices=machine: this CPU's VMX lacks the VMX-preemption timer "
                   r"\(IA32_VMX_PINBASED_CTLS bit 38\), which devices=virtual \(the default\) needs, so the "
                   r"guest programs the machine's PIT and PIC$", r"^badguest: done$"] + GUEST_POWEROFF_0,
             must_not=[r"devices=virtual:"])),
        lab("cpu=deprivileged", r"cpu=deprivileged needs mem=shadow: the hypervisor maps its own GDT and "
                                r"TSS into the guest's address space through the shadow page tables"),
        lab("bt=1", r"bt=1 translates a deprivileged guest kernel's code: it needs cpu=deprivileged"),
        # vms=2 with badguest alone: one group of modules for two VMs
        # (vm_cases.py has the other ways a split fails).
        lab("vms=2", r"vms=2 needs 2 module groups, each a Multiboot kernel and its modules, but 1 module is given"),
        # A guest kernel or module the hypervisor cannot take is the guest's
        # fault: refused with a report and a stopped guest's status, no panic.
        Case("hv-refuses-not-multiboot", ["--module", SYSCALL_ELF, HV], FAIL,
             must=[r"^hv: guest stopped: guest kernel \(module 0, '/boot/syscall.elf'\): kernel is not a "
                   r"Multiboot v1 kernel: no header magic 0x1badb002 in its first 8192 bytes$", r"^POWEROFF 4$"],
             must_not=[r"^hv: VMXON ok$", r"^PANIC"]),
        Case("hv-refuses-too-big", bad("cpuid", "guestmem=4", extra=["--blob", big]), FAIL,
             must=[r"^hv: guest RAM 4 MiB at host",
                   r"^hv: guest stopped: guest module 0 \('/boot/guestmem-big.bin', %d bytes\) does not fit "
                   r"in 4 MiB of guest RAM: give more guestmem=$" % os.path.getsize(big), r"^POWEROFF 4$"],
             must_not=[r"^badguest:", r"^PANIC"]),
    ]


def shadow_cases():
    """mem=shadow (lab 2): badguest builds page tables of its own. What it
    sees is what the bare CPU shows it (the native controls) and what EPT
    shows it; a table or a page outside its RAM is never mapped: the guest is
    stopped and the hypervisor says which entry pointed where."""
    shadow = ["mem=shadow"]
    outside = (r"shadow paging: it %s linear 0x00800000, whose %s is at guest-physical 0xf0000000, "
               r"outside its %d MiB of RAM")
    exc_pf = r"^badguest: page fault cr2=0x00800000\nbadguest: exception 14 error=0x3 eip=0x[0-9a-f]{8} \(at the write\)$"
    ad = (r"^badguest: pde A=1; pte after a read 0x20, a write 0x60; cleared and invalidated: "
          r"after a read 0x20, a write 0x60$")
    native = lambda do: [BADGUEST, "--", "do=" + do]  # noqa: E731
    cases = [
        stopped("paging-outside", r"reading 0x00800000, which its PTE maps to 0xf0000000",
                outside % ("read from", "page", GUEST_RAM_MIB), r"exception or NMI \(0\)", shadow,
                name="hv-shadow-outside-pte"),
        stopped("paging-outside-pt", r"writing 0x00800000, whose page table is at 0xf0000000",
                outside % ("wrote to", "page table", GUEST_RAM_MIB),
                r"exception or NMI \(0\)", shadow, name="hv-shadow-outside-pde"),
        stopped("ept", r"reading 0xf0000000 \(paging off\)",
                r"shadow paging: it read from linear 0xf0000000, whose page is at guest-physical "
                r"0xf0000000, outside its %d MiB of RAM" % GUEST_RAM_MIB, r"exception or NMI \(0\)",
                shadow, name="hv-shadow-outside-paging-off"),
        Case("hv-shadow-pf-reflected", bad("paging-pf", "mem=shadow"), OK,
             must=[exc_pf, r"^hv: shadow: \d+ fills, 1 guest page faults reflected"] + GUEST_POWEROFF_0,
             must_not=NO_PANIC, timeout=TIMEOUT),
        guest_done("paging-ad", [ad], [r"^hv: shadow: \d+ fills, 0 guest page faults reflected, 1 CR3 loads, "
                                        r"1 INVLPGs"], shadow, name="hv-shadow-accessed-dirty"),
        # The same guests on the bare CPU: the same lines.
        Case("hv-control-native-paging-pf", native("paging-pf"), OK, must=[exc_pf, r"^POWEROFF 0$"]),
        Case("hv-control-native-paging-ad", native("paging-ad"), OK, must=[ad, r"^POWEROFF 0$"]),
    ]
    return cases


# objdump's names for the sensitive instructions (hv/x86/sensitive.h), by kind.
SENSITIVE_BY_OBJDUMP = [
    ("PUSHF", r"pushf[wl]?$"),
    ("POPF", r"popf[wl]?$"),
    ("segment-register read", r"(mov[wl]? +%[cdefgs]s,|push[wl]? +%[cdefgs]s$)"),
    ("descriptor-table read", r"(sgdt|sidt|sldt|str)[wl]? "),
    ("segment probe", r"(lar|lsl|verr|verw)[wl]? "),
    ("IRET", r"iret[wld]?$"),
]


def sensitive_in_objdump(elf):
    """{address: kind} of the sensitive instructions in objdump's listing."""
    listing = subprocess.run(["objdump", "-d", "--insn-width=16", elf], stdout=subprocess.PIPE,
                             text=True, check=True).stdout
    found = {}
    for m in re.finditer(r"^ *([0-9a-f]+):\t[0-9a-f ]+\t(?:(?:cs|ds|es|fs|gs|ss|data16|lock|rep\w*) +)*(.*)$",
                         listing, re.M):
        for kind, pattern in SENSITIVE_BY_OBJDUMP:
            if re.match(pattern, m.group(2)):
                found[int(m.group(1), 16)] = kind
    return found


def scan_matches_objdump(console):
    """scan=1 lists every sensitive instruction of the guest kernel that
    objdump shows, at its address and of its kind, and nothing else."""
    listed = {int(a, 16): k for a, k in re.findall(r"^hv: scan: 0x([0-9a-f]{8}) (.+)$", console, re.M)}
    expected = sensitive_in_objdump(GUEST)
    if listed != expected:
        missing = sorted(set(expected.items()) - set(listed.items()))[:4]
        extra = sorted(set(listed.items()) - set(expected.items()))[:4]
        return "scan=1 and objdump disagree: missing %s, extra %s" % (
            ["0x%x %s" % x for x in missing], ["0x%x %s" % x for x in extra])
    totals = re.search(r"^hv: scan: 1 code section: (.*)$", console, re.M)
    for kind, _ in SENSITIVE_BY_OBJDUMP:
        n = sum(1 for k in expected.values() if k == kind)
        if not totals or "%s %d" % (kind, n) not in totals.group(1):
            return "the totals line does not count %d %s" % (n, kind)
    return None


DEPRIVILEGED = ["mem=shadow", "cpu=deprivileged"]


def deprivileged_cases():
    """cpu=deprivileged (lab 3): the guest kernel at ring 1. Its privileged
    instructions fault and are emulated (the same answers as at ring 0), its
    events are delivered in software, and a guest that goes wrong there is
    stopped, the hypervisor never."""
    return [fuzz_case(seed, "shadow", hv_args=["cpu=deprivileged"]) for seed in (7, 8)] + [
        guest_done("hlt-sti", [r"^badguest: woke from hlt 5 times, 5 timer interrupts$"],
                   hv_args=DEPRIVILEGED, name="hv-hlt-sti-deprivileged"),
        stopped("hlt-cli", r"hlt with interrupts off at 0x0*(?P<at>[1-9a-f][0-9a-f]*)",
                r"it halted with interrupts off \(HLT at 0x(?P=at)\), so nothing could ever wake it",
                r"exception or NMI \(0\)", hv_args=DEPRIVILEGED, name="hv-hlt-cli-deprivileged", insn="f4"),
        guest_done("refused", [refused_lines(True)], hv_args=DEPRIVILEGED, name="hv-refused-deprivileged"),
        # SGDT does not trap at ring 1 (hv/x86/sensitive.h): badguest reads the
        # hypervisor's GDT address, above every segment's limit, and its copy
        # of the table takes the #GP of the segment limit, which its own
        # handler gets (the hypervisor's area is never the guest's to read).
        # The kind of bug lab 3's patching cures.
        Case("hv-deprivileged-sgdt-leak", bad("task-switch", *DEPRIVILEGED), FAIL,
             must=[r"^badguest: do=task-switch\nbadguest: exception 13 error=0x0 eip=0x[0-9a-f]{8} "
                   r"\(unexpected\)$",
                   # an unexpected exception is badguest's failure, which it reports itself
                   r"^\(guest\) POWEROFF 1\nhv: guest stopped: it powered off with status 1\n",
                   r"^POWEROFF 1$"],
             must_not=NO_PANIC + [r"^hv: guest stopped: (?!it powered off)"], timeout=TIMEOUT),
        # With patch=1 its SGDT is emulated: badguest gets its own GDT and
        # goes on to its task switch, a far jump to a TSS, which the
        # hypervisor's GDT does not hold: the guest is stopped there.
        stopped("task-switch", r"jumping to the TSS at selector 0x18", r"cpu=deprivileged: the guest "
                r"kernel's instruction at 0x[0-9a-f]{8} faults at ring 1 \(#GP, error 0x18\) and hvlab does "
                r"not emulate it: a far CALL or JMP to a TSS \(a task switch\)", r"exception or NMI \(0\)",
                hv_args=DEPRIVILEGED + ["patch=1"], name="hv-deprivileged-sgdt-patched", insn="ea 00 00 00 00 18 00"),
        fuzz_case(9, "shadow", hv_args=["cpu=deprivileged", "patch=1"]),
        # Patched (its SGDT and IRETs emulated), ptfuzz runs at ring 1: every
        # ring-3 access and fault, delivered in software, as on the bare CPU.
        ptfuzz_case(6, "shadow", hv_args=["cpu=deprivileged", "patch=1"]),
        ptfuzz_case(7, "shadow", hv_args=["cpu=deprivileged", "patch=1"]),
        # Translated (bt=1, issue 21): the kernel's code run only from the
        # translation cache, the same checksum as the bare CPU's.
        ptfuzz_case(8, "shadow", hv_args=["cpu=deprivileged", "bt=1"]),
        ptfuzz_case(9, "shadow", hv_args=["cpu=deprivileged", "bt=1"]),
        Case("hv-refuses-patch-without-deprivileged", bad("cpuid", "patch=1"), PANIC,
             must=[r"^PANIC hv: patch=1 patches a deprivileged guest kernel: it needs cpu=deprivileged$",
                   r"^POWEROFF 3$"], must_not=[r"^badguest:", r"^hv: VMXON ok$"]),
        Case("hv-refuses-shadows-without-bt", bad("cpuid", "mem=shadow", "cpu=deprivileged", "shadows=4"), PANIC,
             must=[r"^PANIC hv: shadows=4 keeps several address spaces' shadows, revalidated from what bt=1 "
                   r"records of each fill: it needs bt=1$", r"^POWEROFF 3$"],
             must_not=[r"^badguest:", r"^hv: VMXON ok$"]),
    ]


def scan_cases():
    """scan=1: the guest kernel's sensitive instructions, before it runs
    (hv/depriv/guest_scan.c); the guest then runs as usual."""
    return [Case("hv-scan-guest-kernel", ["--module", GUEST, HV, "--", "scan=1"], OK,
                 must=[r"^hv: scan: code section 0xc0100000-0x[0-9a-f]{8}: \d+ instructions, 0 bytes "
                       r"undecodable$", r"^hv: scan: 0x[0-9a-f]{8} POPF$", r"^POWEROFF 0$"],
                 must_not=NO_PANIC, check=scan_matches_objdump, timeout=TIMEOUT),
            Case("hv-scan-no-sections", ["--module", "%s do=cpuid" % without_section_headers(BADGUEST),
                                         HV, "--", "scan=1"], OK,
                 must=[r"^hv: scan: the guest kernel has no ELF section headers: nothing to scan$",
                       r"^badguest: done$"],
                 must_not=NO_PANIC + [r"^hv: scan: 0x"], timeout=TIMEOUT)]


def without_section_headers(elf):
    """A copy of an ELF32 file whose header names no section headers
    (e_shoff, e_shnum, e_shstrndx 0): it loads by its program headers as
    before, but says nothing of where its code is."""
    data = bytearray(open(elf, "rb").read())
    data[0x20:0x24] = bytes(4)            # e_shoff
    data[0x30:0x32] = bytes(2)            # e_shnum
    data[0x32:0x34] = bytes(2)            # e_shstrndx
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, "badguest-no-sections.elf")
    with open(path, "wb") as f:
        f.write(data)
    return path


def vmcheck_cases():
    """vmcheck=1 on the reference: no broken rule and no warning (guest RAM
    write-back in the EPT, HOST_RIP at vmx_exit). The warnings themselves are
    proven on planted mistakes (tests/grading/test_vmcheck_warnings.py)."""
    return [Case("hv-vmcheck-clean", bad("cpuid", "vmcheck=1"), OK,
                 must=[r"^hv: VM-entry check: the VMCS passes every check the checker knows$",
                       r"^badguest: done$"] + GUEST_POWEROFF_0,
                 must_not=NO_PANIC + [r"^hv: VM-entry check: (warning|SDM)"], timeout=TIMEOUT)]


def hostile_virtual(attack, *hv_args, extra=()):
    """hvrun arguments: the hypervisor with devices=virtual, the hostile
    kernel's attack as its guest."""
    return list(extra) + ["--module", "%s attack=%s" % (HOSTILE, attack), HV, "--", "devices=virtual"] + list(hv_args)


def screen_lines_are(expected):
    """A check: the log's screen lines ("hv: screen: ...") are exactly these,
    in this order, each once."""
    def check(console):
        got = re.findall(r"^hv: screen: (.*)$", console, re.M)
        if got != expected:
            return "the screen's lines are %r, expected %r" % (got, expected)
        return None
    return check


def screenshot_is_the_log(path, lines_check):
    """A check: the screen's lines, then the picture at path: a PNG that is
    the last screen the log dumps, drawn (tools/runner/screen.py, whose own
    tests prove the drawing)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from runner import screen

    def check(console):
        err = lines_check(console)
        if err:
            return err
        if not os.path.exists(path):
            return "no picture at %s" % path
        want = screen.png(screen.render(screen.parse(console), screen.load_font()))
        with open(path, "rb") as f:
            if f.read() != want:
                return "the picture at %s is not the log's last screen" % path
        return None
    return check


def screen_cases():
    """The text screen with devices=virtual (hv/exit/vm_cga.c): the hostile
    kernel prints 60 lines and a last row as a PC kernel does (the cursor
    set after each line, the screen scrolled at the bottom, where the cursor
    stays at the bottom row's start for 36 lines: hostile
    pc-cga-console), and the log shows each once, in order, the last row at
    the VM's end; the picture is drawn from the dump. A kernel that never
    sets its cursor has its rows logged at the VM's end, a blank one
    between them too."""
    console_lines = ["cga line %d: %s" % (i, "odd" if i % 2 else "even") for i in range(60)]
    console_lines.append("last row, no newline")
    picture = os.path.join(OUT, "hv-screen-lines.png")
    if os.path.exists(picture):
        os.remove(picture)
    end = [r"^hostile: result ", r"^hv: screen dump 80x25 "]
    return [
        Case("hv-screen-lines", hostile_virtual("pc-cga-console", extra=["--screenshot", picture]), OK,
             must=end + [r"^hv: screen row 24 6c4e614e734e744e", r"^hv: screen: cga line 59: odd\n[\s\S]*^hostile: result "],
             must_not=NO_PANIC,
             runner_must=[r"^hvrun: screenshot: "], check=screenshot_is_the_log(picture, screen_lines_are(console_lines)),
             timeout=TIMEOUT),
        Case("hv-screen-lines-depriv", hostile_virtual("pc-cga-console", *DEPRIVILEGED), OK, must=end,
             must_not=NO_PANIC, check=screen_lines_are(console_lines), timeout=TIMEOUT),
        Case("hv-screen-no-cursor", hostile_virtual("pc-cga-no-cursor"), OK,
             must=end + [r"^hostile: result 3 rows written[^\n]*\n(.*\n)*hv: screen: silent row one\n"
                         r"hv: screen: \nhv: screen: silent row three\n"],
             must_not=NO_PANIC, check=screen_lines_are(["silent row one", "", "silent row three"]), timeout=TIMEOUT),
        Case("hv-screen-none", bad("cpuid", "devices=virtual", extra=["--screenshot", picture + ".none.png"]), OK,
             must=[r"^badguest: done$"], must_not=NO_PANIC + [r"^hv: screen"],
             runner_must=[r"^hvrun: --screenshot: no picture: the log has no screen dump"], timeout=TIMEOUT),
    ]


def hv_cases():
    return (handler_cases() + native_control_cases() + refusal_cases() + shadow_cases() + scan_cases()
            + deprivileged_cases() + vmcheck_cases() + scrub_cases() + screen_cases())
