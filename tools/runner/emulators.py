"""emulators.py: the command lines that start Bochs or QEMU for one run.

Every run gets its own directory (image copy, configuration, logs), so runs in
parallel never share a file. Neither emulator needs a fixed TCP port: Bochs's
rfb display takes the first free port from 5900 on (in a network namespace of
the run's own where the machine allows one), and QEMU runs headless.
A gdb port (hvrun --gdb) is chosen free by the runner for each run.
"""
import os
import shutil
import subprocess

from .vmxrecord import BOCHS_DEBUG

BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGA_BIOS = "/usr/share/vgabios/vgabios.bin"

# Bochs CPU models with VT-x (../shared/notes/emulators.md). core2_penryn_t9600
# has VMX without EPT: useful to test the hypervisor's feature checks.
BOCHS_CPUS = ("tigerlake", "corei7_icelake_u", "core2_penryn_t9600")


# Start-up failures that say nothing about the kernel: the run is simply
# tried again. Bochs's rfb display takes the first free port in 5900-5949;
# with fifty Bochs runs at once on one machine there is none left.
TRANSIENT_FAILURES = ("could not bind any port",)


def transient_failure(emulator_output):
    """The line that shows the emulator failed for a passing reason, or None."""
    for line in emulator_output.splitlines():
        if any(t in line for t in TRANSIENT_FAILURES):
            return line.strip()
    return None


_private_network = None


def private_network():
    """The command prefix that runs a program in a network namespace of its
    own, or [] where the machine does not allow one. Bochs's rfb display
    listens on the first free port of 5900-5949, a range shared with every
    other Bochs (and VNC server) on the machine: a busy machine can leave
    none free. In its own namespace a run has all fifty to itself."""
    global _private_network
    if _private_network is None:
        prefix = ["unshare", "--user", "--map-root-user", "--net", "--"]
        try:
            ok = subprocess.run(prefix + ["true"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        _private_network = prefix if ok else []
    return _private_network


class EmulatorError(Exception):
    """A one-line explanation of why the emulator cannot be started."""


# The debug port 0xE9's output in the run's directory: the hypervisor's
# private verdict channel (outcome.py). Bochs writes it to its standard
# output (port_e9_hack), so the runner sends that there; QEMU writes the file.
DEBUGCON = "debugcon.out"


def require(command, package):
    if not shutil.which(command):
        raise EmulatorError("%s not found: run `make deps` (Debian package %s)" % (command, package))


def bochs_config(run, boot_media, image, mem_mib, cpu, gdb_port=None, debug_symbols=None, console_tty=None,
                 vmx_record=False):
    """Write bochsrc and the debugger's rc file; return the command line.
    gdb_port: COM2 becomes a TCP server on localhost:gdb_port, where gdb
    talks to the hypervisor's own stub (hv/gdb/gdb_stub.c). console_tty: COM1 is
    this terminal (typist.py) rather than the file console.out. vmx_record:
    the CPU's debug messages on, for the record of VM entries and exits
    (vmxrecord.py)."""
    require("bochs", "bochs")
    for f, pkg in ((BOCHS_BIOS, "bochsbios"), (VGA_BIOS, "vgabios")):
        if not os.path.exists(f):
            raise EmulatorError("%s is missing: run `make deps` (Debian package %s)" % (f, pkg))
    if cpu not in BOCHS_CPUS:
        raise EmulatorError("unknown Bochs CPU model '%s' (known: %s)" % (cpu, ", ".join(BOCHS_CPUS)))
    if boot_media == "disk":
        drive = "ata0-master: type=disk, path=%s, mode=flat" % image
    else:
        drive = "ata0-master: type=cdrom, path=%s, status=inserted" % image
    lines = [
        "megs: %d" % mem_mib,
        # A triple fault stops the run instead of rebooting into a loop.
        "cpu: model=%s, count=1, reset_on_triple_fault=0" % cpu,
        # sync=none: the TSC counts emulated instructions exactly, and two runs
        # print byte-identical output (cycle figures are exact).
        "clock: sync=none, time0=946684800",
        "romimage: file=%s, options=fastboot" % BOCHS_BIOS,
        "vgaromimage: file=%s" % VGA_BIOS,
        # A plain VGA: no kernel of the kit draws pixels (the screen is CGA
        # text), and Bochs's default VBE adapter zeroes 16 MiB of video
        # memory at every start, a quarter of a short run's start-up (0.08
        # of 0.31 CPU-s) for a device no run uses.
        "vga: extension=none",
        drive,
        # The BIOS probes ata0's slave too, and a missing one costs every
        # boot 3.4M instructions of its "IDE time out" wait: an empty CD-ROM
        # drive answers at once.
        "ata0-slave: type=cdrom, path=/dev/null, status=ejected",
        "boot: %s" % boot_media,
        # Debian's build has no 'nogui' display; rfb without a client works.
        'display_library: rfb, options="timeout=0"',
        "com1: enabled=1, mode=term, dev=%s" % console_tty if console_tty else
        "com1: enabled=1, mode=file, dev=%s" % os.path.join(run, "console.out"),
    ] + ([
        # Bochs waits for the client (gdb) here before the machine starts.
        "com2: enabled=1, mode=socket-server, dev=localhost:%d" % gdb_port,
    ] if gdb_port else []) + [
        "log: %s" % os.path.join(run, "emulator.log"),
        "panic: action=fatal",
        "error: action=report",
        "info: action=report",
        BOCHS_DEBUG if vmx_record else "debug: action=ignore",
        "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy",
        "speaker: enabled=0",
        "mouse: enabled=0",
        "port_e9_hack: enabled=1",
    ]
    conf = os.path.join(run, "bochsrc")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    # Debian's Bochs has its debugger built in and stops at its prompt before
    # the first instruction: the rc file tells it to continue, then quit.
    rc = os.path.join(run, "bochs.rc")
    with open(rc, "w") as f:
        if debug_symbols:
            # hvrun --bochs-debug: the debugger stays, with the hypervisor's
            # symbols and a stop at every VM exit; the user types at its prompt.
            f.write('ldsym global "%s"\nvmexitbp\n' % os.path.abspath(debug_symbols))
        else:
            f.write("c\nquit\n")
    # Without gdb, the run needs no network at all: a private one keeps the
    # rfb port out of reach of everything else on the machine.
    return ([] if gdb_port else private_network()) + ["bochs", "-q", "-f", conf, "-rc", rc]


def bochs_env(environ=None):
    """The environment Bochs runs in: glibc's malloc asks for transparent
    huge pages (glibc.malloc.hugetlb=1, glibc 2.35 and later; the kernel's
    THP setting "madvise" or "always"). Bochs mallocs the guest's RAM, its
    video memory and its tables, and a run touches them page by page: the
    hypervisor scrubs a guest's RAM before it starts. With 2 MiB pages a run
    takes a 512th of the page faults, about a third of its CPU time on this
    project's machines (0.80 against 0.52 CPU-s for a guest OS boot). What
    the machine runs is the same; where the kernel or glibc does not know
    the setting, nothing changes."""
    env = dict(os.environ if environ is None else environ)
    tunables = [t for t in env.get("GLIBC_TUNABLES", "").split(":") if t and not t.startswith("glibc.malloc.hugetlb=")]
    env["GLIBC_TUNABLES"] = ":".join(tunables + ["glibc.malloc.hugetlb=1"])
    return env


def qemu_common(run, mem_mib, accel, gdb_port=None, console_tty=None):
    """gdb_port: QEMU's own gdbstub on localhost:gdb_port, the CPU stopped
    before the first instruction (-S) until gdb says continue. console_tty:
    COM1 is this terminal (typist.py) rather than the file console.out."""
    require("qemu-system-x86_64", "qemu-system-x86")
    gdb = ["-S", "-gdb", "tcp:localhost:%d" % gdb_port] if gdb_port else []
    com1 = (["-chardev", "tty,id=com1,path=" + console_tty, "-serial", "chardev:com1"] if console_tty
            else ["-serial", "file:" + os.path.join(run, "console.out")])
    return [
        "qemu-system-x86_64", "-accel", accel, "-m", str(mem_mib),
        "-display", "none", "-monitor", "none", "-parallel", "none",
    ] + com1 + [
        # Port 0xF4 powers off (lib/poweroff.c); a triple fault stops QEMU
        # instead of rebooting, and its log names it.
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-debugcon", "file:" + os.path.join(run, DEBUGCON),
        "-no-reboot", "-d", "cpu_reset,guest_errors", "-D", os.path.join(run, "emulator.log"),
    ] + (["-cpu", "host"] if accel == "kvm" else []) + gdb


def qemu_disk(run, image, mem_mib, accel, gdb_port=None, console_tty=None):
    return qemu_common(run, mem_mib, accel, gdb_port, console_tty) + [
        "-drive", "file=%s,format=raw,if=ide" % image]


def qemu_cdrom(run, image, mem_mib, accel, gdb_port=None, console_tty=None):
    return qemu_common(run, mem_mib, accel, gdb_port, console_tty) + ["-cdrom", image, "-boot", "d"]


def qemu_direct_kernel(run, kernel, cmdline, modules, mem_mib, accel, gdb_port=None, console_tty=None):
    """QEMU's own Multiboot loader (-kernel). QEMU passes "<kernel path> <append>"
    as the command line and each -initrd entry ("<file> <args>") as a module
    string; commas separate entries, so a comma inside one is doubled."""
    cmd = qemu_common(run, mem_mib, accel, gdb_port, console_tty) + ["-kernel", kernel, "-append", cmdline]
    if modules:
        cmd += ["-initrd", ",".join(spec.replace(",", ",,") for spec in modules)]
    return cmd


def host_file(path):
    """A file of the host's that says what it can run. HVLAB_HOST_ROOT (a
    folder standing for /) lets the tests make up a host with VT-x and
    nested KVM (tests/tools/test_grade_emu.py); unset, it is the host."""
    return os.path.join(os.environ.get("HVLAB_HOST_ROOT", "/"), path.lstrip("/"))


def kvm_vtx_problem():
    """Why QEMU+KVM cannot run a VT-x hypervisor here, or None if it can.

    It needs an Intel CPU with VT-x, /dev/kvm, and nested virtualisation
    enabled in kvm_intel (the hypervisor runs as a KVM guest)."""
    try:
        with open(host_file("/proc/cpuinfo")) as f:
            flags = next((l for l in f if l.startswith("flags")), "")
    except OSError:
        flags = ""
    if " vmx" not in flags:
        return "this host's CPU shows no VT-x (no 'vmx' flag in /proc/cpuinfo)"
    if not os.access(host_file("/dev/kvm"), os.R_OK | os.W_OK):
        return "/dev/kvm is missing or not accessible"
    try:
        with open(host_file("/sys/module/kvm_intel/parameters/nested")) as f:
            if f.read().strip() not in ("Y", "1"):
                return "kvm_intel has nested virtualisation off (modprobe kvm_intel nested=1)"
    except OSError:
        return "the kvm_intel module is not loaded"
    return None
