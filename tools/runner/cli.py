"""cli.py: `hvrun`, the one runner used by make, the tests and the grader.

    hvrun [options] KERNEL [-- KERNEL-OPTIONS...]

It builds the image for this run, starts the emulator with a timeout, streams
the console to the terminal and to a log, and exits with one status per
outcome (see EXIT STATUS in --help).
"""
import argparse
import json
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import console, emulators, gdbrelay, images, outcome, screen, slots, typist, vmxrecord

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EPILOG = """
modules:
  --module "FILE ARGS" passes FILE as a Multiboot module whose string is
  "/boot/NAME ARGS" (NAME: FILE's base name; "boot/NAME ARGS" with QEMU's -kernel). Modules are guest kernels and programs: they must be ELF
  files. --blob passes any file (not checked).

verdict:
  COM1 is the console. Under the hvlab hypervisor, whose first line is "hv:
  hvlab hypervisor", the verdict (POWEROFF n, PANIC) is read from the lines
  it copies to its private channel, the debug port 0xE9, which its guest
  cannot write; POWEROFF and PANIC lines on COM1 then count for nothing. A
  kernel booted natively is judged by its COM1 lines.

exit status:
  0  the machine powered off with status 0
  1  it powered off with a non-zero status (the run reported a failure)
  2  usage or set-up error (bad option, missing file, no emulator)
  3  panic: a "PANIC ..." line
  4  triple fault
  5  timeout: the machine never powered off
  6  the emulator stopped without a power-off

screen (--screenshot FILE.png):
  with devices=virtual the hypervisor logs its guest's text screen ("hv:
  screen: ..." lines) and dumps its cells at the VM's end; the runner draws
  VM 0's last screen in 8x16 glyphs of a console font, in its CGA colours,
  with its cursor (runner/screen.py).

gdb (--gdb PORT|auto; auto picks a free local port):
  on Bochs, COM2 becomes a TCP server on localhost:PORT and the hypervisor
  gets gdb=MODE (--gdb-stub hv|guest, unless KERNEL-OPTIONS have a gdb=):
  its own stub debugs the hypervisor or its guest. On QEMU, QEMU's gdbstub
  listens there with the CPU stopped before the first instruction. The
  runner prints "hvrun: gdb: target remote localhost:PORT".

examples:
  hvrun build/hv/hv.elf --module "build/guestos/kernel.elf test=all" -- mem=ept
  hvrun --emu qemu build/guestos/kernel.elf -- test=syscall
"""


class UsageError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="hvrun", description="Boot a Multiboot kernel in Bochs or QEMU and report how the run ended.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kernel", help="the Multiboot v1 kernel to boot (the hypervisor, or the guest OS natively)")
    p.add_argument("--emu", default="bochs", choices=("bochs", "qemu", "qemu-kvm", "auto"),
                   help="bochs: VT-x emulated (default); qemu: TCG, no VT-x; qemu-kvm: real VT-x through "
                        "nested KVM; auto: qemu-kvm where the host can, else bochs (make run)")
    p.add_argument("--boot", default="fast", choices=("fast", "grub", "kernel"),
                   help="fast: the kit's raw-disk loader (default); grub: a GRUB ISO; kernel: QEMU's -kernel")
    p.add_argument("--module", action="append", default=[], metavar='"FILE ARGS"', help="an ELF module")
    p.add_argument("--blob", action="append", default=[], metavar='"FILE ARGS"', help="a data module")
    p.add_argument("--timeout", type=float, default=60, help="seconds before the run is stopped (default 60)")
    p.add_argument("--mem", type=int, default=256, help="machine memory in MiB (default 256)")
    p.add_argument("--cpu", default="tigerlake", help="Bochs CPU model (default tigerlake)")
    p.add_argument("--log", help="also write the console to this file")
    p.add_argument("--input", metavar="TEXT",
                   help="type TEXT and Enter into COM1 once the machine prints the line 'INPUT ready'")
    p.add_argument("--json", help="write the outcome as JSON to this file")
    p.add_argument("--vmx-record", metavar="FILE",
                   help="Bochs: write the emulator's own record of VM entries and exits to FILE "
                        "(runner/vmxrecord.py; the grader's evidence that VMX non-root operation happened)")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="draw the guest's last text screen (devices=virtual) as a PNG picture")
    p.add_argument("--quiet", action="store_true", help="do not copy the console to the terminal")
    p.add_argument("--keep", action="store_true", help="keep the run's directory (image, config, logs)")
    p.add_argument("--gdb", metavar="PORT|auto",
                   help="a gdb remote target on localhost:PORT (auto: a free port); see gdb below")
    p.add_argument("--gdb-stub", default="hv", choices=("hv", "guest"),
                   help="Bochs: what the hypervisor's stub debugs (default hv: the hypervisor itself)")
    p.add_argument("--bochs-debug", metavar="SYMBOLS",
                   help="Bochs's internal debugger at the terminal, with these symbols (nm lines "
                        "'ADDRESS NAME') and a stop at every VM exit (make bochs-debug)")
    p.add_argument("--loader-dir", default=os.path.join(ROOT, "build", "loader"),
                   help="where the fast loader's boot.bin and stage2.bin are")
    # Everything after the first "--" is the kernel's command line.
    rest = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1:]
    a = p.parse_args(argv)
    a.args = rest
    return a


def split_spec(spec):
    words = shlex.split(spec)
    if not words:
        raise UsageError("empty module specification")
    return words[0], " ".join(words[1:])


def check_file(path, what):
    if not os.path.isfile(path):
        raise UsageError("%s '%s' does not exist (did `make` build it?)" % (what, path))


def check_elf(path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"\x7fELF":
        raise UsageError("module '%s' is not an ELF file (it starts with %r): pass guest kernels and "
                         "programs as ELF files, or use --blob for data" % (path, magic))


def validate(a):
    check_file(a.kernel, "kernel")
    a.kernel = os.path.abspath(a.kernel)
    images.check_kernel(a.kernel)
    if a.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if not 16 <= a.mem <= 4096:
        raise UsageError("--mem must be between 16 and 4096 MiB")
    if a.emu == "auto":
        problem = emulators.kvm_vtx_problem()
        a.emu = "bochs" if problem else "qemu-kvm"
        sys.stderr.write("hvrun: --emu auto: %s\n" % ("bochs, VT-x emulated (for real VT-x through KVM: %s)"
                                                     % problem if problem else
                                                     "qemu-kvm, real VT-x through nested KVM"))
    if a.vmx_record and a.emu != "bochs":
        raise UsageError("--vmx-record is read from Bochs's log: use it with --emu bochs")
    if a.screenshot:
        try:
            screen.load_font()
        except screen.ScreenError as e:
            raise UsageError("--screenshot: %s" % e)
    if a.bochs_debug and a.emu != "bochs":
        raise UsageError("--bochs-debug is Bochs's own debugger: use it with --emu bochs")
    if a.boot == "kernel" and a.emu == "bochs":
        raise UsageError("--boot kernel is QEMU's own loader: use it with --emu qemu or qemu-kvm")
    if a.emu == "qemu-kvm":
        problem = emulators.kvm_vtx_problem()
        if problem:
            raise UsageError("--emu qemu-kvm needs an Intel host with VT-x and nested KVM, but %s; "
                             "use the default Bochs instead" % problem)
    a.gdb_port = gdb_port(a)
    if a.gdb_port is not None:
        open_gdb_port(a)
    modules = []
    for spec in a.module:
        path, args = split_spec(spec)
        check_file(path, "module")
        check_elf(path)
        modules.append((os.path.abspath(path), args))
    for spec in a.blob:
        path, args = split_spec(spec)
        check_file(path, "blob")
        modules.append((os.path.abspath(path), args))
    return modules


def free_port():
    """A TCP port free on localhost now: bind port 0, read the number the
    kernel chose, close. Never a fixed port: runs go in parallel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gdb_port(a):
    """The --gdb port as a number (0 for auto), or None without --gdb."""
    if not a.gdb:
        return None
    if a.gdb == "auto":
        return 0
    if not a.gdb.isdigit() or not 1 <= int(a.gdb) <= 65535:
        raise UsageError("--gdb takes a port number (1-65535) or auto, not '%s'" % a.gdb)
    return int(a.gdb)


def open_gdb_port(a):
    """Where gdb connects. On Bochs the runner listens there itself and relays
    to COM2 (gdbrelay.py), on a port bound now so that gdb can never come too
    early; on QEMU its gdbstub listens there (auto: a port free right now)."""
    if a.emu == "bochs":
        try:
            a.gdb_server = gdbrelay.listen(a.gdb_port)
        except OSError as e:
            raise UsageError("--gdb: cannot listen on localhost:%d (%s)" % (a.gdb_port, e.strerror))
        a.gdb_port = a.gdb_server.getsockname()[1]
        a.com2_port = free_port()
    elif a.gdb_port == 0:
        a.gdb_port = free_port()


def kernel_args(a):
    """The kernel's command line. On Bochs, --gdb turns the hypervisor's stub
    on (gdb=MODE) unless the options already say gdb=."""
    args = list(a.args)
    if a.gdb_port is not None and a.emu == "bochs" and not any(w.startswith("gdb=") for w in args):
        args.append("gdb=" + a.gdb_stub)
    return " ".join(args)


def emulator_command(a, run, modules, console_tty):
    args = kernel_args(a)
    port = a.gdb_port
    accel = "kvm" if a.emu == "qemu-kvm" else "tcg"
    if a.boot == "kernel":
        kernel, specs = images.stage_direct(run, a.kernel, modules)
        return emulators.qemu_direct_kernel(run, kernel, args, specs, a.mem, accel, port, console_tty)
    if a.boot == "grub":
        image, media = images.build_grub(run, a.kernel, args, modules), "cdrom"
    else:
        image, media = images.build_fast(run, a.loader_dir, a.kernel, args, modules), "disk"
    if a.emu == "bochs":
        return emulators.bochs_config(run, media, image, a.mem, a.cpu, port and a.com2_port,
                                      a.bochs_debug, console_tty, vmx_record=bool(a.vmx_record))
    if media == "disk":
        return emulators.qemu_disk(run, image, a.mem, accel, port, console_tty)
    return emulators.qemu_cdrom(run, image, a.mem, accel, port, console_tty)


def stop(proc):
    """Stop the emulator and everything it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def emulator_notes(text, limit=20):
    """The emulator log lines that explain a failure (Bochs's VMFAIL reasons,
    panics, errors, exceptions)."""
    keys = ("VMFAIL", "VMENTER", "VMEXIT", "PANIC", "ERROR", "exception", "Triple", "shutdown")
    lines = [l.strip() for l in text.splitlines()
             if any(k in l for k in keys) and "Shutdown port" not in l]
    return lines[-limit:]


START_ATTEMPTS = 5


def forget_attempt(run_dir):
    """Remove what a failed start left in the run's directory: its logs, and
    the lock Bochs puts beside a disk image it opens ("disk.img.lock"). Bochs
    deletes that lock only on an orderly exit; one left behind by an attempt
    that died makes every later attempt fail with "could not open hard drive
    image file" (../shared/notes/emulators.md)."""
    for name in os.listdir(run_dir):
        if name in ("console.out", "emulator.log", "emulator.out", emulators.DEBUGCON) or name.endswith(".lock"):
            os.remove(os.path.join(run_dir, name))


def run(a, modules, run_dir, log):
    """Run once; a start-up failure of the emulator itself is retried, after a
    pause that doubles each time (whatever holds Bochs's rfb ports may be
    another user's runs, which take a while to end)."""
    for attempt in range(1, START_ATTEMPTS + 1):
        result, seconds, first_line, why = run_once(a, modules, run_dir, log)
        if not why or attempt == START_ATTEMPTS:
            return result, seconds, first_line
        sys.stderr.write("hvrun: the emulator failed to start (%s); trying again\n" % why)
        time.sleep(random.uniform(0.5, 1.0) * 2 ** (attempt - 1))
        forget_attempt(run_dir)


def run_once(a, modules, run_dir, log):
    try:
        keyboard = typist.Typist(run_dir, a.input) if a.input is not None else None
    except OSError as e:
        raise UsageError("--input needs a pseudo-terminal for COM1, and this machine gave none (%s)" % e)
    try:
        return run_emulator(a, modules, run_dir, log, keyboard)
    finally:
        if keyboard:
            keyboard.stop()


def run_emulator(a, modules, run_dir, log, keyboard):
    # The timeout's clock starts once the run has its slot (slots.py), and
    # so does gdb's wait for the port the run prints.
    with slots.emulator_slot():
        return run_emulator_in_slot(a, modules, run_dir, log, keyboard)


def run_emulator_in_slot(a, modules, run_dir, log, keyboard):
    cmd = emulator_command(a, run_dir, modules, keyboard and keyboard.path)
    relay = None
    if a.gdb_port:
        if a.emu == "bochs":
            relay = gdbrelay.Relay(a.gdb_server, a.com2_port)
            relay.start()
        sys.stderr.write("hvrun: gdb: target remote localhost:%d\n" % a.gdb_port)
        sys.stderr.flush()
    out = open(os.path.join(run_dir, "emulator.out"), "w")
    # Port 0xE9, the hypervisor's private verdict channel: Bochs writes it to
    # its standard output (emulators.DEBUGCON), QEMU to the file itself.
    debugcon = os.path.join(run_dir, emulators.DEBUGCON)
    chan_out = open(debugcon, "w") if a.emu == "bochs" else out
    # With --gdb, the emulator inherits Python's SIGPIPE=ignore: Bochs writes
    # COM2 to the socket, and a gdb that went away must not kill it.
    # --bochs-debug: the debugger talks to the terminal (and keeps it).
    interactive = bool(a.bochs_debug)
    proc = subprocess.Popen(cmd, cwd=run_dir, stdin=None if interactive else subprocess.DEVNULL,
                            env=emulators.bochs_env() if a.emu == "bochs" else None,
                            stdout=None if interactive else chan_out, stderr=None if interactive else out,
                            start_new_session=not interactive, restore_signals=not a.gdb_port,
                            preexec_fn=vmxrecord.limit_files if a.vmx_record else None)
    watch = console.Watch(os.path.join(run_dir, "console.out"), not a.quiet, log)
    channel = console.Watch(debugcon, False, None)
    try:
        timed_out, seconds = console.follow(proc, watch, a.timeout, channel)
    finally:
        stop(proc)
        out.close()
        chan_out.close()
        if relay:
            relay.stop()
    if keyboard:
        # The copy thread may hold the last lines the machine printed (its
        # POWEROFF among them): let it finish, then read them too.
        keyboard.stop()
        watch.poll(seconds)
    if not a.quiet and watch.text and not watch.text.endswith("\n"):
        sys.stdout.write("\n")
    if a.vmx_record:
        # Before the log is read: it is read without its debug lines.
        vmxrecord.extract(os.path.join(run_dir, "emulator.log"), a.vmx_record)
    emu_log = console.read_text(os.path.join(run_dir, "emulator.log"))
    emu_out = console.read_text(os.path.join(run_dir, "emulator.out"))
    result = outcome.classify(watch.text, emu_log + emu_out, timed_out, a.timeout, channel.text)
    result.notes = []
    if a.screenshot:
        save_screenshot(a.screenshot, watch.text)
    if result.status != outcome.POWEROFF_OK:
        result.notes = emulator_notes(emu_log)
    retry_why = None  # why the emulator could not start, if a retry may help
    if result.status == outcome.EMULATOR_DIED:
        result.notes += emu_out.strip().splitlines()[-5:]
        if not watch.text:   # Bochs's standard output is the channel's file
            retry_why = emulators.transient_failure(emu_log + emu_out + channel.text)
    return result, seconds, watch.first_line, retry_why


def save_screenshot(path, log_text):
    """The guest's last screen in the log, drawn into path; a log without
    one is said, and does not change the run's status."""
    try:
        screen.screenshot(log_text, path)
        sys.stderr.write("hvrun: screenshot: %s (the guest's last text screen)\n" % path)
    except (screen.ScreenError, OSError) as e:
        sys.stderr.write("hvrun: --screenshot: no picture: %s\n" % e)


def report(a, result, seconds, first_line):
    say = sys.stderr.write
    say("hvrun: %s (%s, %s route, %.2f s)\n" % (result.summary, a.emu, a.boot, seconds))
    if result.detail:
        say("hvrun:   %s\n" % result.detail)
    for line in result.notes:
        if line == result.detail:
            continue
        say("hvrun:   %s: %s\n" % (a.emu, line))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"outcome": result.name, "status": result.status, "summary": result.summary,
                       "seconds": round(seconds, 3),
                       "first_line": first_line and first_line[1],
                       "first_line_seconds": first_line and round(first_line[0], 3),
                       "emulator": a.emu, "boot": a.boot}, f, indent=1)
            f.write("\n")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        a = parse_args(argv)
    except SystemExit as e:
        return outcome.USAGE if e.code else 0
    run_dir = tempfile.mkdtemp(prefix="hvrun-")
    log = None
    try:
        modules = validate(a)
        if a.log:
            os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
            log = open(a.log, "w")
        result, seconds, first_line = run(a, modules, run_dir, log)
    except (UsageError, images.ImageError, emulators.EmulatorError) as e:
        sys.stderr.write("hvrun: error: %s\n" % e)
        return outcome.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("hvrun: interrupted\n")
        return 130
    finally:
        if log:
            log.close()
        if a.keep:
            sys.stderr.write("hvrun: kept %s\n" % run_dir)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    report(a, result, seconds, first_line)
    return result.status
