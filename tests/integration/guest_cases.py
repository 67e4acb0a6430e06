"""guest_cases.py: integration cases that run the guest OS's in-guest tests
natively (no hypervisor), on QEMU TCG and on Bochs, and under the hypervisor
in Bochs (the guest kernel as the hypervisor's module 0, its programs as the
next modules; test= on the hypervisor's command line is passed on to it).

The guest's user programs reach it as Multiboot modules; the kernel command
line chooses them (guestos/README.md):
    test=all | test=a,b,c     every test prints "TEST name: ok|FAIL why"
    bench=all                 every benchmark prints "BENCH name cycles=N iterations=M"
    timer=lapic               the local APIC's timer ticks instead of the PIT
and the kernel ends with "guestos: tests done: N passed, M failed" and
POWEROFF 0 (all passed) or 1.
"""
import os
import re

from harness import BUILD, GUEST, HOSTILE, HV, OK, FAIL, PANIC, ROOT, TIMEOUT, Case, console_of

USER = os.path.join(BUILD, "guestos", "user")
TESTS = ["badptr", "cow", "divzero", "fairness", "forkwait", "pfstress", "privileged", "ptstress", "sbrk", "segfault",
         "syscall", "timer", "virtcheck"]
BENCHES = ["compute", "ctxswitch", "forkwait", "ipc", "null", "pagefault"]
HELPERS = ["helper_hello", "helper_ptfuzz"]
RUNNER_C = os.path.join(ROOT, "guestos", "kernel", "runner.c")


def named_only(path=RUNNER_C):
    """The long tests test=all leaves out (run when named): the kernel's own
    list, NAMED_ONLY in guestos/kernel/runner.c, read from there so that
    there is one list (tests/tools/test_guest_lists.py)."""
    with open(path) as f:
        m = re.search(r"\bNAMED_ONLY\[\]\s*=\s*\{([^}]*)\}", f.read())
    if not m:
        raise ValueError("%s: no NAMED_ONLY[] = {...} list" % path)
    return re.findall(r'"([^"]+)"', m.group(1))


NAMED_ONLY = named_only()
INPUT = ["input_echo"]   # reads the console: test=all leaves it out
# What each robustness test's bad children must be killed for.
KILLS = {
    "badptr": [r"bad pointer 0xc0100000 passed to write", r"bad pointer 0x00000010 passed to write",
               r"bad pointer 0x00400000 passed to wait", r"bad pointer 0xfffff000 passed to pipe"],
    "divzero": [r"divide error \(error 0x0\) eip=0x"],
    "privileged": [r"general protection fault \(error 0x0\) eip=0x"] * 5 + [r"invalid opcode"],
    "segfault": [r"page fault at 0x00000000 \(read of an unmapped page\)",
                 r"page fault at 0x004[0-9a-f]{5} \(write to a protected page\)",
                 r"page fault at 0xc0100000 \(read of a protected page\)",
                 r"page fault at 0x30000000 \(read of an unmapped page\) eip=0x30000000",
                 r"page fault at 0xbfe[0-9a-f]{5} \(write to an unmapped page\)"],
}


def modules():
    """Every user program, as a --module (the kernel finds them by name)."""
    argv = []
    for name in TESTS + NAMED_ONLY + HELPERS + INPUT + ["bench_" + b for b in BENCHES]:
        argv += ["--module", os.path.join(USER, name + ".elf")]
    return argv


def route(emu, boot):
    return ["--emu", emu, "--boot", boot] + modules() + [GUEST, "--"]


def hv_route(guest_args="", mem="ept", hv_args=()):
    """The hypervisor in Bochs, with the guest kernel (and its own arguments)
    and every program; mem=shadow for lab 2's shadow paging."""
    kernel = (GUEST + " " + guest_args).strip()
    return (["--emu", "bochs", "--boot", "fast", "--module", kernel] + modules() + [HV, "--", "mem=" + mem]
            + list(hv_args))


def verdicts(tests, passed, failed):
    must = [r"^TEST %s: ok$" % t for t in tests]
    must += [r"^guestos: tests done: %d passed, %d failed$" % (passed, failed)]
    return must + [r"^POWEROFF %d$" % (1 if failed else 0)]


def all_tests_case(name, emu, boot, timeout):
    return Case(name, route(emu, boot) + ["test=all"], OK, must=verdicts(TESTS, len(TESTS), 0),
                must_not=[r"^TEST .*FAIL", r"^PANIC", r"^INPUT ready"], timeout=timeout)


def killed_case(test):
    """One robustness test alone: its bad children are killed, each with a
    clear message naming the process, and the kernel goes on."""
    must = [r"^guestos: killed pid \d+ \(%s\): %s" % (test, k) for k in KILLS[test]]
    return Case("guest-killed-" + test, route("qemu", "kernel") + ["test=" + test], OK,
                must=must + verdicts([test], 1, 0), must_not=[r"FAIL", r"^PANIC"])


# timer=lapic's boot line: the bus clock it measured against the PIT, and
# the initial count that gives 100 Hz from it (guestos/kernel/lapic.c).
LAPIC_LINE = r"^guestos: timer: local APIC, ([1-9]\d*) Hz bus clock, initial count ([1-9]\d*) \(divide 16\)$"


def lapic_count_agrees(console):
    """The initial count is the bus clock / 16 / 100 Hz, rounded."""
    bus, count = (int(g) for g in re.search(LAPIC_LINE, console, re.M).groups())
    if abs(bus / 1600 - count) > 0.51:
        return "initial count %d is not %d Hz / 16 / 100" % (count, bus)
    return None


def lapic_cases():
    """timer=lapic: the local APIC's timer ticks instead of the PIT, natively
    on QEMU and on Bochs: every test passes (the benchmarks run too on
    Bochs), and a typed line still reaches input_echo through the UART's
    IRQ 4, which now passes the APIC's LINT0 (virtual wire mode: QEMU
    holds the PIC's interrupts back from a CPU whose LINT0 is masked;
    Bochs lets them through whatever LINT0 says). The option's other
    values: timer=pit is the default's behaviour (no new line); a bad
    value ends the run before anything runs."""
    cases = []
    echoed = r"^input_echo: '%s' \(%d bytes in \d+ reads\)$" % (re.escape(TYPED), len(TYPED))
    for emu, boot, benches, timeout in (("qemu", "kernel", [], 60), ("bochs", "fast", BENCHES, 120)):
        args = ["timer=lapic", "test=all,input_echo"] + (["bench=all"] if benches else [])
        must = [r"^guestos: cmdline '.*%s'$" % " ".join(args), LAPIC_LINE, echoed]
        must += [r"^BENCH %s cycles=\d+ iterations=\d+$" % b for b in benches]
        must += verdicts(TESTS + INPUT, len(TESTS + INPUT) + len(benches), 0)
        cases.append(Case("guest-tests-lapic-%s-%s" % (emu, boot), ["--input", TYPED] + route(emu, boot) + args,
                          OK, must=must, must_not=[r"FAIL", r"^PANIC"], check=lapic_count_agrees, timeout=timeout))
    cases.append(Case("guest-timer-pit", route("qemu", "kernel") + ["timer=pit", "test=timer"], OK,
                      must=verdicts(["timer"], 1, 0), must_not=[r"^guestos: timer:", r"FAIL", r"^PANIC"]))
    cases.append(Case("guest-timer-bogus", route("qemu", "kernel") + ["timer=bogus", "test=all"], FAIL,
                      must=[r"^guestos: bad value 'bogus' for option timer \(allowed: pit, lapic\)\nPOWEROFF 1$"],
                      must_not=[r"^TEST ", r"^guestos: tests done"]))
    return cases


def hv_all_tests_case(mem="ept", cpu=None):
    """The same tests, the same verdicts, under the hypervisor: the guest OS
    sees the hypervisor only where it looks for it (virtcheck's CPUID probe),
    with EPT and with shadow paging alike; shadow paging also on a CPU whose
    VMX has no EPT at all (cpu: a Bochs CPU model), which is what it is for."""
    must = [r"^guestos: cmdline 'test=all'$"] + verdicts(TESTS, len(TESTS), 0)
    must += [r"^VIRTCHECK cpuid_hv: hypervisor bit 1 vendor 'hvlabhvlabhv' -> DIFFERS$",
             r"^\(guest\) POWEROFF 0\nhv: guest stopped: it powered off with status 0\nhv: exits: \d+ in all"]
    name = "guest-tests-hv-bochs" + ("" if mem == "ept" else "-" + mem) + ("-" + cpu if cpu else "")
    argv = hv_route(mem=mem) + ["test=all"]
    if cpu:
        argv = ["--cpu", cpu] + argv
        must += [r"^hv: VMX: .* EPT no, unrestricted guest no"]
    return Case(name, argv, OK, must=must,
                must_not=[r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax="], timeout=120)


DEPRIVILEGED = ["cpu=deprivileged"]

# What the guest kernel sees at ring 1 of the sensitive instructions that
# do not trap (hv/x86/sensitive.h): each virtcheck probe of one DIFFERS.
DEPRIVILEGED_VIRTCHECK = [
    r"^VIRTCHECK popf_if: POPF with IF=0 left IF=1 \(native 0\) -> DIFFERS$",
    r"^VIRTCHECK pushf_if: PUSHF after CLI shows IF=1 \(native 0\) -> DIFFERS$",
    r"^VIRTCHECK cs_rpl: kernel CS=0x9 RPL 1 \(native 0\) -> DIFFERS$",
    r"^VIRTCHECK ss_rpl: kernel SS=0x11 RPL 1 \(native 0\) -> DIFFERS$",
    r"^VIRTCHECK sgdt: base 0xffc00000 limit 0xffff \(the kernel's: 0x[0-9a-f]+ limit 0x2f\) -> DIFFERS$",
    r"^VIRTCHECK sidt: base 0x00000000 limit 0x0 \(the kernel's: 0x[0-9a-f]+ limit 0x7ff\) -> DIFFERS$",
    r"^VIRTCHECK str: selector 0xfff8 \(the kernel's: 0x28\) -> DIFFERS$",
    r"^VIRTCHECK lar: kernel code segment DPL 1 \(native 0\) -> DIFFERS$",
    r"^VIRTCHECK lsl: kernel data segment limit 0xfbffffff \(native 0xffffffff\) -> DIFFERS$",
] + [r"^VIRTCHECK %s: .* -> native$" % p for p in ("sldt", "smsw", "cr0_ne", "cr4_vmxe", "user_rpl", "tsc_jump")]


def hv_deprivileged_case():
    """The guest OS with its kernel at ring 1 (cpu=deprivileged, lab 3):
    every test passes, all of it trapped and emulated, every exception and
    interrupt delivered by the hypervisor; and virtcheck shows what lab 3 is
    about: each sensitive instruction that does not trap tells the kernel
    the truth (POPF, PUSHF, segment reads, SGDT/SIDT/STR, LAR/LSL)."""
    must = verdicts(TESTS, len(TESTS), 0) + DEPRIVILEGED_VIRTCHECK + [
        r"^hv: deprivileged: the guest kernel runs at ring 1; the hypervisor's GDT and TSS at 0xffc00000$",
        r"^hv: deprivileged: [1-9]\d* instructions emulated, [1-9]\d* events delivered, [1-9]\d* external "
        r"interrupts$"]
    return Case("guest-tests-hv-bochs-deprivileged", hv_route("test=all", "shadow", DEPRIVILEGED), OK,
                must=must, must_not=[r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax="], timeout=120)


def hv_patched_case():
    """Lab 3's answer: the same, with each of those instructions in the guest
    kernel patched into INT3 and emulated (patch=1): every virtcheck probe
    says native again, but for CPUID, which no hypervisor hides. All the
    tests but fairness: here one of its workers' time() calls costs some 270
    native system calls, six of the VM's 1 ms ticks (its TSC runs at 4 MHz
    in Bochs), so the shares it measures are where the ticks happen to fall
    (40% to 85% as the hypervisor's exit path changed by a few
    instructions), not the scheduler's; the unpatched case above runs it."""
    tests = [t for t in TESTS if t != "fairness"]
    must = verdicts(tests, len(tests), 0) + [
        r"^VIRTCHECK %s: .* -> native$" % p for p in ("popf_if", "pushf_if", "cs_rpl", "ss_rpl", "sgdt", "sidt",
                                                   "sldt", "str", "smsw", "cr0_ne", "cr4_vmxe", "lar", "lsl", "user_rpl",
                                                   "tsc_jump")]
    must += [r"^VIRTCHECK summary: 1 of 16 probes differ from native$",
             r"^hv: deprivileged: patched \d+ sensitive instructions of the guest kernel into INT3: PUSHF [1-9]\d*, "
             r"POPF [1-9]\d*, segment-register read [1-9]\d*, descriptor-table read [1-9]\d*, segment probe [1-9]\d*, "
             r"IRET [1-9]\d*$"]
    return Case("guest-tests-hv-bochs-deprivileged-patched", hv_route("test=" + ",".join(tests), "shadow",
                                                                       DEPRIVILEGED + ["patch=1"]),
                OK, must=must, must_not=[r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax="], timeout=120)


def hv_translated_case():
    """Lab 3's second answer, VMware's (issue 21): bt=1 runs the guest
    kernel's code only from a translation cache in the hypervisor's area,
    each sensitive instruction rewritten to act on a virtual CPU state
    (hv/bt, hv/depriv/depriv_bt.c). Every test passes, and virtcheck shows
    every probe native but CPUID's. The hypervisor's line proves the kernel
    ran translated: blocks made, entered, chained, their exits counted."""
    must = verdicts(TESTS, len(TESTS), 0) + [
        r"^VIRTCHECK %s: .* -> native$" % p for p in ("popf_if", "pushf_if", "cs_rpl", "ss_rpl", "sgdt", "sidt",
                                                   "sldt", "str", "smsw", "cr0_ne", "cr4_vmxe", "lar", "lsl", "user_rpl",
                                                   "tsc_jump")]
    must += [r"^VIRTCHECK cpuid_hv: .* -> DIFFERS$", r"^VIRTCHECK summary: 1 of 16 probes differ from native$",
             r"^hv: bt: [1-9]\d* blocks translated \([1-9]\d* instructions, [1-9]\d* bytes of the TC\), "
             r"[1-9]\d* entries into translations, exits: [1-9]\d* branch, [1-9]\d* lookup, [1-9]\d* emulate, "
             r"\d+ interrupt, \d+ sti, \d+ fault, \d+ no-code; [1-9]\d* chained, [1-9]\d* lookups filled, "
             r"[1-9]\d* branch sites learnt"]
    return Case("guest-tests-hv-bochs-deprivileged-bt", hv_route("test=all", "shadow", DEPRIVILEGED + ["bt=1"]),
                OK, must=must, must_not=[r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax="], timeout=150)


def hv_virtual_devices_cases():
    """Lab 4's devices=virtual: the guest OS's PIT, PIC and local APIC are
    the hypervisor's models and its timer interrupts are injected (or
    delivered in software at ring 1); every test passes as with the
    machine's chips, and the ticks were counted. The guest's timer is the
    local APIC's (timer=lapic): its register page is emulated access by
    access, each an EPT violation or, at ring 1 under shadow paging, a #PF
    exit, and the PIC's IRQ 4 reaches the CPU through the APIC's LINT0.
    (The PIT through the PIC: lab 4's tests, lab4-inject-guest-os with
    EPT, lab4-ticks-ring1 at ring 1, and sched_cases.py's two VMs.)"""
    devices = [r"^hv: devices=virtual: the guest's PIT and PIC are the hypervisor's models; the TSC "
               r"runs at [1-9]\d* Hz; the guest's TSC counts wall time \(tsc=wall\)$"]
    cases = []
    for suffix, mem, hv_args, how, guest_args in (
            ("-lapic", "ept", [], "injected", "timer=lapic test=all"),
            ("-deprivileged-lapic", "shadow", DEPRIVILEGED, "delivered in software", "timer=lapic test=all")):
        must = verdicts(TESTS, len(TESTS), 0) + devices + [
            r"^hv: devices: [1-9]\d* ticks of IRQ 0 \(OUT0's rising edges\), [1-9]\d* raised, 0 merged or "
            r"dropped \(timer_mode=catchup\); [1-9]\d* interrupts %s$" % how,
            r"^hv: exits: VMX-preemption timer expired +[1-9]\d* exits"]
        if "lapic" in guest_args:
            must += [LAPIC_LINE, r"^hv: lapic: [1-9]\d* register accesses emulated, [1-9]\d* timer expiries$"]
        cases.append(Case("guest-tests-hv-bochs-virtual-devices" + suffix,
                          hv_route(guest_args, mem, hv_args + ["devices=virtual"]), OK, must=must,
                          must_not=[r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax="], timeout=240))
    return cases


def hv_killed_case(mem="ept", hv_args=()):
    """The robustness tests under the hypervisor, in one run: each bad child
    is killed by the guest kernel (its faults never leave the guest) and the
    run goes on to the next. The list goes in the guest kernel's own module
    string: the hypervisor's test= takes one name, without commas."""
    tests = sorted(KILLS)
    must = [r"^guestos: killed pid \d+ \(%s\): %s" % (t, k) for t in tests for k in KILLS[t]]
    name = "guest-killed-hv-bochs" + ("" if mem == "ept" else "-" + mem) + ("-deprivileged" if hv_args else "")
    return Case(name, hv_route("test=" + ",".join(tests), mem, hv_args), OK,
                must=must + verdicts(tests, len(tests), 0)
                + [r"^hv: guest stopped: it powered off with status 0$"],
                must_not=[r"FAIL", r"^PANIC", r"^hv: guest eax="])


TYPED = "typed by hvrun, 42 keys: [ok] {x} 'q' \\ /end"


def input_cases():
    """Console input, natively: the runner types a line (hvrun --input) when
    the guest asks with "INPUT ready", the UART's interrupt (IRQ 4) carries
    it into the kernel, and input_echo prints exactly that line back."""
    echoed = r"^input_echo: '%s' \(%d bytes in \d+ reads\)$" % (re.escape(TYPED), len(TYPED))
    cases = [Case("guest-input-" + emu + "-" + boot, ["--input", TYPED] + route(emu, boot) + ["test=input_echo"],
                  OK, must=[r"^INPUT ready$", echoed] + verdicts(INPUT, 1, 0), must_not=[r"FAIL", r"^PANIC"])
             for emu, boot in (("qemu", "kernel"), ("bochs", "fast"))]
    # Under the hypervisor with devices=virtual (at ring 0 with EPT and with
    # shadow paging, and at ring 1): it polls the machine's COM1 and hands
    # each byte to the VM's UART receiver, whose IRQ 4 is injected (or
    # delivered in software), and as keys to its keyboard controller.
    for suffix, mem, hv_args in (("", "ept", []), ("-shadow", "shadow", []),
                                 ("-deprivileged", "shadow", DEPRIVILEGED)):
        cases.append(Case("guest-input-hv-bochs-virtual-devices" + suffix,
                          ["--input", TYPED] + hv_route("test=input_echo", mem, hv_args + ["devices=virtual"]), OK,
                          must=[r"^INPUT ready$", echoed] + verdicts(INPUT, 1, 0) + [
                              r"^hv: input: %d bytes typed, %d to COM1's receiver, \d+ to the keyboard, 0 lost$"
                              % (len(TYPED) + 1, len(TYPED) + 1)],
                          must_not=[r"FAIL", r"^PANIC", r"^hv: guest eax="], timeout=120))
    # The same line read from the keyboard controller by the hostile kernel
    # (tests/kernels/hostile/attacks_pci_kbc.c), as set-1 scan codes:
    # polled at its status port, and through IRQ 1 with the CPU halted
    # between interrupts (the hypervisor takes the bytes at the VM's ticks),
    # and with IRQ 1 the only line open and no timer (a halt that only a key
    # ends: the hypervisor looks for typed bytes at its own pace).
    keys = len(TYPED) + 1
    for attack, extra in (("pc-kbc-typed-polled", ""), ("pc-kbc-typed-irq", r", \d+ interrupts"),
                          ("pc-kbc-typed-irq-alone", r", \d+ interrupts")):
        for suffix, hv_args in (("", ["mem=ept"]), ("-shadow", ["mem=shadow"]),
                                ("-deprivileged", ["mem=shadow"] + DEPRIVILEGED)):
            typed = r"^hostile: result typed '%s' in %d keys, each make then its break%s$" % (
                re.escape(TYPED), keys, extra)
            cases.append(Case("guest-input-hv-bochs-keyboard-%s%s" % (attack[len("pc-kbc-typed-"):], suffix),
                              ["--input", TYPED, "--emu", "bochs", "--boot", "fast", "--module",
                               HOSTILE + " attack=" + attack, HV, "--", "devices=virtual"] + hv_args, OK,
                              must=[r"^INPUT ready$", typed, r"^hv: guest stopped: it powered off with status 0$"],
                              must_not=[r"BREACH", r"^PANIC"], timeout=120))
    # Typed before the guest enabled anything: COM1 read by polling with its
    # interrupt off, the keyboard disabled (it keeps none of it), IRQ 1 and
    # 4 open without handlers (an interrupt would end the run).
    before = r"^hostile: result read '%s' from COM1 with its interrupt off, no IRQ 4; the keyboard kept none of it$" % (
        re.escape(TYPED))
    for suffix, hv_args in (("", ["mem=ept"]), ("-deprivileged", ["mem=shadow"] + DEPRIVILEGED)):
        cases.append(Case("guest-input-hv-bochs-before-enabling" + suffix,
                          ["--input", TYPED, "--emu", "bochs", "--boot", "fast", "--module",
                           HOSTILE + " attack=pc-input-before-enabling", HV, "--", "devices=virtual"] + hv_args, OK,
                          must=[r"^INPUT ready$", before, r"^hv: input: %d bytes typed, %d to COM1's receiver, "
                                r"%d to the keyboard, 0 lost$" % ((len(TYPED) + 1,) * 3)],
                          must_not=[r"BREACH", r"^PANIC"], timeout=120))
    # Two VMs in turns on the CPU: the input is VM 0's (it reads the line
    # from its keyboard); VM 1, reading its COM1, is typed nothing.
    cases.append(Case("guest-input-hv-bochs-two-vms",
                      ["--input", TYPED, "--emu", "bochs", "--boot", "fast",
                       "--module", HOSTILE + " attack=pc-kbc-typed-polled",
                       "--module", HOSTILE + " attack=pc-com1-nothing-typed", HV, "--", "devices=virtual", "vms=2"], OK,
                      must=[r"^INPUT ready$", r"^hostile: result typed '%s' in %d keys, each make then its break$"
                            % (re.escape(TYPED), len(TYPED) + 1),
                            r"^hv: input: %d bytes typed, " % (len(TYPED) + 1),
                            r"^hv: VMs ended: vm0 status 0, vm1 status 0$"],
                      must_not=[r"BREACH", r"^PANIC", r"^hv: vm1: input:"], timeout=120))
    # Nothing is typed unless asked for: the guest waits, and the run times out.
    cases.append(Case("guest-input-none-waits", route("qemu", "kernel") + ["test=input_echo"], TIMEOUT,
                      must=[r"^INPUT ready$"], must_not=[r"^input_echo: ", r"^TEST input_echo"],
                      timeout=5))
    return cases


# The PV build of the same sources (guestos/README.md, "The PV build"):
# build/guestos-pv/kernel.elf, which runs only under cpu=pv.
GUEST_PV = os.path.join(BUILD, "guestos-pv", "kernel.elf")
PV_LINE = (r"^guestos: paravirtual \(cpu=pv\): [1-9]\d* pages \(at most [1-9]\d*\), in use below pfn [1-9]\d*; "
           r"MMU batches %s$")
PV_REFUSED = r"^guestos: this kernel is built with PV=1: it runs only under the hypervisor's cpu=pv$"


def pv_route(guest_args, hv_args=()):
    """The PV kernel (and its own arguments) and every program under the
    hypervisor's cpu=pv in Bochs."""
    return (["--emu", "bochs", "--boot", "fast", "--module", GUEST_PV + " " + guest_args] + modules()
            + [HV, "--", "cpu=pv"] + list(hv_args))


def vmcalls(console):
    m = re.search(r"^hv: exits: VMCALL +(\d+) exits", console, re.M)
    return int(m.group(1)) if m else None


def pv_batching_saves(console):
    """The batched run made fewer than half the hypercalls of the same run
    with pvbatch=0 (fork's copy and exit's teardown: one multicall each)."""
    batched = vmcalls(console)
    unbatched = vmcalls(console_of(pv_route("bench=forkwait pvbatch=0"), 240))
    if batched is None or unbatched is None or not 2 * batched < unbatched:
        return "VMCALL exits: %s batched, %s with pvbatch=0: batching should halve them at least" % (
            batched, unbatched)
    return None


BALLOON_HOLDS = r"^hv: balloon: vm0 holds (\d+) pages"


def balloon_down_then_up(console):
    """The VM gave pages back (the hypervisor saw it hold fewer than all
    16384), then took them all again; the hypervisor printed a line at the
    build and one as a target was reached or left (at most 4 here), not
    one per memory_op call (some 50 of 128 pages each)."""
    held = [int(n) for n in re.findall(BALLOON_HOLDS, console, re.M)]
    low = min(held, default=16384)
    if low >= 16384 or held[-1] != 16384 or held.index(low) == len(held) - 1 or len(held) > 4:
        return "the VM's pages through the run %s: not down, then up to 16384, in at most 4 lines" % held
    return None


BALLOON_LINE = r"^hv: balloon: vm(\d) holds (\d+) pages \(target (\d+)\), hypervisor free (\d+) pages$"
HV_RESERVE_PAGES = 256      # hv/pv/balloon.c: the allocator's last pages stay the hypervisor's


def balloon_exchange(console):
    """Two VMs of 16 MiB (4096 pages): vm0's balloon gives 2048 back, and
    the hypervisor's free pages rise; then vm1's grows to 8192, and they
    fall. vm1's 4096 new pages are more than the hypervisor had free after
    building both VMs (its last HV_RESERVE_PAGES aside): some are vm0's."""
    lines = [tuple(int(x) for x in m) for m in re.findall(BALLOON_LINE, console, re.M)]
    built = [l for l in lines if l[1] == 4096]
    gave = [i for i, l in enumerate(lines) if l[:3] == (0, 2048, 2048)]
    took = [i for i, l in enumerate(lines) if l[:3] == (1, 8192, 8192)]
    if len(built) < 2 or built[0][0] != 0 or built[1][0] != 1 or not gave or not took:
        return "balloon lines %s: not vm0 and vm1 built with 4096 pages, vm0 at 2048, vm1 at 8192" % lines
    free_built, free_gave, free_took = built[1][3], lines[gave[0]][3], lines[took[0]][3]
    if not gave[0] < took[0] or not free_built < free_gave or not free_took < free_gave:
        return ("free pages %d after the build, %d when vm0 held 2048, %d when vm1 held 8192: not rising as vm0 "
                "gives, then falling as vm1 takes" % (free_built, free_gave, free_took))
    if not 4096 > free_built - HV_RESERVE_PAGES:
        return "vm1 could grow by 4096 pages from the %d free after the build: no proof it took vm0's" % free_built
    return None


def two_vm_balloon(targets):
    """Two PV guest OS VMs of 16 MiB in a machine of 46 MiB: vm0 runs
    forkwait and ptstress, vm1 (which may grow to 32 MiB) balloon_use. The
    machine is small enough that the hypervisor alone cannot give vm1 its
    16 MiB more (balloon_exchange): about 2800 pages free after the build."""
    return ["--emu", "bochs", "--boot", "fast", "--mem", "46",
            "--module", GUEST_PV + " test=forkwait,ptstress", "--module", os.path.join(USER, "forkwait.elf"),
            "--module", os.path.join(USER, "ptstress.elf"), "--module", GUEST_PV + " test=balloon_use",
            "--module", os.path.join(USER, "balloon_use.elf"),
            HV, "--", "cpu=pv", "vms=2", "guestmem=16", "maxmem=-/32", targets]


def pv_cases():
    """The PV kernel: every test passes under cpu=pv, its page tables
    validated by the hypervisor (direct paging), its clock, interrupts,
    console and power-off hypercalls; the robustness tests' children are
    killed as natively; batching the MMU's updates saves hypercalls; and
    its Multiboot entry, natively or under the hypervisor's other modes,
    says what it needs and powers off 1."""
    quiet = [r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax=", r"^\(guest\) PANIC"]
    kills = sorted(KILLS)
    cases = [
        Case("guest-pv-tests-hv-bochs", pv_route("test=all"), OK,
             must=[PV_LINE % "on"] + verdicts(TESTS, len(TESTS), 0)
             + [r"^VIRTCHECK cpuid_hv: hypervisor bit 1 vendor 'hvlabhvlabhv' -> DIFFERS$",
                r"^hv: guest stopped: it powered off with status 0$"],
             must_not=quiet, timeout=240),
        Case("guest-pv-killed-hv-bochs", pv_route("test=" + ",".join(kills)), OK,
             must=[r"^guestos: killed pid \d+ \(%s\): %s" % (t, k) for t in kills for k in KILLS[t]]
             + verdicts(kills, len(kills), 0), must_not=quiet, timeout=240),
        Case("guest-pv-bench-batching", pv_route("bench=forkwait"), OK,
             must=[PV_LINE % "on", r"^BENCH forkwait cycles=\d+ iterations=\d+$"], must_not=quiet,
             check=pv_batching_saves, timeout=240),
        # balloon=40,64@6000: the target (lib/pv_abi.h section 8) is 40 MiB
        # from the start, the whole 64 MiB from 6 s of the VM's time (its
        # boot takes most of that: the balloon may not reach 40 MiB first);
        # the tests run meanwhile (none that counts free pages or times
        # itself).
        Case("guest-pv-balloon", pv_route("test=" + ",".join(["forkwait", "ptstress", "segfault", "badptr"] * 3),
                                          ["balloon=40,64@6000"]), OK,
             must=[r"^guestos: balloon: 16384 pages \(target 16384\)$"] + verdicts([], 12, 0),
             must_not=quiet, check=balloon_down_then_up, timeout=240),
        # balloon=1@400: from 400 ms the target (1 MiB) is less than the
        # kernel needs, so kalloc runs dry and the PV kernel gives back the
        # page tables it kept pinned for reuse (pv/table_cache.c: unpinned,
        # writable again, freed), which the balloon then gives the
        # hypervisor (decrease_reservation takes only frames nothing refers
        # to); the tests after that fail for want of memory, not otherwise.
        Case("guest-pv-balloon-kept-tables", pv_route("test=" + ",".join(["forkwait"] * 6),
                                                      ["balloon=1@400", "dpcheck=500"]), FAIL,
             must=[r"^guestos: out of free pages: [1-9]\d* kept page tables given back$",
                   r"^guestos: balloon: \d+ pages \(target 256\)$", r"^guestos: out of memory",
                   r"^hv: direct paging: \d+ recounts \(every 500 hypercalls, and at shutdown\), all as kept$"],
             must_not=[r"^PANIC", r"^hv: guest eax=", r"^\(guest\) PANIC", r"refused"], timeout=240),
        # Two VMs (lab 4) in a machine of 46 MiB: vm0's balloon goes down
        # by 8 MiB from its start, and from 8 s of its time vm1's goes up
        # by 16 MiB past its start (maxmem=-/32), more than the hypervisor
        # had free; balloon_use in vm1 then writes 17 MiB, more than vm1
        # started with.
        Case("guest-pv-balloon-two-vms", two_vm_balloon("balloon=8/32@8000"), OK,
             must=[r"^hv: vm1: PV guest: its balloon may grow to 8192 pages \(maxmem=32\)$",
                   r"^guestos: balloon: 2048 pages \(target 2048\)$",
                   r"^\(vm1\) guestos: balloon: 8192 pages \(target 8192\)$",
                   r"^\(vm1\) balloon_use: 17 MiB written and read back \(\d+ pages free at its start, waited "
                   r"[1-9]\d* ms\)$", r"^\(vm1\) TEST balloon_use: ok$",
                   r"^hv: VMs ended: vm0 status 0, vm1 status 0$"],
             must_not=quiet, check=balloon_exchange, timeout=240),
        # The same two VMs, vm1's target from its start: its balloon finds
        # the hypervisor short (it gets what is free above the reserve),
        # and tries again until vm0's balloon has given its 8 MiB.
        Case("guest-pv-balloon-retry", two_vm_balloon("balloon=8/32"), OK,
             must=[r"^hv: balloon: vm1 holds \d+ pages \(target 8192\), hypervisor free 256 pages$",
                   r"^\(vm1\) guestos: balloon: 8192 pages \(target 8192\)$",
                   r"^\(vm1\) TEST balloon_use: ok$", r"^hv: VMs ended: vm0 status 0, vm1 status 0$"],
             must_not=quiet, timeout=240),
    ]
    refused = [PV_REFUSED, r"^(\(guest\) )?POWEROFF 1$"]
    for emu, boot in (("qemu", "kernel"), ("bochs", "fast")):
        cases.append(Case("guest-pv-refused-%s-%s" % (emu, boot), ["--emu", emu, "--boot", boot, GUEST_PV, "--",
                                                                    "test=all"], FAIL,
                          must=refused, must_not=[r"^guestos: hvlab guest OS"]))
    cases.append(Case("guest-pv-refused-hv-bochs", ["--emu", "bochs", "--boot", "fast", "--module",
                                                     GUEST_PV + " test=all", HV, "--", "mem=ept"], FAIL,
                      must=refused + [r"^hv: guest stopped: it powered off with status 1$"],
                      must_not=[r"^guestos: hvlab guest OS"]))
    return cases


PTFUZZ_LINES = r"^PTFUZZ .*$"


def ptfuzz_same_as(mem):
    """A check: every PTFUZZ line (a digest per kind of operation, then all
    of them) reads the same as in the same program's run on the native
    guest OS under the hypervisor with mem=`mem`."""
    def check(console):
        mine = re.findall(PTFUZZ_LINES, console, re.M)
        ref = re.findall(PTFUZZ_LINES, console_of(hv_route("test=ptfuzz", mem), 240), re.M)
        if not ref:
            return "the run under mem=%s printed no PTFUZZ line" % mem
        if mine != ref:
            diff = [(a, b) for a, b in zip(mine, ref) if a != b] or [(mine, ref)]
            return "differs from mem=%s: %s" % (mem, "; ".join("'%s', there '%s'" % d for d in diff))
        return None
    return check


def ptfuzz_cases():
    """ptfuzz (guestos/user/ptfuzz.c: sbrk across page tables, COW both
    ways, pipes, spawn, faults) on the PV kernel, every page-table write
    validated by the hypervisor (direct paging), reads back exactly what it
    reads on the native kernel under EPT and under shadow paging: its
    digests are the same, line for line (lab 5's ptfuzz-equals-ept)."""
    must = [r"^PTFUZZ seed 0x[0-9a-f]+: [1-9]\d* ops, digest 0x[0-9a-f]{8}$"] + verdicts(["ptfuzz"], 1, 0)
    quiet = [r"^TEST .*FAIL", r"^PANIC", r"^hv: guest eax=", r"^\(guest\) PANIC"]
    return [Case("guest-pv-ptfuzz-equals-" + mem, pv_route("test=ptfuzz"), OK, must=[PV_LINE % "on"] + must,
                 must_not=quiet, check=ptfuzz_same_as(mem), timeout=240) for mem in ("ept", "shadow")]


def bench_case():
    must = [r"^BENCH %s cycles=\d+ iterations=\d+$" % b for b in BENCHES]
    return Case("guest-bench-bochs-fast", route("bochs", "fast") + ["bench=all"], OK,
                must=must + [r"^guestos: tests done: %d passed, 0 failed$" % len(BENCHES)],
                must_not=[r"FAIL", r"^PANIC"], timeout=120)


def guest_cases():
    cases = [
        all_tests_case("guest-tests-qemu-kernel", "qemu", "kernel", 60),
        all_tests_case("guest-tests-bochs-fast", "bochs", "fast", 120),
        all_tests_case("guest-tests-bochs-grub", "bochs", "grub", 120),
        # A list runs exactly the tests named, in order; a name with no
        # program fails that test without hanging the run.
        Case("guest-test-list", route("qemu", "kernel") + ["test=syscall,nosuch,cow"], FAIL,
             must=[r"^TEST syscall: ok\nTEST nosuch: FAIL no such test\n(.*\n)*TEST cow: ok$"]
             + verdicts([], 2, 1)[:-1] + [r"^POWEROFF 1$"],
             must_not=[r"^TEST (?!syscall|nosuch|cow)"]),
        Case("guest-no-such-bench", route("qemu", "kernel") + ["bench=nosuch"], FAIL,
             must=[r"^BENCH nosuch: FAIL no such benchmark$", r"^POWEROFF 1$"]),
        # A kernel panic names its cause, prints registers, and powers off 3.
        Case("guest-panic", route("qemu", "kernel") + ["fault=panic"], PANIC,
             must=[r"^PANIC guestos: fault=panic on the command line$", r"cr3=0x", r"^POWEROFF 3$"]),
        Case("guest-kernel-pagefault", route("qemu", "kernel") + ["fault=pagefault"], PANIC,
             must=[r"^PANIC guestos: page fault in the kernel at eip=0xc01[0-9a-f]{5} \(cr2=0x00000000\)$",
                   r"eax=0x[0-9a-f]{8} ebx=", r"^POWEROFF 3$"]),
        bench_case(),
    ] + lapic_cases() + [
        hv_all_tests_case(),
        hv_killed_case(),
        hv_all_tests_case("shadow"),
        hv_all_tests_case("shadow", cpu="core2_penryn_t9600"),
        hv_killed_case("shadow"),
        hv_deprivileged_case(),
        hv_killed_case("shadow", DEPRIVILEGED),
        hv_patched_case(),
        hv_translated_case(),
    ] + hv_virtual_devices_cases()
    return cases + [killed_case(t) for t in sorted(KILLS)] + input_cases() + pv_cases() + ptfuzz_cases()
