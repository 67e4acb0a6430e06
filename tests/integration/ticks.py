"""ticks.py: what badguest's timer probe (do=ticks, tests/kernels/badguest/ticks.c)
and the hypervisor's turn record (sched_trace=1) say, and how many ticks
each missed-tick policy must give the probe (timer_cases.py checks it;
tests/bench/timer.py and tools/benchplots.py draw it).

Everything here is worked out from the console of one run, exactly: Bochs
with `clock: sync=none` counts one TSC tick per instruction, so the same
run gives the same TSC values every time.

The probe's PIT ticks come at its own PIT's rising edges of OUT0. Edge k
(k = 1, 2, ...) comes k periods after the count was loaded, a period
being `count` PIT clocks, P = count * tsc_hz / PIT_HZ TSC ticks in the
VM's time, whose rate the hypervisor prints ("the TSC runs at N Hz"). The
load itself happened inside the hypervisor, at some TSC between the
probe's two reads around the OUT that wrote the count (loaded=A..B), and
the count loads on the next PIT clock; so edge k lies in
[A + kP - m, B + kP + m], m = two PIT clocks in TSC ticks and one tick
for the rounding of the hypervisor's 32.32 fixed-point clock. The same
holds for the instant the probe stopped its PIT (stopped=C..D).

The VM's time is the TSC (timer_mode=catchup, merge, discard: wall time)
or its own run time (delay: its time and its TSC stand still while it is
preempted, by the same amount). In the first case the edges are instants
of the hypervisor's TSC too, and each falls in one of the VM's turns
(from, to] or between two of them: the turn record's instants are those
the hypervisor's devices used (hv/sched.c), so an edge up to a turn's end
was seen in that turn, and one after it was counted when the next turn
began, with the others of the time another VM ran.
"""
import re
from fractions import Fraction

PIT_HZ = 1193182
PROBE_RE = re.compile(r"^badguest: ticks hz=(\d+) count=(\d+) how=(\w+) loaded=(\d+)\.\.(\d+) "
                      r"stopped=(\d+)\.\.(\d+) end=(\d+) taken=(\d+) after_stop=(\d+) largest_gap=(\d+) "
                      r"smallest_gap=(\d+)$", re.M)
TICKS_RE = re.compile(r"^badguest: tick tsc:((?: \d+)+)$", re.M)
TSC_HZ_RE = re.compile(r"^hv: devices=virtual: .* the TSC runs at (\d+) Hz; the guest's TSC counts (.*)$", re.M)
TURN_RE = re.compile(r"^hv: turn vm(\d+) from (\d+) to (\d+)$", re.M)
SWITCHES_RE = re.compile(r"^hv: schedule: (\d+) switches between VMs, (\d+) TSC ticks each on average "
                         r"\((\d+)\.\.(\d+)\)", re.M)
CHARGED_RE = re.compile(r"^hv: vm(\d): (\d+) turns, (\d+) TSC ticks charged, stopped (\d+) ticks after the "
                        r"first turn$", re.M)
DEVICES_RE = re.compile(r"^hv: (?:vm(\d): )?devices: (\d+) ticks of IRQ 0 \(OUT0's rising edges\), (\d+) raised, "
                        r"(\d+) merged or dropped \(timer_mode=(\w+)\); (\d+) interrupts", re.M)
EXITS_RE = re.compile(r"^hv: exits: (\d+) in all, (\d+) cycles in the hypervisor$", re.M)


class Probe:
    """The probe's line, the ticks' TSCs and the TSC's rate of one run."""

    def __init__(self, console):
        m = PROBE_RE.search(console)
        if not m:
            raise ValueError("no 'badguest: ticks ...' line")
        (self.hz, self.count, self.how, self.load_a, self.load_b, self.stop_a, self.stop_b, self.end, self.taken,
         self.after_stop, self.largest_gap, self.smallest_gap) = [int(g) if g.isdigit() else g for g in m.groups()]
        self.ticks = [int(t) for line in TICKS_RE.findall(console) for t in line.split()]
        rate = TSC_HZ_RE.search(console)
        if not rate:
            raise ValueError("no 'hv: devices=virtual: ... the TSC runs at N Hz' line")
        self.tsc_hz = int(rate.group(1))
        self.tsc_run = "tsc=run" in rate.group(2)
        self.period = Fraction(self.count * self.tsc_hz, PIT_HZ)       # TSC ticks
        self.margin = 2 * Fraction(self.tsc_hz, PIT_HZ) + 1

    def edge(self, k):
        """(earliest, latest) TSC of edge k, in the VM's time."""
        return self.load_a + k * self.period - self.margin, self.load_b + k * self.period + self.margin

    def edges(self):
        """[(k, earliest, latest)] of every edge that may have come before
        the PIT stopped, and how many of them surely did: (edges, sure)."""
        out, sure, k = [], 0, 1
        while True:
            lo, hi = self.edge(k)
            if lo > self.stop_b:
                return out, sure
            out.append((k, lo, hi))
            sure += hi <= self.stop_a
            k += 1


def turns(console, vm=None):
    """[(vm, from, to)] of the turn record, in order; of one VM with vm."""
    return [(int(v), int(a), int(b)) for v, a, b in TURN_RE.findall(console) if vm is None or int(v) == vm]


# Under merge, the tick for a gap's edges stays requested on IRQ 0 until the
# first VM entry of the next turn injects it: the turn starts with an exit
# (the timer armed at 0), whose handling takes up to this many TSC ticks.
# An edge of the turn that comes before then finds IRQ 0 still requested,
# and merges into the gap's tick as the PIC would merge it.
MERGE_DELIVERY_LATENCY = 2000


def expected_ticks(policy, probe, record):
    """(least, most, why): how many ticks the probe must have taken under
    `policy` with its VM (vm0) sharing the CPU as `record` says (its
    spinning guest is never waiting: each time it lost the CPU it was
    preempted). least == most unless an edge's instant is too close to a
    turn's start or end, or to the PIT's stop, to say on which side it
    fell: then each such edge widens the range by one, and `why` names it.
      catchup  every edge up to the stop is a tick, delivered late if need be;
      merge    each edge seen in a turn is a tick, and the edges of each gap
               between two turns are one tick, at the next turn's start
               (an edge of the turn before that tick's injection, within
               MERGE_DELIVERY_LATENCY of the start, may merge into it);
      discard  only the edges seen in the turns;
      delay    the VM's time stands still between its turns: every edge of
               its own time, the probe's own TSC, is a tick.
    """
    edges, sure = probe.edges()
    unsure = [k for k, lo, hi in edges if not hi <= probe.stop_a]
    why = ["edge %d may have come after the stop" % k for k in unsure]
    if policy in ("catchup", "delay"):
        return sure, len(edges), "; ".join(why)
    mine = [(a, b) for _, a, b in record]
    least = most = 0
    gaps_least, gaps_most = set(), set()
    early_in_turn = []
    for k, lo, hi in edges:
        maybe_after = k in unsure
        places = set()
        for i, (a, b) in enumerate(mine):
            # in turn i: a < e <= b; in the gap before turn i: b(i-1) < e <= a
            before = mine[i - 1][1] if i else None
            if lo <= b and hi > a:
                places.add(("turn", i))
            if before is not None and lo <= a and hi > before:
                places.add(("gap", i))
        if not places:
            raise ValueError("edge %d (%s..%s) lies outside the record's turns" % (k, lo, hi))
        kinds = {p[0] for p in places}
        if len(places) > 1:
            why.append("edge %d lies within %d TSC ticks of a turn's start or end" % (k, hi - lo))
        in_turn_surely = kinds == {"turn"} and not maybe_after
        in_turn_maybe = "turn" in kinds
        least += in_turn_surely
        most += in_turn_maybe
        if in_turn_surely:
            i = next(p[1] for p in places)
            if lo - mine[i][0] < MERGE_DELIVERY_LATENCY:
                early_in_turn.append((k, i, lo - mine[i][0]))
        if policy == "merge":
            gap_places = [p[1] for p in places if p[0] == "gap"]
            if len(places) == 1 and gap_places and not maybe_after:
                gaps_least.add(gap_places[0])
            gaps_most.update(gap_places)
    if policy == "merge":
        least += len(gaps_least)
        most += len(gaps_most)
        for k, i, after in early_in_turn:
            if i in gaps_most:
                least -= 1
                why.append("edge %d came %d TSC ticks into turn %d, before the gap's tick may have been "
                           "injected" % (k, after, i))
    return least, most, "; ".join(why)


def guest_turns(record, tsc_run):
    """[(from, to, offset)]: each turn of the probe's VM in its guest's TSC,
    and the TSC offset then (guest = host + offset). With tsc=wall the
    offset is 0. With tsc=run its TSC stood still from each turn's end to
    the next one's start (its guest spins: each time it lost the CPU it was
    preempted, never waiting), which the hypervisor took off its TSC offset
    at the next start (vm_interrupts.c, kept_from_running)."""
    out, offset = [], 0
    for i, (_, a, b) in enumerate(record):
        if tsc_run and i:
            offset -= a - record[i - 1][2]
        out.append((a + offset, b + offset, offset))
    return out


def to_host(reading, gturns):
    """The hypervisor's TSC at the guest's TSC reading, or None when the
    reading lies in none of its VM's turns (a guest runs only in them)."""
    for a, b, offset in gturns:
        if a < reading < b:
            return reading - offset
    return None


def run_time(record, start, stop):
    """TSC ticks the VM ran (its turns) between two instants of the hypervisor's TSC."""
    return sum(max(0, min(b, stop) - max(a, start)) for _, a, b in record)
