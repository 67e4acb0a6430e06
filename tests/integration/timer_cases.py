"""timer_cases.py: the missed-tick policies and the guest's TSC, measured by a
guest (lab 4: devices=virtual, vms=2, hv/exit/vm_interrupts.c, hv/sched.c).

VM 0 runs badguest's timer probe (do=ticks, tests/kernels/badguest/ticks.c):
its PIT at 100 Hz, IRQ 0 alone open, a guest computing with interrupts on
for 2,000,000 TSC ticks of its own, each tick's TSC read in its handler;
then its PIT stopped and the ticks still owed taken. VM 1 spins with
interrupts off (do=spin), so the two take turns of quantum=27 ms (108,003
TSC ticks at Bochs's 4 MHz TSC): each gap between two of VM 0's turns
holds two or three of its PIT's periods (40,002 TSC ticks), which it
cannot take then. The hypervisor records every turn (sched_trace=1).

Bochs with `clock: sync=none` counts one TSC tick per instruction: the run
is the same every time, and each policy's tick count is checked as an
equality against a count worked out independently of the hypervisor's
tick bookkeeping, from the probe's own TSC readings, the TSC's rate the
hypervisor measured at boot, and the turn record (ticks.py says how):
  catchup  ticks == the PIT's periods from its start to its stop, in wall
           time: every one delivered, late if need be;
  merge    ticks == the periods that ended inside VM 0's turns + the gaps
           between its turns in which at least one ended: one tick for all
           the edges a gap held;
  discard  ticks == the periods that ended inside VM 0's turns;
  delay    ticks == the periods of VM 0's own run time, its own TSC's
           elapsed time: its time and its TSC stand still while VM 1 runs.
An edge whose instant the probe's two TSC reads around its OUT cannot place
on one side of a turn's start or end (the OUT's exit takes some 800 TSC
ticks) would widen the expectation to a range, by one per such edge (the
most a guest's TSC can say); the parameters here leave none (a quantum of
25 ms left one edge 19 within 840 TSC ticks of a turn's start under
discard), so today each count is one number.

The same cases check the hypervisor's own count (its devices line: edges
of IRQ 0 == the periods; ticks raised == the probe's ticks) and the
guest's TSC against wall time (tsc=, hv/README.md "Turns on one CPU"):
  tsc=wall (catchup, merge, discard): the probe's TSC readings are the
           hypervisor's TSC, each inside one of VM 0's turns; its stretch
           took as long in wall time, VM 1's turns included;
  tsc=run  (delay's default; ticks-tsc-run with catchup): its TSC stood
           still from each turn's end to the next one's start: each reading
           lies inside a turn once that time is taken off, and its stretch
           is exactly VM 0's run time. With catchup its ticks keep wall
           time all the same: twice as many as its TSC's periods.
And tsc=wall with timer_mode=delay is refused at boot.
"""
import copy
import os

import ticks
from harness import HV, OK, PANIC, Case
from vm_cases import BADGUEST

TIMEOUT = 120
HZ, STRETCH_K, QUANTUM_MS = 100, 2000, 27
PROBE = "%s do=ticks=%d,%d" % (BADGUEST, HZ, STRETCH_K)
HOG = "%s do=spin=3" % BADGUEST


def probe_run(hv_args):
    return (["--module", PROBE, "--module", HOG, HV, "--", "vms=2", "devices=virtual", "guestmem=16",
             "quantum=%d" % QUANTUM_MS, "sched_trace=1"] + list(hv_args))


def devices(console, vm=0):
    """(edges, raised, dropped, policy, injected) of VM vm's devices line."""
    for m in ticks.DEVICES_RE.finditer(console):
        if int(m.group(1) or 0) == vm:
            return int(m.group(2)), int(m.group(3)), int(m.group(4)), m.group(5), int(m.group(6))
    return None


def host_probe(probe, gturns):
    """The probe's load and stop instants in the hypervisor's TSC (tsc=run:
    its readings mapped through its TSC offsets)."""
    host = copy.copy(probe)
    for name in ("load_a", "load_b", "stop_a", "stop_b"):
        value = ticks.to_host(getattr(probe, name), gturns)
        if value is None:
            raise ValueError("the probe's %s reading %d lies in none of VM 0's turns" % (name, getattr(probe, name)))
        setattr(host, name, value)
    return host


def check_probe(policy, tsc_run):
    """The check of one probe run under `policy` with the guest's TSC
    counting wall time (tsc_run False) or its run time."""
    def check(console):
        try:
            probe = ticks.Probe(console)
            record = ticks.turns(console, 0)
            if probe.tsc_run != tsc_run:
                return "the guest's TSC counts %s, not %s" % ("run time" if probe.tsc_run else "wall time",
                                                             "run time" if tsc_run else "wall time")
            if len(probe.ticks) != probe.taken:
                return "%d ticks taken but %d TSCs listed" % (probe.taken, len(probe.ticks))
            gturns = ticks.guest_turns(record, tsc_run)
            # The guest's view: every reading it made lies in one of its
            # VM's turns, as the TSC (wall) or its run time (run) places it.
            for t in [probe.load_a, probe.load_b, probe.stop_a, probe.stop_b] + probe.ticks:
                if ticks.to_host(t, gturns) is None:
                    return "the probe read TSC %d, which lies in none of VM 0's turns (tsc=%s)" % (
                        t, "run" if tsc_run else "wall")
            host = host_probe(probe, gturns)
            elapsed, wall = probe.stop_a - probe.load_b, host.stop_a - host.load_b
            ran = ticks.run_time(record, host.load_b, host.stop_a)
            if elapsed != (ran if tsc_run else wall) or not ran < wall:
                return "the probe's TSC counted %d ticks from its PIT's start to its stop: wall time %d, " \
                       "VM 0's run time %d" % (elapsed, wall, ran)
            # The ticks: the PIT's edges in the VM's time, which is the
            # guest's TSC under delay, wall time otherwise.
            clock = probe if policy == "delay" else host
            least, most, why = ticks.expected_ticks(policy, clock, record)
            if not least <= probe.taken <= most:
                return "timer_mode=%s: the probe took %d ticks, expected %s%s" % (
                    policy, probe.taken, least if least == most else "%d..%d" % (least, most),
                    " (%s)" % why if why else "")
            # The hypervisor counted those edges and raised the ticks the
            # probe took (no edge of the BIOS's 18.2 Hz before it: badguest
            # holds that count first of all, before its boot's exits).
            edges, sure = clock.edges()
            hv = devices(console)
            if not hv or not sure <= hv[0] <= len(edges) or hv[1] != probe.taken or hv[3] != policy:
                return "the hypervisor's devices line says %s (edges, raised, dropped, policy, injected): " \
                       "not %d edges, %d raised, timer_mode=%s" % (hv, sure, probe.taken, policy)
            # With every edge a tick (catchup, delay), tick k never comes
            # before edge k.
            if policy in ("catchup", "delay"):
                times = probe.ticks if policy == "delay" else [ticks.to_host(t, gturns) for t in probe.ticks]
                early = [k for k, t in enumerate(times, 1) if t < clock.edge(k)[0]]
                if early:
                    return "ticks %s taken before their PIT edges" % early
        except ValueError as e:
            return str(e)
        return None
    return check


def probe_case(name, policy, hv_args, tsc_run):
    return Case(name, probe_run(["timer_mode=" + policy] + hv_args), OK,
                must=[r"^badguest: ticks hz=%d count=11932 how=spin " % HZ, r"^\(vm1\) badguest: spun 3 million",
                      r"^hv: turn vm0 from \d+ to \d+$", r"^hv: turn vm1 from \d+ to \d+$",
                      r"^hv: schedule: [1-9]\d* switches between VMs, [1-9]\d* TSC ticks each on average",
                      r"^hv: VMs ended: vm0 status 0, vm1 status 0$"],
                must_not=[r"FAIL", r"^PANIC", r"^hv: sched_trace: "], check=check_probe(policy, tsc_run),
                timeout=TIMEOUT)


def timer_cases():
    return [
        probe_case("ticks-catchup", "catchup", [], False),
        probe_case("ticks-merge", "merge", [], False),
        probe_case("ticks-discard", "discard", [], False),
        probe_case("ticks-delay", "delay", [], True),
        probe_case("ticks-tsc-run", "catchup", ["tsc=run"], True),
        Case("ticks-tsc-wall-with-delay-refused", ["--module", PROBE, HV, "--", "devices=virtual",
                                                    "timer_mode=delay", "tsc=wall"], PANIC,
             must=[r"^PANIC hv: tsc=wall contradicts timer_mode=delay: delay stops the VM's time while another "
                   r"VM runs, and its TSC would run on ahead of its ticks \(use tsc=run, delay's default\)$"]),
    ]
