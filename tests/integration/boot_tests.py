#!/usr/bin/env python3
"""boot_tests.py: the boot routes and the runner's outcomes, tested for real.

    tests/integration/boot_tests.py [-j N] [-k SUBSTRING]

Every case boots in Bochs or QEMU (harness.py runs them in parallel):
  - the Multiboot contract: the mbinfo test kernel prints what it was given,
    on every loader and emulator, and each detail is checked;
  - the hypervisor and the guest OS boot on every route;
  - every outcome the runner names (power-off, panic, triple fault, timeout,
    an emulator that dies) and every error it reports;
  - two VMs from two groups of modules (vm_cases.py), and on one CPU
    in turns (sched_cases.py), a guest's timer ticks under each missed-tick
    policy and its TSC (timer_cases.py);
  - PC kernels nobody here wrote, from Debian's packages (foreign_cases.py);
  - a PV guest (cpu=pv, lab 5): its start of day and hypercalls, friendly
    and hostile (pv_cases.py);
  - what a ring-0 kernel sees of the CPU, the same natively and in every
    mode: self-modifying code, faults in every kind of instruction a
    translator rewrites, the sensitive instructions (conform_cases.py).
"""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from runner.emulators import kvm_vtx_problem  # noqa: E402
from guest_cases import guest_cases  # noqa: E402
from hv_cases import hv_cases  # noqa: E402
from load_cases import load_cases  # noqa: E402
from lab_cases import lab_cases  # noqa: E402
from gdb_cases import gdb_cases  # noqa: E402
from gdb_depriv_cases import gdb_depriv_cases  # noqa: E402
from vm_cases import vm_cases  # noqa: E402
from sched_cases import sched_cases  # noqa: E402
from timer_cases import timer_cases  # noqa: E402
from foreign_cases import foreign_cases  # noqa: E402
from long_mode_cases import long_mode_cases  # noqa: E402
from pv_cases import pv_cases  # noqa: E402
from apf_cases import apf_cases  # noqa: E402
from conform_cases import conform_cases  # noqa: E402

from harness import (DATA, DIED, GUEST, HV, MBINFO, MBINFO_KLUDGE, OK, PANIC, TIMEOUT, TRIPLE,
                     ROOT, USAGE, Case, crc, data_file, reached_cases, run_all, studenttree)

try:
    from vmx_entry_cases import vmx_entry_cases  # noqa: E402
except ImportError:
    # A student tree has no VM-entry checker cases: they test the
    # reference's VMCS, which a student's lab 1 code replaces.
    def vmx_entry_cases():
        return []

# (emulator, loader) pairs: every route a kernel can take.
ROUTES = [("bochs", "fast"), ("bochs", "grub"), ("qemu", "fast"), ("qemu", "grub"), ("qemu", "kernel")]


def boot_path(route, name):
    """How a file's path reaches the kernel: GRUB and the fast loader say
    /boot/NAME, QEMU's -kernel says boot/NAME (tools/runner/images.py)."""
    return ("boot/" if route == "kernel" else "/boot/") + name


def expected_cmdline(route, kernel_name, args):
    """GRUB 2 passes only the arguments; QEMU's -kernel puts the kernel's path
    first. The fast loader does as GRUB does."""
    return (boot_path(route, kernel_name) + " " + args) if route == "kernel" else args


def loader_name(route):
    return {"fast": "hvlab fast loader", "grub": "GRUB.*", "kernel": "qemu"}[route]


def mbinfo_cases(small, big):
    cases = []
    for emu, route in ROUTES:
        for kernel in (MBINFO, MBINFO_KLUDGE):
            kname = os.path.basename(kernel)
            cmd = expected_cmdline(route, kname, "alpha=1 beta=two")
            must = [
                r"^mbinfo: magic ok$",
                r"^mbinfo: cmdline='%s'$" % cmd,
                r"^mbinfo: loader='%s'$" % loader_name(route),
                r"^mbinfo: mods=2$",
                r"^mbinfo: mem_lower=6\d\d mem_upper=\d+$",
                # usable RAM from 1 MiB on, as the E820 map says
                r"^mbinfo: mmap base=0x0000000000100000 len=0x[0-9a-f]+ type=1$",
                r"^mbinfo: module 0 start=0x[0-9a-f]{5}000 size=%d aligned=yes crc32=%s string='%s one'$"
                % (os.path.getsize(small), crc(small), boot_path(route, "small.bin")),
                r"^mbinfo: module 1 start=0x[0-9a-f]{5}000 size=%d aligned=yes crc32=%s string='%s two three'$"
                % (os.path.getsize(big), crc(big), boot_path(route, "big.bin")),
                r"^POWEROFF 0$",
            ]
            cases.append(Case("mbinfo-%s-%s-%s" % (kname.replace(".elf", ""), emu, route),
                              ["--emu", emu, "--boot", route, "--blob", small + " one",
                               "--blob", big + " two three", kernel, "--", "alpha=1", "beta=two"],
                              OK, must=must))
    return cases


def hv_boot_cases(big):
    """The hypervisor on every route, with the mbinfo kernel as its guest and a
    6 MiB module for it: the guest must get the module intact, through the
    hypervisor's own Multiboot loader. QEMU TCG has no VMX: the hypervisor
    must say so and stop."""
    cases = []
    for emu, route in ROUTES:
        must = [
            r"^hv: hvlab hypervisor \(x86-64\), tsc=\d+$",
            r"^hv: loader '%s'$" % loader_name(route),
            r"^hv: cmdline '%s'$" % expected_cmdline(route, "hv.elf", "mem=ept"),
            r"^hv: memory \d+ KiB usable in \d+ regions$",
            r"^hv: module 0 start=0x[0-9a-f]{8} size=%d crc32=%s string='%s x=1'$"
            % (os.path.getsize(MBINFO), crc(MBINFO), boot_path(route, "mbinfo.elf")),
            r"^hv: module 1 start=0x[0-9a-f]{8} size=%d crc32=%s string='%s'$"
            % (os.path.getsize(big), crc(big), boot_path(route, "big.bin")),
            r"^hv: pmm \d+ pages free of \d+$",
        ]
        if emu == "bochs":
            status, must = OK, must + [
                r"^hv: VMXON ok$",
                r"^mbinfo: loader='hvlab hypervisor'$",
                r"^mbinfo: cmdline='x=1'$",
                r"^mbinfo: module 0 start=0x[0-9a-f]{5}000 size=%d aligned=yes crc32=%s string='%s'$"
                % (os.path.getsize(big), crc(big), boot_path(route, "big.bin")),
                r"^hv: guest stopped: it powered off with status 0$",
                r"^hv: exits: \d+ in all",
                r"^POWEROFF 0$"]
        else:
            status, must = PANIC, must + [r"^PANIC hv: this CPU has no VMX"]
        cases.append(Case("hv-boot-%s-%s" % (emu, route),
                          ["--emu", emu, "--boot", route, "--module", MBINFO + " x=1", "--blob", big,
                           HV, "--", "mem=ept"], status, must=must))
    return cases


def guest_native_cases():
    cases = []
    for emu, route in ROUTES:
        must = [r"^guestos: hvlab guest OS \(i386\), tsc=\d+$",
                r"^guestos: cmdline '%s'$" % expected_cmdline(route, "kernel.elf", "test=all"),
                r"^POWEROFF 0$"]
        cases.append(Case("guest-native-%s-%s" % (emu, route),
                          ["--emu", emu, "--boot", route, GUEST, "--", "test=all"], OK, must=must))
    return cases


def outcome_cases():
    """Each outcome the runner names, produced by a real machine."""
    hv = lambda *args: [HV, "--"] + list(args)  # noqa: E731
    return [
        Case("outcome-panic", hv("fault=panic"), PANIC,
             must=[r"^PANIC hv: ", r"backtrace|Backtrace"], runner_must=[r"^hvrun: PANIC hv: "]),
        Case("outcome-pagefault", hv("fault=pagefault"), PANIC,
             must=[r"^PANIC hv: exception #PF", r"cr2=0x"]),
        Case("outcome-divide", hv("fault=divide"), PANIC, must=[r"^PANIC hv: exception #DE"]),
        Case("outcome-bad-option", hv("bogus=1"), PANIC, must=[r"^PANIC hv: unknown option 'bogus"]),
        Case("outcome-bad-value", hv("mem=fast"), PANIC,
             must=[r"^PANIC hv: bad value 'fast' for option mem \(allowed: ept, shadow, direct\)"]),
        Case("outcome-triplefault-bochs", hv("fault=triplefault"), TRIPLE,
             must_not=[r"^POWEROFF"], runner_must=[r"^hvrun: triple fault"]),
        Case("outcome-triplefault-qemu", ["--emu", "qemu"] + hv("fault=triplefault"), TRIPLE,
             runner_must=[r"^hvrun: triple fault"]),
        Case("outcome-timeout", hv("fault=hang"), TIMEOUT, timeout=4,
             runner_must=[r"^hvrun: timeout after 4 s"]),
    ]


def fake_qemu_dir(name="fake-qemu", message="fake qemu: simulated crash"):
    """A PATH entry whose qemu-system-x86_64 dies at once, saying `message`:
    the runner must say that the emulator stopped without a power-off."""
    d = os.path.join(DATA, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "qemu-system-x86_64")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho '%s' >&2\nexit 1\n" % message)
    os.chmod(path, 0o755)
    return d


def flaky_bochs_dir():
    """A PATH entry whose bochs fails its first start the way a real Bochs does
    when every rfb port is taken: it has already locked the disk image
    (disk.img.lock, in the run's directory) and dies without removing the lock.
    Later starts run the real Bochs: the runner's retry must succeed."""
    d = os.path.join(DATA, "flaky-bochs")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "bochs")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                "if [ ! -e failed-once ]; then\n"
                "  touch failed-once disk.img.lock\n"
                "  echo '00000000000p[RFB   ] >>PANIC<< RFB: could not bind any port between 5900 and 5949'\n"
                "  exit 1\n"
                "fi\n"
                "exec %s \"$@\"\n" % shutil.which("bochs"))
    os.chmod(path, 0o755)
    return d


def bare_path_dir():
    """A PATH entry with python3 and nothing else: no emulator is installed."""
    d = os.path.join(DATA, "bare-path")
    os.makedirs(d, exist_ok=True)
    link = os.path.join(d, "python3")
    if not os.path.lexists(link):
        os.symlink(sys.executable, link)
    return d


def error_cases(not_elf):
    return [
        Case("error-missing-emulator", [MBINFO], USAGE, env={"PATH": bare_path_dir()},
             runner_must=[r"^hvrun: error: bochs not found: run `make deps` \(Debian package bochs\)"]),
        Case("error-emulator-dies", ["--emu", "qemu", MBINFO], DIED,
             env={"PATH": fake_qemu_dir() + os.pathsep + os.environ["PATH"]},
             runner_must=[r"^hvrun: the emulator stopped without a power-off", r"simulated crash"]),
        Case("error-emulator-start-retried", ["--emu", "qemu", MBINFO], DIED,
             env={"PATH": fake_qemu_dir("busy-qemu", "RFB could not bind any port between 5900 and 5949")
                  + os.pathsep + os.environ["PATH"]},
             runner_must=[r"(?s)(hvrun: the emulator failed to start \(RFB could not bind.*){2}"
                          r"hvrun: the emulator stopped without a power-off"]),
        Case("bochs-start-retried-after-stale-lock", ["--module", MBINFO, HV], OK,
             env={"PATH": flaky_bochs_dir() + os.pathsep + os.environ["PATH"]},
             runner_must=[r"^hvrun: the emulator failed to start \(.*RFB: could not bind any port.*\); trying again",
                          r"^hvrun: power-off, status 0"],
             must=[r"^mbinfo: magic ok$"]),
        Case("error-bad-runner-option", ["--emu", "vmware", GUEST], USAGE,
             runner_must=[r"invalid choice: 'vmware'"]),
        Case("error-missing-kernel", [os.path.join(DATA, "nonexistent.elf")], USAGE,
             runner_must=[r"^hvrun: error: kernel '.*nonexistent.elf' does not exist"]),
        Case("error-module-not-elf", ["--module", not_elf + " x=1", HV], USAGE,
             runner_must=[r"^hvrun: error: module '.*' is not an ELF file"]),
        Case("error-not-multiboot", [not_elf], USAGE,
             runner_must=[r"^hvrun: error: .*not a Multiboot v1 kernel"]),
        Case("error-kernel-route-on-bochs", ["--emu", "bochs", "--boot", "kernel", HV], USAGE,
             runner_must=[r"--boot kernel is QEMU's own loader"]),
    ]


def kvm_cases():
    """Where the host cannot run VT-x under KVM (as here), the runner says why;
    where it can, the hypervisor boots on real silicon."""
    if kvm_vtx_problem():
        return [Case("error-kvm-without-vtx", ["--emu", "qemu-kvm", HV], USAGE,
                     runner_must=[r"^hvrun: error: --emu qemu-kvm needs an Intel host with VT-x"]),
                # make run's default: Bochs here, and the runner says why.
                Case("hv-boot-emu-auto", ["--emu", "auto", "--module", MBINFO, HV], OK,
                     must=[r"^mbinfo: magic ok$"],
                     runner_must=[r"^hvrun: --emu auto: bochs, VT-x emulated \(for real VT-x through KVM: ",
                                  r"^hvrun: power-off, status 0 \(bochs, "])]
    return [Case("hv-boot-qemu-kvm", ["--emu", "qemu-kvm", HV], OK, must=[r"^hv: hvlab hypervisor"]),
            Case("hv-boot-emu-auto", ["--emu", "auto", HV], OK, must=[r"^hv: hvlab hypervisor"],
                 runner_must=[r"^hvrun: --emu auto: qemu-kvm"])]


def all_cases(every_lab=False):
    small = data_file("small.bin", 1000, 1)
    big = data_file("big.bin", 6 * 1024 * 1024 + 123, 2)
    cases = mbinfo_cases(small, big) + hv_boot_cases(big) + guest_native_cases() + outcome_cases()
    cases += error_cases(small) + kvm_cases() + guest_cases() + hv_cases()
    cases += vmx_entry_cases() + lab_cases(every_lab) + gdb_cases() + gdb_depriv_cases() + load_cases() + vm_cases()
    cases += sched_cases() + timer_cases() + foreign_cases() + long_mode_cases() + pv_cases() + apf_cases()
    cases += conform_cases()
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2, help="parallel runs (default: cores)")
    ap.add_argument("-k", default="", help="only the cases whose name contains this")
    ap.add_argument("--list", action="store_true", help="name the cases, run none")
    a = ap.parse_args()
    # A case named on purpose (-k) runs even where check-labs has it (lab_cases).
    selected = reached_cases([c for c in all_cases(every_lab=bool(a.k)) if a.k in c.name], "integration")
    if a.list:
        print("\n".join(c.name for c in selected))
        return 0
    if not a.k and studenttree.student_lab(ROOT) is None:
        print("integration: the last lab's tests here; every other lab's run in check-labs, on the next "
              "lab's tree (tests/integration/lab_cases.py)")
    passed, failed = run_all(selected, a.j)
    print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not selected else 0


if __name__ == "__main__":
    sys.exit(main())
