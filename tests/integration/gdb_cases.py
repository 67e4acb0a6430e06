"""gdb_cases.py: GDB through the hypervisor, driven for real (issue 7).

Each case boots the hypervisor in Bochs with `hvrun --gdb auto` (COM2 is a
TCP socket on a free local port, the hypervisor's stub behind it), drives
the real gdb in batch mode (`gdb -batch -nx -ex ...`) or a raw socket, and
checks gdb's output step by step, then that the guest still powered off
with status 0:
  - gdb=hv: break in handle_cpuid, step through it, and see the guest's RIP
    move past CPUID once the handler is done (`monitor vmcs GUEST_RIP`);
  - gdb=guest: break in the guest kernel's syscall handler, stepi one
    instruction, stop at the next I/O exit and decode its qualification;
  - robustness: gdb killed in the middle of a session, and garbage and
    malformed packets on the socket, never stop the machine.
"""
import os
import re
import signal
import socket
import subprocess
import time

from harness import BUILD, GUEST, HOSTILE, HV, HVRUN_ARGV, OUT, ROOT, slots, studenttree

GUEST_PROGS = sorted(os.path.join(BUILD, "guestos", "user", f)
                     for f in os.listdir(os.path.join(BUILD, "guestos", "user")) if f.endswith(".elf")) \
    if os.path.isdir(os.path.join(BUILD, "guestos", "user")) else []
TIMEOUT = 90
GDB_REMOTE_TIMEOUT = 30           # seconds gdb waits for one reply of the stub's


def hvrun_argv(mode, log, hv_args=(), guest_args="test=all", guest=GUEST, vm1=(), timeout=TIMEOUT):
    """vm1: the modules of a second VM's group, after the first's."""
    argv = HVRUN_ARGV + ["--quiet", "--log", log, "--timeout", str(timeout), "--gdb", "auto",
            "--gdb-stub", mode, HV, "--module", guest + " " + guest_args]
    for p in GUEST_PROGS if guest == GUEST else []:
        argv += ["--module", p]
    argv += [a for m in vm1 for a in ("--module", m)]
    return argv + (["--"] + list(hv_args) if hv_args else [])


class GdbCase:
    """Start a run with the stub on, call drive(port) -> (text, errors), then
    wait for the run: it must power off with status 0."""

    def __init__(self, name, mode, drive, hv_args=(), console_must=(), guest_args="test=all", guest=GUEST, vm1=(),
                 timeout=TIMEOUT):
        self.name, self.mode, self.drive, self.hv_args = name, mode, drive, hv_args
        self.guest_args, self.guest, self.vm1 = guest_args, guest, vm1
        self.console_must = console_must
        self.timeout = timeout
        self.lab = studenttree.lab_of_options(hv_args)

    def run(self):
        # gdb's timeouts run from the start: the slot is taken first.
        with slots.emulator_slot():
            return self.run_in_slot()

    def run_in_slot(self):
        log = os.path.join(OUT, self.name + ".log")
        start = time.monotonic()
        proc = subprocess.Popen(hvrun_argv(self.mode, log, self.hv_args, self.guest_args, self.guest, self.vm1,
                                           self.timeout), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True, env=slots.held_env())
        errors, text, port = [], "", None
        runner = ""
        try:
            for line in proc.stderr:   # hvrun prints the port before the machine starts
                runner += line
                m = re.match(r"hvrun: gdb: target remote localhost:(\d+)", line)
                if m:
                    port = int(m.group(1))
                    break
            if port is None:
                errors.append("hvrun printed no gdb port: " + runner.strip())
            else:
                text, errors = self.drive(port)
            out, err = proc.communicate(timeout=self.timeout + 30)
            runner += out + err
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            errors.append("the run did not end")
        with open(os.path.join(OUT, self.name + ".gdb"), "w") as f:
            f.write(text)
        with open(os.path.join(OUT, self.name + ".runner"), "w") as f:
            f.write(runner)
        console = open(log).read() if os.path.exists(log) else ""
        if proc.returncode != 0:
            errors.append("hvrun exit status %s, not 0: %s" % (proc.returncode, runner.strip()[-300:]))
        if not re.search(r"^hv: guest stopped: it powered off with status 0$", console, re.M):
            errors.append("the guest did not power off with status 0")
        if re.search(r"^TEST \S+: FAIL", console, re.M):
            errors.append("a guest test failed under the debugger")
        errors += ["console lacks /%s/" % p for p in self.console_must if not re.search(p, console, re.M)]
        return errors, time.monotonic() - start, log


def gdb_batch(port, arch, elf, commands, kill_after=None):
    """Run gdb -batch with these commands; kill_after: a regex at which gdb
    is killed (SIGKILL), as a user closing it mid-session."""
    # The stub answers from inside the emulator: on a loaded machine a reply
    # can take longer than gdb's default 2 s, after which gdb sends the next
    # packet and reads the late reply as that one's ("Remote replied
    # unexpectedly to 'vMustReplyEmpty'"), and never connects.
    argv = ["gdb", "-batch", "-nx", "-ex", "set architecture " + arch, "-ex", "file " + elf,
            "-ex", "set remotetimeout %d" % GDB_REMOTE_TIMEOUT, "-ex", "target remote localhost:%d" % port]
    for c in commands:
        argv += ["-ex", c]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if kill_after is None:
        out, _ = p.communicate(timeout=TIMEOUT)
        return out
    out = ""
    for line in p.stdout:
        out += line
        if re.search(kill_after, line):
            p.kill()
            break
    p.wait()
    return out + "(gdb killed)\n"


def expect_in_order(text, patterns):
    """Each pattern must match, each after the previous one."""
    pos, errors = 0, []
    for pat in patterns:
        m = re.compile(pat, re.M).search(text, pos)
        if not m:
            errors.append("gdb output lacks /%s/ after offset %d" % (pat, pos))
            break
        pos = m.end()
    return errors


def hv_cpuid(port):
    out = gdb_batch(port, "i386:x86-64", HV, [
        "break handle_cpuid", "continue", "bt",
        "source " + os.path.join(ROOT, "tools", "gdb", "hvlab.py"), "hv-exit", "monitor vmcs GUEST_RIP",
        "next", "next", "finish", "monitor vmcs GUEST_RIP", "info registers rip",
        "delete", "detach"])
    errors = expect_in_order(out, [
        r"in gdb_hv_break .* at hv/gdb/gdb_hv\.c",             # the first stop, in hv_main's call
        r"Breakpoint 1 at 0x[0-9a-f]+: file hv/exit/exit_cpuid\.c",
        r"^Breakpoint 1, handle_cpuid \(v=",
        # on_exit jumps to the handler (a tail call), so the handler
        # returns straight to the assembly stub (HOST_RIP)
        r"^#1 .* in vmx_exit \(\) at hv/vmx/vmx_entry\.S",
        r"^#2 .* in vcpu_run \(",                               # unwound through vmx_run's frame
        r"^#3 .* in hv_main ",
        r"^exit reason 10 \(CPUID\) at guest rip 0x[0-9a-f]+, qualification 0x0$",   # hvlab.py's hv-exit
        r"^GUEST_RIP +0x([0-9a-f]+)$",
        r"^\d+\t", r"^\d+\t",                                   # two source lines stepped
        r"^GUEST_RIP +0x([0-9a-f]+)$",
        r"^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <vmx_exit\+\d+>",       # finish: back in the stub
        r"Remote target\) detached"])
    rips = [int(x, 16) for x in re.findall(r"^GUEST_RIP +0x([0-9a-f]+)$", out, re.M)]
    if not errors and (len(rips) != 2 or rips[1] != rips[0] + 2):
        errors.append("GUEST_RIP did not move past CPUID (2 bytes): %s" % [hex(r) for r in rips])
    return out, errors


def guest_step(port):
    """A step of handle_syscall's first instruction (push %ebp: one byte).
    A system call runs with the caller's IF on (a trap gate), so a timer
    interrupt may fall due at the breakpoint, and the step would rightly end
    in its handler (step_into_interrupt tests that): the step is made with
    the guest's IF off, written through gdb, and IF is given back after."""
    out = gdb_batch(port, "i386", GUEST, [
        "break handle_syscall", "continue", "info registers eip", "set $eflags = $eflags & ~0x200", "stepi",
        "info registers eip", "print/x $eflags & 0x200", "set $eflags = $eflags | 0x200", "delete", "monitor break-on-exit io", "continue", "monitor qual",
        "monitor vmcs EXIT_QUALIFICATION", "monitor break-on-exit none", "monitor walk c0100000",
        "detach"])
    errors = expect_in_order(out, [
        r"^Breakpoint 1, handle_syscall \(tf=",
        r"^eip +0x([0-9a-f]+) +0x[0-9a-f]+ <handle_syscall>",
        r"^eip +0x([0-9a-f]+) +0x[0-9a-f]+ <handle_syscall\+1>",   # push %ebp: one byte
        r"^\$1 = 0x0$",                                            # IF as gdb wrote it
        r"^break-on-exit: reason 30 \(I/O instruction\)",
        r"^exit reason 30 \(I/O instruction\) at guest rip 0x[0-9a-f]+, qualification 0x[0-9a-f]+",
        r"^  (IN|OUT) of \d bytes? (to|from) port 0x[0-9a-f]+",
        r"^EXIT_QUALIFICATION +0x[0-9a-f]+",
        r"^break-on-exit: none",
        r"^  -> guest-physical 0x100000",
        r"Remote target\) detached"])
    return out, errors


def guest_devices(port):
    """devices=virtual: `monitor pic`, `monitor pit`, `monitor lapic` and
    `monitor ioapic` show the VM's models as the guest OS programmed them
    (its PICs at 0x20 and 0x28, its PIT's counter 0 ticking), the ticks it
    was given, and the APICs as the hypervisor's BIOS left them (LINT0 the
    PIC's virtual wire; every I/O APIC pin masked, pin 2 high from the
    PIT's ticks), which the guest OS (timer=pit) never touches."""
    out = gdb_batch(port, "i386", GUEST, [
        "break handle_syscall", "continue", "delete", "monitor pic", "monitor pit", "monitor lapic", "monitor ioapic",
        "detach"])
    errors = expect_in_order(out, [
        r"^Breakpoint 1, handle_syscall \(tf=",
        r"^pic master: vectors 0x20-0x27, IRR 0x[0-9a-f]{2} ISR 0x[0-9a-f]{2} IMR 0x[0-9a-f]{2}, .*initialised, "
        r"edge-triggered",
        r"^pic slave : vectors 0x28-0x2f, ",
        # the VM's time starts at its first entry, not while gdb connects,
        # and stands still while gdb holds it: a few ticks owed, not hundreds
        r"^irq0: [1-9]\d* ticks \(OUT0's rising edges\), [1-9]\d* raised, \d owed, \d+ merged or dropped "
        r"\(timer_mode=catchup\); [1-9]\d* interrupts given the guest$",
        r"^pit counter 0: mode [23], LSB then MSB, count register \d+ \(\d+ clocks\), counting element \d+, "
        r"OUT [01], gate 1$",
        r"^pit counter 2: ",
        r"^pit: [1-9]\d* clocks since the VM's time 0 \(1193182 Hz\); port 0x61 0x[0-9a-f]{2}$",
        r"^lapic: IA32_APIC_BASE 0xfee00900 \(enabled\), SVR 0x1ff \(software-enabled\), ID 0x0, "
        r"version 0x60014$",
        r"^lapic ISR: -$",
        r"^lapic LVT timer   0x00010000 \(masked\)$",
        r"^lapic LVT LINT0   0x00008700$",
        r"^lapic LVT LINT1   0x00008400$",
        r"^lapic timer: one-shot, stopped, initial count 0, current 0, divide by 2, TSC deadline 0x0; "
        r"0 expiries so far, 0 register accesses emulated$",
        r"^ioapic: ID 0, version 0x170020, IOREGSEL 0x00; lines 0x000004, asserted 0x000004, waiting 0x000000, "
        r"remote IRR 0x000000; 0 messages delivered, 0 dropped, 0 register accesses$",
        r"^ioapic: the other pins are masked$",
        r"Remote target\) detached"])
    return out, errors


def hv_choose_vm(port):
    """Two VMs in turns (devices=virtual): `monitor vm` lists them and says
    which one gdb stopped in; `monitor vm 1` makes pic show VM 1's PICs (as
    its BIOS left them, vectors 0x08 and 0x70: badguest never programs
    them), `monitor vm 0` VM 0's (the guest OS's, 0x20 and 0x28)."""
    out = gdb_batch(port, "i386:x86-64", HV, [
        "break print_vm_stats", "continue", "delete", "monitor vm", "monitor vm 1", "monitor pic",
        "monitor vm 0", "monitor pic", "monitor vm 7", "monitor vm -", "detach"])
    errors = expect_in_order(out, [
        r"^Breakpoint 1, print_vm_stats \(vm=",
        r"^vm0: (running|stopped \(status 0\))",
        r"^vm1: (running|stopped \(status 0\))",
        r"^vm1: .*, shown by exits, trace, pic, pit, lapic$",
        r"^pic master: vectors 0x08-0x0f, ",
        r"^vm0: .*, shown by exits, trace, pic, pit, lapic$",
        r"^pic master: vectors 0x20-0x27, ",
        r"^no vm7: there are 2 \(vm0\.\.\.\)$",
        r"Remote target\) detached"])
    if not errors and len(re.findall(r"gdb stopped in it", out)) < 1:
        errors.append("no VM is said to be the one gdb stopped in")
    return out, errors


def guest_operand(port):
    """The hostile kernel's VMPTRLD of a variable holding 0x1000: `monitor
    qual` names the memory operand from the VM-exit instruction information
    (SDM 28.2.5), finds its linear address (vcpu_operand_address) and reads
    the 8 bytes there: the value 0x1000, little-endian."""
    out = gdb_batch(port, "i386", HOSTILE, [
        "monitor break-on-exit vmptrld", "continue", "monitor qual", "print/x &vmptrld::vmcs",
        "monitor break-on-exit none", "detach"])
    errors = expect_in_order(out, [
        r"^break-on-exit: reason 21 \(VMPTRLD\)",
        r"^exit reason 21 \(VMPTRLD\) at guest rip 0x[0-9a-f]+, qualification 0x[0-9a-f]+",
        r"^  operand: ds:\[0x([0-9a-f]+)\] \(32-bit address\), linear 0x([0-9a-f]+): "
        r"00 10 00 00 00 00 00 00$",
        r"^\$1 = 0x[0-9a-f]+",
        r"Remote target\) detached"])
    m = re.search(r"linear 0x([0-9a-f]+):", out)
    addr = re.search(r"^\$1 = 0x([0-9a-f]+)", out, re.M)
    if not errors and m and addr and int(m.group(1), 16) != int(addr.group(1), 16):
        errors.append("the operand's linear address 0x%s is not &vmcs (0x%s)" % (m.group(1), addr.group(1)))
    return out, errors


LONG64 = os.environ.get("LONG64_ELF", os.path.join(BUILD, "tests", "long64.elf"))


def guest_long64_memory(port):
    """A 64-bit guest (long64, 4-level paging under EPT): at its first I/O
    exit, in 64-bit mode, `monitor walk` reads its PML4E, PDPTE and 2 MiB
    PDE (SDM 4.5), names a non-present PDPTE and a non-canonical address,
    and gdb reads its memory by linear address: the Multiboot header's
    magic at 0x100000 (guest_linear_walk, hv/guest/guest_paging_pae.c).
    The PDE: P, R/W, U/S, PS (entry.S), A and D as the CPU set them."""
    out = gdb_batch(port, "i386", LONG64, [
        "monitor break-on-exit io", "continue", "monitor walk 100000", "monitor walk 40000000",
        "monitor walk 800000000000", "x/1xw 0x100000", "monitor break-on-exit none", "detach"])
    return out, expect_in_order(out, [
        r"^break-on-exit: reason 30 \(I/O instruction\)",
        r"^Program received signal SIGTRAP",
        r"^guest linear 0x100000: CR0.PG=1 CR3=0x[0-9a-f]+ CR4.PSE=\d CR4.PAE=1$",
        r"^  PML4E\[0\] = 0x[0-9a-f]{16}\n  PDPTE\[0\] = 0x[0-9a-f]{16}\n  PDE\[0\] = 0x00000000000000[8ace]7\n"
        r"  -> guest-physical 0x100000 \(a 2 MiB page\)$",
        r"^  PML4E\[0\] = 0x[0-9a-f]{16}\n  PDPTE\[1\] = 0x0{16}\n"
        r"  not mapped: the page-directory-pointer-table entry is not present$",
        r"^  not mapped: not a canonical address \(bits 63:47 differ\)$",
        r"^0x100000.*:\s+0x1badb002$",
        r"Remote target\) detached"])


PVTEST = os.environ.get("PVTEST_ELF", os.path.join(BUILD, "tests", "pvtest.elf"))


def guest_pv_memory(port):
    """A PV guest (cpu=pv, direct paging: its tables hold machine
    addresses, hv/guest/machine_frames.c): at its first VMCALL gdb reads
    its kernel at the link address (the Multiboot magic at 0xc0100000,
    through its own tables and the VM's frames) and writes a variable; a
    write to its page directory, which it maps read-only, is refused
    (guest_linear.c: a table never changes behind direct paging's back)."""
    out = gdb_batch(port, "i386", PVTEST, [
        "monitor break-on-exit vmcall", "continue", "x/1xw 0xc0100000",
        "set var *(unsigned *)start_info->pt_base = 0", "set var expect_eip = 0x1234",
        "print/x expect_eip", "monitor break-on-exit none", "detach"])
    return out, expect_in_order(out, [
        r"^break-on-exit: reason 18 \(VMCALL\)",
        r"^Program received signal SIGTRAP",
        r"^0xc0100000.*:\s+0x1badb002$",
        r"^Cannot access memory at address 0xc01[0-9a-f]{5}$",
        r"^\$1 = 0x1234$",
        r"Remote target\) detached"])


def guest_pv_balloon(port):
    """`monitor balloon VM MiB` (cpu=pv): with pvtest's balloon-target case
    waiting for its VIRQ_BALLOON upcall (the VIRQ bound), gdb asks vm0's
    balloon for 20 MiB: the guest sees the new target with one upcall;
    a VM there is not, a target of 0 and a malformed command are refused."""
    out = gdb_batch(port, "i386", PVTEST, [
        "break block_until_upcalls", "continue", "delete", "monitor balloon 3 20", "monitor balloon 0 0",
        "monitor balloon 0", "monitor balloon 0 20", "detach"])
    return out, expect_in_order(out, [
        r"^Breakpoint 1, block_until_upcalls",
        r"^no vm3: there is 1$",
        r"^vm0: no balloon target of 0 MiB: 1 to 1024$",
        r"^usage: monitor balloon VM MiB",
        r"^hv: balloon: vm0 target 5120 pages \(monitor\)$",
        r"^vm0: balloon target 20 MiB$",
        r"Remote target\) detached"])


def guest_pae_memory(port):
    """A 32-bit guest with PAE paging under EPT (the hostile kernel's
    cpu-pae-paging): stopped at its result, after PAE paging is on, `monitor
    walk` reads the PDPTE the CPU loaded (the VMCS's, SDM 28.3.4) and the
    2 MiB PDE, and gdb reads memory by linear address."""
    out = gdb_batch(port, "i386", HOSTILE, [
        "hbreak result", "continue", "monitor walk 100000", "monitor walk c0000000", "x/1xw 0x100000",
        "delete", "detach"])
    return out, expect_in_order(out, [
        r"^Breakpoint 1, result \(",
        r"^guest linear 0x100000: CR0.PG=1 CR3=0x[0-9a-f]+ CR4.PSE=\d CR4.PAE=1$",
        r"^  PDPTE\[0\] = 0x[0-9a-f]{16}\n  PDE\[0\] = 0x00000000000000[8ace]3\n"
        r"  -> guest-physical 0x100000 \(a 2 MiB page\)$",
        r"^  PDPTE\[3\] = 0x0{16}\n  not mapped: the page-directory-pointer-table entry is not present$",
        r"^0x100000.*:\s+0x1badb002$",
        r"Remote target\) detached"])


def guest_killed(port):
    """gdb stops the guest at a breakpoint and is then killed: the stub sees
    the socket close, removes its breakpoint, and the guest runs on."""
    out = gdb_batch(port, "i386", GUEST, ["break handle_syscall", "continue", "shell sleep 60"],
                    kill_after=r"^Breakpoint 1, handle_syscall")
    return out, expect_in_order(out, [r"^Breakpoint 1, handle_syscall", r"gdb killed"])


def guest_hbreak(port):
    """hbreak: a debug register, no INT3 in guest memory; the guest runs on
    past it (RFLAGS.RF) when gdb continues; a fifth one finds no slot."""
    out = gdb_batch(port, "i386", GUEST, [
        "hbreak handle_syscall", "continue", "info registers eip", "x/1bx handle_syscall", "continue",
        "delete", "hbreak kmain", "hbreak sys_exit", "hbreak sys_write", "hbreak sys_getpid",
        "hbreak sys_fork", "continue", "delete", "detach"])
    return out, expect_in_order(out, [
        r"^Hardware assisted breakpoint 1 at 0x[0-9a-f]+: file guestos/kernel/syscall\.c",
        r"^Breakpoint 1, handle_syscall \(",
        r"^eip +0x([0-9a-f]+) +0x[0-9a-f]+ <handle_syscall>",
        r"<handle_syscall>:\s+0x55",                          # push %ebp, not an INT3 (0xcc)
        r"^Breakpoint 1, handle_syscall \(",                   # RF let it run; it came round again
        r"(?i)could not insert hardware breakpoint|cannot insert hardware breakpoint",
        r"Remote target\) detached"])


def guest_watch(port):
    """watch: a data breakpoint in a debug register. The PIT's interrupt
    handler writes `ticks`: gdb stops right after the write and shows the
    old and the new value (the stop reply names the watchpoint). rwatch
    (reads only) has no x86 equivalent: the stub refuses Z3, and gdb makes
    it from an access watchpoint, as it does on x86 hardware."""
    out = gdb_batch(port, "i386", GUEST, [
        "break kmain", "continue", "delete", "watch ticks", "continue", "continue", "delete",
        "awatch ticks", "continue", "delete", "rwatch ticks", "continue", "delete", "detach"])
    return out, expect_in_order(out, [
        r"^Hardware watchpoint 2: ticks",
        r"^Hardware watchpoint 2: ticks\n\nOld value = (\d+)\nNew value = \d+",
        r"^Hardware watchpoint 2: ticks\n\nOld value = \d+\nNew value = \d+",
        r"^Hardware access \(read/write\) watchpoint 3: ticks",
        r"^Hardware access \(read/write\) watchpoint 3: ticks\n\n(Value|Old value) = ",
        r"^Hardware read watchpoint 4: ticks\n\nValue = \d+\n0x[0-9a-f]+ in handle_tick \(\)",
        r"Remote target\) detached"])


def reconnect(arch, elf, where, first_ends):
    """One gdb stops the machine and leaves (detaches, or is killed); a
    second gdb connects to the running machine, which stops for it, and
    breaks again. first_ends: "detach" or "kill"."""
    def drive(port):
        first = ["break " + where, "continue", "delete"]
        if first_ends == "detach":
            out1 = gdb_batch(port, arch, elf, first + ["detach"])
        else:
            out1 = gdb_batch(port, arch, elf, first + ["shell sleep 60"], kill_after=r"^Breakpoint 1, ")
        out2 = gdb_batch(port, arch, elf, ["info registers " + ("eip" if arch == "i386" else "rip"),
                                          "break " + where, "continue", "delete", "detach"])
        text = out1 + "\n---- the second gdb ----\n" + out2
        return text, expect_in_order(text, [
            r"^Breakpoint 1, %s \(" % where,
            r"Remote target\) detached" if first_ends == "detach" else r"gdb killed",
            r"^---- the second gdb ----",
            r"^[er]ip +0x[0-9a-f]+ ",                     # it found the machine stopped
            r"^Breakpoint 1, %s \(" % where,
            r"Remote target\) detached"])
    return drive


def hv_hold_stands_still(port):
    """gdb=hv holds the machine at a breakpoint in an exit's handler for two
    seconds of the host's time, in the middle of the guest's timer test:
    the TSC ticks of the hold come off the VM's TSC offset (its virtual
    time stands still, as at a stop of gdb=guest), so the guest's clocks
    see no jump and its timer test still passes. Without it a stop at a
    random moment (a second gdb connecting) could fail any timed guest
    test."""
    offset = "print/d v->vm->devices->tsc_offset"
    out = gdb_batch(port, "i386:x86-64", HV, ["break handle_io", "continue 400", offset, "shell sleep 2",
                                             "continue", offset, "delete", "detach"])
    errors = expect_in_order(out, [r"^Breakpoint 1, handle_io \(", r"^\$1 = -?\d+$",
                                   r"^Breakpoint 1, handle_io \(", r"^\$2 = -?\d+$", r"Remote target\) detached"])
    held = re.findall(r"^\$[12] = (-?\d+)$", out, re.M)
    if len(held) == 2 and int(held[0]) - int(held[1]) < 1000000:
        errors.append("the TSC offset went from %s to %s over a hold of 2 s: the hold did not stand still "
                      "(under 10^6 TSC ticks off)" % tuple(held))
    return out, errors


def packet(payload):
    return b"$%s#%02x" % (payload, sum(payload) % 256)


class Wire:
    """gdb's side of the remote protocol by hand: send bytes, wait for a
    reply matching a regex, keep a transcript and the errors."""

    def __init__(self, port):
        self.s = socket.create_connection(("localhost", port), timeout=30)
        self.text, self.errors = "", []

    def exchange(self, data, want, what):
        self.s.sendall(data)
        got = b""
        deadline = time.monotonic() + 20
        while not re.search(want, got) and time.monotonic() < deadline:
            try:
                chunk = self.s.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
        self.text += "%s: sent %r, got %r\n" % (what, data[:60], got[:200])
        if not re.search(want, got):
            self.errors.append("%s: wanted /%s/, got %r" % (what, want.decode(), got[:100]))

    def close(self):
        self.s.close()
        return self.text, self.errors


def garbage(port):
    """Noise, a bad checksum, a non-hex checksum, an overlong packet, non-hex
    arguments, a write with bad data: each gets '-' or an error, and
    nothing reaches guest memory. Then the socket just closes."""
    w = Wire(port)
    w.s.sendall(b"\x00\xffnoise\r\n+++---")
    w.exchange(b"$g#00", rb"-", "bad checksum")
    w.exchange(b"$g#zz", rb"-", "non-hex checksum")
    w.exchange(b"$" + b"A" * 10000 + b"#00", rb"-", "overlong packet")
    w.exchange(packet(b"mzz,qq"), rb"\+\$E01#", "non-hex address")
    w.exchange(packet(b"M100000,4:zzzzzzzz"), rb"\+\$E01#", "non-hex data")
    w.exchange(packet(b"m100000,4"), rb"\+\$[0-9a-f]{8}#", "a good read after all that")
    w.exchange(packet(b"mffffffffffffffff,10"), rb"\+\$E14#", "an address outside the guest")
    w.exchange(packet(b"qRcmd,7a7a"), rb"\$OK#", "an unknown monitor command")
    return w.close()


def ctrl_c(port):
    """Ctrl-C (the byte 0x03) while the machine runs stops it at the next
    VM exit with SIGINT (stop reply T02); it then answers as usual, and a
    detach lets it run on to its power-off. A stop reply other than T02
    (a breakpoint's, say) or none fails the case."""
    w = Wire(port)
    w.exchange(packet(b"?"), rb"\$T05", "the first stop")
    w.exchange(packet(b"c"), rb"\+", "continue")      # the whole run lasts well under a second:
    w.exchange(b"\x03", rb"\$T02", "Ctrl-C")           # Ctrl-C at once
    w.exchange(b"+" + packet(b"g"), rb"\$[0-9a-fx]{32,}#", "the registers, stopped")
    w.exchange(b"+" + packet(b"D"), rb"\$OK#", "detach")
    return w.close()


def gdb_cases():
    # devices=machine: the exit path of labs 1-3, whose frames it checks
    # (with devices=virtual the APICs look at each exit first).
    return [GdbCase("gdb-hv-cpuid", "hv", hv_cpuid, hv_args=["devices=machine"]),
            # At the guest's first instruction its paging is off and the kernel's
            # addresses are not mapped: the breakpoint takes a debug register.
            GdbCase("gdb-guest-step", "guest", guest_step,
                    console_must=[r"^hv: gdb: breakpoint at 0xc[0-9a-f]+: its page is not mapped yet, so it "
                                  r"takes a debug register$"]),
            GdbCase("gdb-guest-hbreak", "guest", guest_hbreak),
            GdbCase("gdb-guest-watch", "guest", guest_watch),
            # Under shadow paging the VMCS's CR3 is the shadow's root: the
            # stub must walk the guest's own tables (guest_cr3_view).
            GdbCase("gdb-guest-step-shadow", "guest", guest_step, ["mem=shadow"]),
            GdbCase("gdb-guest-killed", "guest", guest_killed),
            # test=syscall,cow: the monitor's views at the first system
            # call are the point, not the timing tests after the detach.
            GdbCase("gdb-guest-devices", "guest", guest_devices, ["devices=virtual"], guest_args="test=syscall,cow"),
            GdbCase("gdb-hv-choose-vm", "hv", hv_choose_vm, ["vms=2", "devices=virtual"], guest_args="test=timer",
                    vm1=[os.path.join(BUILD, "tests", "badguest.elf") + " do=spin=3"]),
            GdbCase("gdb-guest-operand", "guest", guest_operand, guest=HOSTILE, guest_args="attack=vmx-vmptrld",
                    console_must=[r"^hostile: result exception 6 "]),
            # The second gdb must find the machine still running: the guest
            # runs its tests three times (a few seconds each in Bochs), so a
            # slow gdb start on a busy host does not find it powered off
            # (after the kill, the first gdb's detach lets the machine run
            # on: with one test=all it had powered off, 5 s in, before the
            # second gdb connected).
            GdbCase("gdb-guest-reconnect", "guest", reconnect("i386", GUEST, "handle_syscall", "detach"),
                    guest_args="test=all test=all test=all"),
            GdbCase("gdb-hv-reconnect-after-kill", "hv", reconnect("i386:x86-64", HV, "handle_io", "kill"),
                    guest_args="test=all test=all test=all"),
            GdbCase("gdb-hv-hold-stands-still", "hv", hv_hold_stands_still, ["devices=virtual"],
                    guest_args="test=timer"),
            GdbCase("gdb-guest-long64-memory", "guest", guest_long64_memory, ["mem=ept", "devices=virtual"],
                    guest=LONG64, guest_args=""),
            GdbCase("gdb-guest-pae-memory", "guest", guest_pae_memory, ["mem=ept"], guest=HOSTILE,
                    guest_args="attack=cpu-pae-paging"),
            GdbCase("gdb-guest-pv-memory", "guest", guest_pv_memory, ["cpu=pv"], guest=PVTEST,
                    guest_args="case=xen-version"),
            GdbCase("gdb-guest-pv-balloon", "guest", guest_pv_balloon, ["cpu=pv"], guest=PVTEST,
                    guest_args="case=balloon-target",
                    console_must=[r"^pvtest: result target: 16384 at start, 5120 after 1 upcall on VIRQ_BALLOON's "
                                  r"port \(1 events\), at \d+ ms$"]),
            GdbCase("gdb-garbage", "guest", garbage),
            GdbCase("gdb-hv-ctrl-c", "hv", ctrl_c),
            GdbCase("gdb-guest-ctrl-c", "guest", ctrl_c)]
