#!/usr/bin/env python3
"""hostile.py: the hostile guest kernel's attacks, each run in every mode it
applies to, each run classified automatically (make hostile; part of make check).

    tests/integration/hostile.py [-j N] [-k SUBSTRING] [-m MODE ...] [--table FILE]

tests/kernels/hostile is a guest kernel that tries one way out of the guest
per boot (attack=NAME); `attack=list` names them all with the modes they mean
something in and what a contained run looks like (tests/kernels/hostile/attack.h).
Each run ends in one class:

  result TEXT     the guest finished and said what it saw (an architectural
                  fault it took, or the answer it got): its own power-off, 0
  stop WHY        the hypervisor stopped the guest with a report
  poweroff N      the guest powered off with status N and said nothing more

and passes when that class is what the attack expects in that mode. An
attack whose modes say after:NAME attacks another VM: it runs as VM 1 of
two (vms=2), with NAME in VM 0 (its lines "(vm1) hostile: ...", the
hypervisor's "hv: vm1: guest stopped: ..."), and the run passes when each
VM ends as its own attack expects (with devices=virtual the two take
turns on the CPU; a NAME whose modes say "partner" runs only so). A mode may run every attack as VM 1
beside a VM 0 of its own (BESIDE: vdelay's, a guest that spins, so that
the attack is preempted), which must end with status 0. An
"expect=native" result must equal, exactly, what the same attack saw on the
bare CPU (the same Bochs model, no hypervisor): the hypervisor gave the
guest what a CPU gives. Anything else fails, and is named: a hypervisor panic,
a triple fault of the whole machine, a timeout, an emulator that died, a
`hostile: BREACH` line (the attack saw itself get out), or a verdict the
guest forged (a power-off the hypervisor did not report).
An attack whose modes say "qemu" is a PC kernel's check: it also boots natively
under QEMU (TCG: another PC, with SeaBIOS's tables and QEMU's chipset, loaded
by -kernel), and its result in every devices=virtual mode must equal QEMU's
as well as its own expectation: the hypervisor's PC is a PC.
Logs: build/tests/hostile/<attack>.<mode>.log (console) and .runner.
"""
import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from harness import BUILD, HOSTILE, HV, HVRUN_ARGV, ROOT, slots, studenttree
from vm_cases import BADGUEST

OUT = os.path.join(BUILD, "tests", "hostile")
TIMEOUT = 30           # every attack ends in a second or two: a hang fails soon
# ... except the "timed" ones, whose timer interrupts at ring 1 are each
# delivered in software: event-timer-10khz takes 12 s of CPU there, which a
# busy host stretches past 30.
TIMED_TIMEOUT = 120

# mode: (Bochs CPU model, the hypervisor's options). Every run checks the
# VMCS before every VM entry (vmcheck=2): a rule Bochs lets pass and a real
# CPU enforces is then a hypervisor panic here too.
# 16 MiB of guest RAM, not the default 64: the hostile kernel needs little,
# and the hypervisor scrubs every byte of a guest's RAM before it starts
# (64 MiB is about half of each run's time under Bochs).
CHECK = ["vmcheck=2", "guestmem=16"]
# The modes of labs 1-3 give the guest the machine's PIT and PIC, as those
# labs' hypervisors do (devices=virtual is the default from lab 4 on).
MACHINE = ["devices=machine"] + CHECK
MODES = {
    "ept": ("tigerlake", MACHINE),
    "shadow": ("tigerlake", ["mem=shadow"] + MACHINE),
    "depriv": ("tigerlake", ["cpu=deprivileged", "mem=shadow"] + MACHINE),
    "patch": ("tigerlake", ["cpu=deprivileged", "mem=shadow", "patch=1"] + MACHINE),
    # bt=1 (issue 21): the kernel's code runs only from the translation cache.
    "bt": ("tigerlake", ["cpu=deprivileged", "mem=shadow", "bt=1"] + MACHINE),
    "icelake": ("corei7_icelake_u", MACHINE),   # a CPU model without CET (VMX_BASIC bit 56 clear)
    # devices=virtual (lab 4): the guest's PIT and PIC are the hypervisor's
    # models, their interrupts injected (hvm) or delivered in software (depriv).
    "virtual": ("tigerlake", ["devices=virtual"] + CHECK),
    "vshadow": ("tigerlake", ["mem=shadow", "devices=virtual"] + CHECK),
    "vdepriv": ("tigerlake", ["cpu=deprivileged", "mem=shadow", "devices=virtual"] + CHECK),
    # bt=1 with the PC's devices the hypervisor's: every attack of vdepriv's.
    "vbt": ("tigerlake", ["cpu=deprivileged", "mem=shadow", "bt=1", "devices=virtual"] + CHECK),
    # timer_mode=delay (its TSC with it: tsc=run) as VM 1 of two, beside a
    # VM 0 that spins with interrupts off (BESIDE), in turns of 1 ms: the
    # attack is preempted again and again, and its time and TSC stand
    # still each time. With one VM, delay would change nothing.
    "vdelay": ("tigerlake", ["devices=virtual", "timer_mode=delay", "quantum=1"] + CHECK),
    # resident= (issue 20): the hypervisor pages the VM (1024 of its 4096
    # pages in memory), and offers pseudo page faults (attacks_apf.c). A
    # page-in of 100,000 TSC cycles: ring 3's 16 touches (~45,000 under
    # Bochs) hold every page-in at once (attacks_apf_user.c).
    "paged": ("tigerlake", ["devices=virtual", "resident=1024", "pagein=100"] + CHECK),
}
# bt=1's known gaps: attacks the translator does not pass yet, each with
# what goes wrong (none now: bt-rewrite-own-page's, an exit per
# instruction of a page rewritten at every pass, went when a hot page's
# code was translated a block at a time). They are not run in mode bt,
# and each is named on its own line ("gap"), so none passes unseen; an
# entry goes when its attack passes.
BT_MODES = ("bt", "vbt")
BT_KNOWN_GAPS = {
}
# A VM 0 that a mode runs its attacks beside (they are VM 1).
BESIDE = {"vdelay": BADGUEST + " do=spin=3"}
HV_MODES = ["ept", "shadow", "depriv", "patch", "bt"]   # "all": the hypervisor's modes, one CPU model
# The modes where the VM is a PC with its own APICs, PIT, PIC and clock
# (devices=virtual): those an attack marked "qemu" is compared with QEMU in.
PC_MODES = [m for m in MODES if "devices=virtual" in MODES[m][1]]

# The runner's exit statuses (tools/runner/outcome.py) that are never containment.
RUNNER_FAILURES = {2: "usage or set-up error", 3: "panic", 4: "triple fault of the whole machine",
                   5: "timeout", 6: "the emulator stopped without a power-off"}

LIST_RE = re.compile(r"^hostile: attack (\S+) modes=(.+?) expect=(.+?) \| (.*)$", re.M)


class Attack:
    def __init__(self, name, modes, expect, what):
        self.name, self.what = name, what
        words = modes.split()
        # "timed": the attack counts timer ticks, and vmcheck=2's checker
        # (thousands of instructions an exit) would stretch each exit over
        # several ticks: it runs without it.
        self.timed = "timed" in words
        # "gated", "kiret", "portio": under bt the attack must have taken
        # the translator's path it attacks at least once (BT_PATHS): one
        # that never took it proves nothing.
        self.bt_paths = [w for w in words if w in BT_PATHS]
        # "after:NAME": the attack runs as VM 1, after NAME in VM 0 (vms=2).
        self.after = next((w[len("after:"):] for w in words if w.startswith("after:")), None)
        # "partner": it runs only as VM 0 of an after: attack, never alone;
        # its modes are those its expectations hold for.
        self.partner = "partner" in words
        # "qemu": a PC kernel's check, also compared with QEMU natively.
        self.qemu = "qemu" in words
        words = [w for w in words if w not in ("timed", "partner", "qemu") and w not in BT_PATHS
                 and not w.startswith("after:")]
        # "all": every mode of the hypervisor on one CPU model; a second
        # model (icelake) only where the attack depends on the CPU's
        # features (its VMX capabilities, MSRs, control-register rules).
        unknown = [m for m in words if m not in MODES and m != "all"]
        # bt=1 is, like patch=1, a ring-1 guest whose sensitive instructions
        # answer as at ring 0: an attack of patch's is one of bt's too, and
        # one of vdepriv's (devices=virtual) one of vbt's.
        self.modes = [m for m in MODES if m in words or ("all" in words and m in HV_MODES)
                      or (m == "bt" and "patch" in words) or (m == "vbt" and "vdepriv" in words)]
        if unknown:
            raise ValueError("attack %s: unknown mode(s) %s" % (name, " ".join(unknown)))
        self.expects = parse_expect(expect)
        if self.after and any(kind == "native" for _, kind, _ in self.expects):
            raise ValueError("attack %s: a VM 1 attack (after:) has no native run to compare with" % name)
        if self.qemu and not any(m in PC_MODES for m in self.modes):
            raise ValueError("attack %s: qemu, but no devices=virtual mode to compare with QEMU" % name)

    def compared_with_qemu(self, mode):
        return self.qemu and mode in PC_MODES

    def expect(self, mode):
        """(kind, argument) this attack expects in mode; in bt what it
        expects in patch, unless it names bt."""
        if mode == "vbt" and not any(modes and "vbt" in modes for modes, _, _ in self.expects):
            # vdepriv's, but for what cpu=deprivileged alone lets the guest
            # see of its ring (an expectation of depriv's and vdepriv's
            # both), which bt=1 hides as patch=1 does.
            leak = any(modes and {"depriv", "vdepriv"} <= modes for modes, _, _ in self.expects)
            mode = "bt" if leak else "vdepriv"
        if mode == "bt" and not any(modes and "bt" in modes for modes, _, _ in self.expects):
            mode = "patch"
        for modes, kind, arg in self.expects:
            if modes and mode in modes:
                return kind, arg
        for modes, kind, arg in self.expects:
            if modes is None:
                return kind, arg
        raise ValueError("attack %s says nothing for mode %s" % (self.name, mode))


def parse_expect(text):
    """'native; depriv patch: stop task switch' -> [(None, native, ''), ({depriv, patch}, stop, ...)]"""
    out = []
    for item in text.split(";"):
        item = item.strip()
        modes = None
        m = re.match(r"^([a-z ]+):\s*(.*)$", item)
        if m and all(w in MODES for w in m.group(1).split()):
            modes, item = set(m.group(1).split()), m.group(2)
        kind, _, arg = item.partition(" ")
        if kind not in ("native", "result", "stop", "poweroff"):
            raise ValueError("unknown expectation %r" % item)
        out.append((modes, kind, arg.strip()))
    return out


def run(kernel_args, cpu, hv_args, log, timeout=TIMEOUT, vm0_args=None, beside=None):
    """One boot: the hostile kernel under the hypervisor (hv_args is a list)
    or natively (hv_args None; in Bochs, or with cpu "qemu" in QEMU TCG
    through its -kernel); with vm0_args, as VM 1 of two, after the
    hostile kernel with vm0_args in VM 0; with beside (a module and its
    arguments), as VM 1 beside that kernel in VM 0. Returns (runner status,
    console, runner text)."""
    emu = ["--emu", "bochs", "--cpu", cpu]
    if hv_args is None:
        argv = [HOSTILE, "--"] + kernel_args
        if cpu == "qemu":
            emu = ["--emu", "qemu", "--boot", "kernel"]
    else:
        argv = ["--module", " ".join([HOSTILE] + kernel_args), HV, "--"] + hv_args
        if vm0_args or beside:
            vm0 = " ".join([HOSTILE] + vm0_args) if vm0_args else beside
            argv = ["--module", vm0] + argv + ["vms=2"]
    argv = HVRUN_ARGV + ["--quiet"] + emu + ["--log", log, "--timeout", str(timeout)] + argv
    with slots.emulator_slot():
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=slots.held_env(), timeout=timeout + 120)
    console = open(log, errors="replace").read() if os.path.exists(log) else ""
    with open(log[:-4] + ".runner", "w") as f:
        f.write(" ".join(argv) + "\n" + p.stdout)
    return p.returncode, console, p.stdout


def classify(status, console, under_hv, vm=0):
    """(class, detail) of one run, or ("failure", why); of VM `vm` in a run
    of several (its lines tagged "(vmN) ", the hypervisor's "hv: vmN: ")."""
    breach = re.search(r"^(?:\(vm\d\) )?hostile: BREACH (.*)$", console, re.M)
    if breach:
        return "failure", "BREACH: " + breach.group(1)
    if status in RUNNER_FAILURES:
        panic = re.search(r"^PANIC .*$", console, re.M)
        return "failure", RUNNER_FAILURES[status] + (": " + panic.group(0) if panic and status == 3 else "")
    guest, hv = ("", "hv: ") if vm == 0 else (r"\(vm%d\) " % vm, "hv: vm%d: " % vm)
    result = re.findall(r"^%shostile: result (.*)$" % guest, console, re.M)
    if not under_hv:
        return ("result", result[-1]) if result else ("failure", "no result line natively")
    stopped = re.findall(r"^%sguest stopped: (.*)$" % hv, console, re.M)
    if not stopped:
        return "failure", "the hypervisor did not report how the guest ended"
    why = stopped[-1]
    powered = re.match(r"^it powered off with status (\d+)$", why)
    if not powered:
        return "stop", why
    # The guest's own status is reported; the verdict is only 0 or 1: the
    # run's, or with several VMs this VM's ("hv: VMs ended: vm0 status 0, ...").
    ended = re.search(r"^hv: VMs ended:(.*)$", console, re.M)
    if ended:
        verdict = [st for n, st in re.findall(r"vm(\d+) status (\d+)", ended.group(1)) if int(n) == vm]
    else:
        verdict = re.findall(r"^POWEROFF (\d+)$", console, re.M)
    want = "0" if powered.group(1) == "0" else "1"
    if verdict[-1:] != [want]:
        return "failure", "the guest powered off with status %s and the verdict is POWEROFF %s" % (
            powered.group(1), verdict[-1] if verdict else "(none)")
    if result and powered.group(1) == "0":
        return "result", result[-1]
    return "poweroff", powered.group(1)


def judge(attack, mode, got, native_result, qemu_result=None):
    """None when the run is what attack expects in mode (and, for a PC
    kernel's check, what QEMU gives), else why not."""
    cls, detail = got
    if cls == "failure":
        return detail
    if attack.compared_with_qemu(mode):
        if qemu_result is None:
            return "no result natively under QEMU to compare with"
        if (cls, detail) != ("result", qemu_result):
            return "QEMU natively gives 'result %s'; under the hypervisor: %s %s" % (qemu_result, cls, detail)
    kind, arg = attack.expect(mode)
    if kind == "native":
        if native_result is None:
            return "no native result to compare with"
        if (cls, detail) != ("result", native_result):
            return "the bare CPU gives 'result %s'; under the hypervisor: %s %s" % (native_result, cls, detail)
    elif kind == "result" and (cls, detail) != ("result", arg):
        return "expected 'result %s', got: %s %s" % (arg, cls, detail)
    elif kind == "stop" and not (cls == "stop" and re.search(arg, detail)):
        return "expected the hypervisor to stop the guest (/%s/), got: %s %s" % (arg, cls, detail)
    elif kind == "poweroff" and (cls, detail) != ("poweroff", arg) and not (cls == "result" and arg == "0"):
        return "expected the guest's own power-off %s, got: %s %s" % (arg, cls, detail)
    return None


def bt_count(pattern):
    """How many times bt=1 took one of its paths, as its statistics lines
    on the console say (0 without them)."""
    def count(console):
        m = re.search(pattern, console, re.M)
        return int(m.group(1)) if m else 0
    return count


# The paths an attack's modes word asks to have been taken under bt: the
# count in the hypervisor's statistics, and what it says when it is 0.
BT_PATHS = {
    "gated": (bt_count(r"^hv: bt gates: (\d+) INT n"),
              "no INT n from ring 3 went through the real IDT's gates (hv: bt gates: ...)"),
    "kiret": (bt_count(r"^hv: bt: .* and (\d+) to ring 0 translated"),
              "no IRET back to the kernel was taken by the translation (hv: bt: ... to ring 0 translated)"),
    "portio": (bt_count(r"^hv: bt: .* (\d+) IN and OUT done in translations"),
               "no IN or OUT was done inside a translation (hv: bt: ... IN and OUT done in translations)"),
    "injected": (bt_count(r"^hv: bt gates: .*\((\d+) page faults injected\)"),
                 "no page fault of user mode was injected through the real IDT (hv: bt gates: ... page faults "
                 "injected)"),
    "privileged": (bt_count(r"^hv: bt: .* (\d+) MOV to CR3 and INVLPG done in translations"),
                   "no MOV to CR3 or INVLPG was done inside a translation (hv: bt: ... MOV to CR3 and INVLPG "
                   "done in translations)"),
    "spaces": (bt_count(r"^hv: shadow spaces: .*, (\d+) CR3 loads found theirs"),
               "no CR3 load found its address space's shadow kept (hv: shadow spaces: ... CR3 loads found "
               "theirs)"),
    "rewound": (bt_count(r"^hv: bt: .*; (\d+) before a translation's commit, rewound"),
                "no interrupt came before a translation's commit (hv: bt: ... before a translation's commit, "
                "rewound)"),
    "limit": (bt_count(r"^hv: bt: .* (\d+) branches past CS's limit faulted at the branch"),
              "no translated branch past CS's limit faulted at the branch (hv: bt: ... branches past CS's "
              "limit faulted at the branch)"),
    "hot": (bt_count(r"^hv: bt: .* (\d+) single-use translations"),
            "no code of a hot page was translated to run once (hv: bt: ... single-use translations)"),
    "resumed": (bt_count(r"^hv: bt: .* found in the cache \((\d+) of them inside a block"),
                "no exit's place inside a block was entered again (hv: bt: ... found in the cache (N of them "
                "inside a block ...))"),
}


def expected_length(t, mode):
    """How long a run takes, roughly, for ordering them: a timed attack's
    tick storm is delivered in software (seconds), two VMs take two
    kernels' time, one attack alone about a second."""
    return 10 * t.timed + (1 if t.after or mode in BESIDE else 0)


def list_attacks():
    os.makedirs(OUT, exist_ok=True)
    status, console, runner = run(["attack=list"], "tigerlake", None, os.path.join(OUT, "list.log"))
    attacks = [Attack(*m) for m in LIST_RE.findall(console)]
    if status != 0 or not attacks:
        sys.exit("hostile: attack=list failed (status %d): %s" % (status, runner.strip()[-300:]))
    return attacks


def reached_modes(modes):
    """The modes this tree can run (a student tree: its labs' modes); a line
    names the others."""
    later = [m for m in modes if not studenttree.reached(ROOT, studenttree.lab_of_options(MODES[m][1]))]
    note = studenttree.left_out_note(ROOT, "hostile: modes", later)
    if note:
        print(note, flush=True)
    return [m for m in modes if m not in later]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2, help="parallel runs (default: cores)")
    ap.add_argument("-k", default="", help="only the attacks whose name contains this")
    ap.add_argument("-m", action="append", choices=sorted(MODES), help="only these modes")
    ap.add_argument("--table", help="also write the classification as a Markdown table to FILE")
    a = ap.parse_args()

    every = {t.name: t for t in list_attacks()}
    attacks = [t for t in every.values() if a.k in t.name]
    for t in attacks:
        if t.after and t.after not in every:
            sys.exit("hostile: attack %s comes after %s, which is no attack" % (t.name, t.after))
    modes = reached_modes(a.m or list(MODES))
    runs = [(t, m) for t in attacks if not t.partner for m in t.modes if m in modes]
    gaps = sorted({t.name for t, m in runs if m in BT_MODES and t.name in BT_KNOWN_GAPS})
    for name in gaps:
        print("gap  hostile %s [bt]: not run: %s (issue 21)" % (name, BT_KNOWN_GAPS[name]))
    runs = [(t, m) for t, m in runs if not (m in BT_MODES and t.name in BT_KNOWN_GAPS)]
    # The bare CPU's answers, where an attack asks to be compared with them.
    natives = sorted({(t.name, MODES[m][0]) for t, m in runs if t.expect(m)[0] == "native"} |
                     {(t.name, "qemu") for t, m in runs if t.compared_with_qemu(m)})

    timed = {t.name for t in attacks if t.timed}

    def native(key):
        name, cpu = key
        # A timed attack's native run too: QEMU's PIT runs in real time, and
        # a busy host stretches event-pic-aeoi-storm's storm past 30 s.
        status, console, _ = run(["attack=" + name], cpu, None, os.path.join(OUT, "%s.native-%s.log" % key),
                                 TIMED_TIMEOUT if name in timed else TIMEOUT)
        cls, detail = classify(status, console, False)
        return key, detail if cls == "result" else None

    def one(tm):
        t, m = tm
        cpu, hv_args = MODES[m]
        if t.timed:
            hv_args = [w for w in hv_args if w != "vmcheck=2"]
        status, console, _ = run(["attack=" + t.name], cpu, hv_args, os.path.join(OUT, "%s.%s.log" % (t.name, m)),
                                 TIMED_TIMEOUT if t.timed else TIMEOUT,
                                 ["attack=" + t.after] if t.after else None, BESIDE.get(m))
        got = classify(status, console, True, 1 if t.after or m in BESIDE else 0)
        if m in BESIDE and got[0] != "failure" and not re.search(r"^hv: VMs ended: vm0 status 0,", console, re.M):
            got = ("failure", "VM 0 (%s) beside the attack did not end with status 0" % BESIDE[m])
        for path in t.bt_paths if m in BT_MODES and got[0] != "failure" else []:
            count, missing = BT_PATHS[path]
            if not count(console):
                got = ("failure", missing + ": the attack never reached the path it attacks")
        return got, classify(status, console, True, 0) if t.after else None

    # One queue for both, the longest runs first (a timed attack's takes
    # seconds where the others' take one): no core waits for the last
    # native run, or idles beside the last long one.
    with ThreadPoolExecutor(max_workers=a.j) as pool:
        queued = {}
        for i in sorted(range(len(runs)), key=lambda i: -expected_length(*runs[i])):
            queued[i] = pool.submit(one, runs[i])
        native_results = dict(f.result() for f in [pool.submit(native, key) for key in natives])
        results = [queued[i].result() for i in range(len(runs))]

    passed = failed = 0
    rows = {}
    for (t, m), (got, vm0) in zip(runs, results):
        why = judge(t, m, got, native_results.get((t.name, MODES[m][0])), native_results.get((t.name, "qemu")))
        if t.after and not why:                 # VM 0 must end as its own attack expects
            why = judge(every[t.after], m, vm0, None)
            why = why and "in VM 0, %s: %s" % (t.after, why)
        label = "%s %s" % got if got[0] != "failure" else "FAILURE"
        rows.setdefault(t.name, {})[m] = ("ok " if not why else "FAIL ") + got[0]
        if why:
            failed += 1
            print("FAIL hostile %s [%s]: %s\n     log: %s" % (t.name, m, why, os.path.join(OUT, "%s.%s.log" % (t.name, m))),
                  flush=True)
        else:
            passed += 1
            print("ok   hostile %s [%s]: %s" % (t.name, m, label), flush=True)
    if a.table:
        with open(a.table, "w") as f:
            f.write("| attack | " + " | ".join(modes) + " |\n|---|" + "---|" * len(modes) + "\n")
            for t in attacks:
                f.write("| %s | %s |\n" % (t.name, " | ".join(rows.get(t.name, {}).get(m, "-") for m in modes)))
    print("hostile: %d passed, %d failed (%d attacks, %d runs, %d native)" % (
        passed, failed, len(attacks), len(runs), len(natives)))
    return 1 if failed or not runs else 0


if __name__ == "__main__":
    sys.exit(main())
