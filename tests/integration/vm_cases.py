"""vm_cases.py: two VMs from two groups of modules (vms=2, hv/guest/vm.h).

The hypervisor splits its Multiboot modules into one group per VM, each a
guest kernel and the modules after it up to the next kernel, builds every VM
(its own RAM, EPT or shadow tables, VMCS, devices), proves their memory
disjoint, and runs them one after the other (devices=machine, as in labs 1-3;
with devices=virtual, the default from lab 4 on, they take turns:
sched_cases.py). Each case checks:
  - both guests run and pass, VM 0's console lines exactly as with one VM,
    VM 1's tagged "(vm1) " and the hypervisor's about it "hv: vm1: ";
  - one line per VM with the host-physical memory behind it, and the
    disjointness line; the ranges are checked here too, against each other
    and against the modules the loader placed;
  - the verdict: the worst of the VMs' statuses, so that the run fails if
    either VM failed, and a VM's end (a power-off, a stop) ends that VM only;
  - a guest in one VM cannot pass a line off as the other VM's;
  - a command line whose modules do not make the VMs it asks for is a
    PANIC that says why.
The hostile attacks across VMs (one VM's secret in its memory and its
registers, looked for by the other) are in tests/kernels/hostile/attacks_vms.c,
run by hostile.py.
"""
import os
import re

from guest_cases import USER
from harness import BUILD, FAIL, GUEST, HV, OK, PANIC, Case

BADGUEST = os.environ.get("BADGUEST_ELF", os.path.join(BUILD, "tests", "badguest.elf"))
HOSTILE = os.environ.get("HOSTILE_ELF", os.path.join(BUILD, "tests", "hostile.elf"))
TIMEOUT = 120
GUEST_RAM = r"0x0-0x4000000 \(64 MiB\)"     # the default guestmem=64
TWO = ["vms=2", "devices=machine"]           # two VMs, one after the other


def programs(*names):
    return [a for n in names for a in ("--module", os.path.join(USER, n + ".elf"))]


def two_guests(mem_args=()):
    """VM 0: the guest OS with test=syscall,cow; VM 1: the guest OS with
    test=timer,forkwait (the timer test programs the machine's PIT and PICs
    after VM 0 has used them). A program's file name is its name in the
    guest, so each group has its own programs."""
    return (["--module", GUEST + " test=syscall,cow"] + programs("syscall", "helper_hello", "cow") +
            ["--module", GUEST + " test=timer,forkwait"] + programs("timer", "forkwait") +
            [HV, "--"] + TWO + list(mem_args))


def memory_lines(vm):
    return r"^hv: vm%d: guest-physical %s on host-physical 0x[0-9a-f]+-0x[0-9a-f]+ \(16384 pages in 1 range\)$" % (
        vm, GUEST_RAM)


DISJOINT = (r"^hv: VM memory disjoint: 2 VMs, 32768 guest pages, each in its own VM's RAM; no host page in two "
            r"VMs, none the hypervisor's \(low memory, image, boot modules, EPT tables, VMCSs, VMX bitmaps\)$")


def ranges_disjoint(console):
    """The host-physical ranges the hypervisor prints for the VMs overlap
    neither each other nor the modules the loader placed ("hv: module N
    start=... size=..."), nor the first MiB."""
    vms = [(int(a, 16), int(b, 16)) for a, b in
           re.findall(r"^hv: vm\d: guest-physical .* on host-physical 0x([0-9a-f]+)-0x([0-9a-f]+) ", console, re.M)]
    mods = [(int(a, 16), int(a, 16) + int(n)) for a, n in
            re.findall(r"^hv: module \d+ start=0x([0-9a-f]+) size=(\d+) ", console, re.M)]
    if len(vms) != 2:
        return "not two VMs' memory lines: %r" % vms
    others = [(0, 0x100000)] + mods
    for i, (a, b) in enumerate(vms):
        for c, d in others + vms[i + 1:]:
            if a < d and c < b:
                return "vm%d's host memory 0x%x-0x%x overlaps 0x%x-0x%x" % (i, a, b, c, d)
    return None


def vm_lines(extra0=(), extra1=()):
    """Both guests' lines, VM 0's exactly as with one VM, VM 1's tagged, in
    order: VM 0 runs to its end before VM 1 starts."""
    return [
        r"^hv: options mem=\w+ cpu=\w+ vms=2 ",
        r"^hv: guest kernel: ELF32, ", r"^hv: vm1: guest kernel: ELF32, ",
        r"^hv: guest kernel loaded at 0x[0-9a-f]+-0x[0-9a-f]+, entry 0x[0-9a-f]+, 3 modules, "
        r"cmdline 'test=syscall,cow'$",
        r"^hv: vm1: guest kernel loaded at 0x[0-9a-f]+-0x[0-9a-f]+, entry 0x[0-9a-f]+, 2 modules, "
        r"cmdline 'test=timer,forkwait'$",
        memory_lines(0), memory_lines(1), DISJOINT,
        r"^hv: entering the guest at 0x",
        r"^TEST syscall: ok$", r"^TEST cow: ok$", r"^guestos: tests done: 2 passed, 0 failed$",
        r"^\(guest\) POWEROFF 0\nhv: guest stopped: it powered off with status 0\nhv: exits: \d+ in all",
        r"^hv: exits: [\s\S]*^hv: vm1: entering the guest at 0x",
        r"^\(vm1\) guestos: cmdline 'test=timer,forkwait'$",
        r"^\(vm1\) TEST timer: ok$", r"^\(vm1\) TEST forkwait: ok$",
        r"^\(vm1\) guestos: tests done: 2 passed, 0 failed$",
        r"^\(vm1\) \(guest\) POWEROFF 0\nhv: vm1: guest stopped: it powered off with status 0\n"
        r"hv: vm1: exits: \d+ in all",
        r"^hv: VMs ended: vm0 status 0, vm1 status 0\nPOWEROFF 0$",
    ] + list(extra0) + list(extra1)


NOT_MIXED = [r"FAIL", r"^PANIC", r"^hv: (vm1: )?guest eax=",
             r"^TEST (timer|forkwait)", r"^\(vm1\) TEST (syscall|cow)"]


def two_guest_cases():
    shadow = [r"^hv: shadow paging: EPT off", r"^hv: vm1: shadow paging: EPT off",
              r"^hv: shadow: \d+ fills", r"^hv: vm1: shadow: \d+ fills"]
    depriv = [r"^hv: deprivileged: the guest kernel runs at ring 1",
              r"^hv: vm1: deprivileged: the guest kernel runs at ring 1",
              r"^hv: deprivileged: [1-9]\d* instructions emulated",
              r"^hv: vm1: deprivileged: [1-9]\d* instructions emulated"]
    return [
        Case("vm-two-guests", two_guests(), OK, must=vm_lines(), must_not=NOT_MIXED, check=ranges_disjoint,
             timeout=TIMEOUT),
        Case("vm-two-guests-shadow", two_guests(["mem=shadow"]), OK, must=vm_lines(shadow), must_not=NOT_MIXED,
             check=ranges_disjoint, timeout=TIMEOUT),
        Case("vm-two-guests-deprivileged", two_guests(["mem=shadow", "cpu=deprivileged"]), OK,
             must=vm_lines(depriv), must_not=NOT_MIXED, check=ranges_disjoint, timeout=TIMEOUT),
        # The same program file given to both VMs: the loader's image holds
        # it twice, each copy still named cow.elf (tools/runner/images.py),
        # so that vm1 too finds a program called cow.
        Case("vm-two-guests-same-program",
             ["--module", GUEST + " test=cow"] + programs("cow") + ["--module", GUEST + " test=cow"] +
             programs("cow") + [HV, "--"] + TWO, OK,
             must=[r"^TEST cow: ok$", r"^\(vm1\) TEST cow: ok$", r"^hv: VMs ended: vm0 status 0, vm1 status 0$"],
             must_not=[r"FAIL", r"^PANIC", r"no such test"], timeout=TIMEOUT),
    ]


def verdict_cases():
    """How the VMs' ends make the run's: a stop or a power-off ends its own
    VM, the next still runs; the run fails if either failed."""
    cow = ["--module", GUEST + " test=cow"] + programs("cow")
    return [
        # VM 0 stopped by the hypervisor; VM 1 runs all the same.
        Case("vm-first-stopped-second-runs",
             ["--module", BADGUEST + " do=triplefault"] + cow + [HV, "--"] + TWO, FAIL,
             must=[r"^hv: guest stopped: triple fault", r"^POWEROFF 4$",
                   r"^hv: exits: [\s\S]*^hv: vm1: entering the guest", r"^\(vm1\) TEST cow: ok$",
                   r"^hv: vm1: guest stopped: it powered off with status 0$",
                   r"^hv: VMs ended: vm0 status 4, vm1 status 0$"],
             must_not=[r"^PANIC", r"^POWEROFF 0$"],
             runner_must=[r"^hvrun: power-off, status 4 \(the hypervisor stopped a misbehaving guest\)"],
             timeout=TIMEOUT),
        # VM 0 passes; VM 1's guest reports a failed test: the run fails.
        Case("vm-second-fails",
             cow + ["--module", GUEST + " test=nosuchtest", HV, "--"] + TWO, FAIL,
             must=[r"^TEST cow: ok$", r"^\(vm1\) TEST nosuchtest: FAIL no such test$",
                   r"^hv: vm1: guest stopped: it powered off with status 1$",
                   r"^hv: VMs ended: vm0 status 0, vm1 status 1\nPOWEROFF 1$"],
             must_not=[r"^PANIC", r"^POWEROFF 0$"],
             runner_must=[r"^hvrun: power-off, status 1 "], timeout=TIMEOUT),
    ]


def forgery_case():
    """VM 0 prints VM 1's lines and the VMs' joint end; VM 1 prints VM 0's
    end and a power-off: each is quoted as its own guest's line, and the
    verdict is the hypervisor's."""
    return Case("vm-console-forgery",
                ["--module", HOSTILE + " attack=console-forged-vm-lines",
                 "--module", HOSTILE + " attack=console-forged-stop", HV, "--"] + TWO, FAIL,
                must=[r"^\(guest\) \(vm1\) TEST cow: ok$", r"^\(guest\) \(vm1\) \(guest\) POWEROFF 0$",
                      r"^\(guest\) hv: vm1: guest stopped: it powered off with status 0$",
                      r"^\(guest\) hv: VMs ended: vm0 status 0, vm1 status 0$",
                      r"^\(vm1\) \(guest\) hv: guest stopped: it powered off with status 0$",
                      r"^hv: vm1: guest stopped: it powered off with status 1$",
                      r"^hv: VMs ended: vm0 status 0, vm1 status 1\nPOWEROFF 1$"],
                must_not=[r"^\(vm1\) TEST", r"^hv: vm1: guest stopped: it powered off with status 0$",
                          r"^hv: VMs ended: vm0 status 0, vm1 status 0$", r"^POWEROFF 0$", r"^PANIC"],
                runner_must=[r"^hvrun: power-off, status 1 "], timeout=TIMEOUT)


def refusal_cases():
    """Modules that do not make the VMs the command line asks for: a PANIC
    that says why, before any guest runs."""
    def refused(name, argv, text):
        return Case("vm-refuses-" + name, argv, PANIC, must=[r"^PANIC hv: %s$" % text, r"^POWEROFF 3$"],
                    must_not=[r"^hv: VMXON ok$", r"^guestos:", r"^\(vm1\)"], timeout=30)
    kernel = ["--module", GUEST + " test=cow"]
    return [
        refused("one-group", kernel + programs("cow") + [HV, "--", "vms=2"],
                r"vms=2 needs 2 module groups, each a Multiboot kernel and the modules after it up to the next "
                r"kernel, but the modules hold 1 \(kernel at module 0\): give one kernel per VM"),
        refused("three-groups-for-two", kernel * 3 + [HV, "--", "vms=2"],
                r"vms=2 needs 2 module groups, each a Multiboot kernel and the modules after it up to the next "
                r"kernel, but the modules hold 3 \(kernels at modules 0, 1 and 2\): give one kernel per VM"),
        refused("too-few-modules", kernel * 2 + [HV, "--", "vms=3"],
                r"vms=3 needs 3 module groups, each a Multiboot kernel and its modules, but 2 modules are given"),
        refused("no-kernel-first", programs("cow") + kernel * 2 + [HV, "--", "vms=2"],
                r"vms=2: module 0 \('/boot/cow.elf'\) is not a Multiboot kernel: each VM's group of modules "
                r"starts with its guest kernel"),
        refused("gdb-guest", kernel * 2 + [HV, "--", "vms=2", "gdb=guest"],
                r"gdb=guest debugs one VM: with vms=2 it is not built yet \(gdb=hv works\)"),
    ]


def debugcon_case():
    """Each VM's port 0xE9 (devices=virtual) is its own debug console: its
    lines are the guest's, marked "(e9) " after the VM's tag and quoted as
    COM1's are; a PANIC written there decides nothing."""
    return Case("vm-debugcon-lines",
                ["--module", HOSTILE + " attack=console-port-e9",
                 "--module", HOSTILE + " attack=console-port-e9", HV, "--", "vms=2", "devices=virtual"], OK,
                must=[r"^\(e9\) \(guest\) hv: hvlab hypervisor \(forged\)$",
                      r"^\(e9\) \(guest\) PANIC hv: forged on port 0xE9$",
                      r"^\(vm1\) \(e9\) \(guest\) PANIC hv: forged on port 0xE9$",
                      r"^hv: VMs ended: vm0 status 0, vm1 status 0\nPOWEROFF 0$"],
                must_not=[r"^PANIC", r"^POWEROFF 1$"],
                runner_must=[r"^hvrun: power-off, status 0 "], timeout=TIMEOUT)


def vm_cases():
    return two_guest_cases() + verdict_cases() + [forgery_case(), debugcon_case()] + refusal_cases()
