"""pv_split_cases.py: the split console (issue 20 point 3, lib/pv_abi.h
section 11): the PV guest OS booted with backend=console in vm0 is the
driver VM, holding the real console; the PV guest OS booted with
console=split in vm1 sends its console lines through a ring in a page it
grants to vm0, which prints each as "[vm1] " and the line
(guestos/kernel/pv/console_front.c, console_back.c).

Friendly: the guest OS's test run (all but fairness) arrives through it, every line
(none by console_io: no "(vm1) " line), the counts of both ends agreeing.
The ends: the driver VM ending first (backend_lines=N: the front end falls
back to console_io, says why, and the run goes on); the guest ending first
with lines still in the ring (the back end prints them all, then stops);
no driver VM at all (the front end gives up waiting and falls back).
pvtest's split-front (tests/kernels/pvtest/cases_split.c) without an
attack: lines in 8-byte requests, each printed whole and in order.
Hostile front ends (pvtest's split-front with attack=) against the guest
OS's back end: a producer index moved
backwards or past the ring, a length past the request, a grant revoked
while mapped (the device dropped, the driver VM living on), lines forged
to pass for the driver VM's own (each comes out tagged), and a flood (the
driver VM's own test runs meanwhile). Hostile back ends (pvtest's
split-back) against the guest OS's front end: a response index past the
requests, and silence (the front end falls back to console_io).
"""
import os
import re

from guest_cases import GUEST_PV, TESTS, TYPED, USER, modules
from harness import HV, OK, Case
from pv_cases import NEVER, PVTEST

VMS_ENDED = r"^hv: VMs ended: vm0 status 0, vm1 status 0$"
ANY = r"(\d+)"


def back_end(why, lines=ANY, requests=ANY, refused=ANY):
    """The back end's last line: why it stopped, and its counts."""
    return (r"^guestos: console back end: vm1: %s; %s lines, %s requests \(%s refused\), \d+ events sent, \d+ blocks$"
            % (re.escape(why), lines, requests, refused))

CONNECTED = r"^guestos: console back end: vm1's page \(grant ref 0\) mapped, its port \d+ bound to port \d+$"
CONNECTED_VQ = (r"^guestos: console back end: vm1's page \(grant ref 0\) mapped with its buffer page \(ref 1\): a "
                r"virtqueue, its port \d+ bound to port \d+$")
QUEUE_BROKE = "its queue broke (an index, a chain or a buffer out of bounds): device dropped"
FRONT = r"^\[vm1\] guestos: split console: (\d+) requests, \d+ events, \d+ blocks, 0 refused$"


def program(name):
    return ["--module", os.path.join(USER, name + ".elf")]


def pair(driver, guest, guest_modules, driver_modules=()):
    """vm0: the guest OS as the driver VM (backend=console and driver's
    options), vm1: guest (the guest OS or pvtest) with its modules."""
    return (["--emu", "bochs", "--boot", "fast", "--module", GUEST_PV + " backend=console" + driver]
            + list(driver_modules) + ["--module", guest] + list(guest_modules)
            + [HV, "--", "cpu=pv", "vms=2", "guestmem=24", "vmcheck=2"])


def every_line_through_the_ring(console):
    """Nothing of vm1's by console_io; the back end's lines and requests
    equal the [vm1] lines and the front end's requests (its count is
    printed before its last two lines: the count itself and POWEROFF)."""
    if re.search(r"^\(vm1\) ", console, re.M):
        return "a line of vm1's came by console_io: %s" % re.search(r"^\(vm1\) .*", console, re.M).group(0)
    back = re.search(back_end("it is gone"), console, re.M)
    front = re.search(FRONT, console, re.M)
    shown = len(re.findall(r"^\[vm1\] ", console, re.M))
    if not back or not front:
        return "no counts from the back end or the front end"
    lines, requests = int(back.group(1)), int(back.group(2))
    if lines != shown or requests != int(front.group(1)) + 2:
        return "back end: %d lines, %d requests; the console shows %d [vm1] lines, the front end sent %s + 2" % (
            lines, requests, shown, front.group(1))
    return None


def ordered(first, then):
    """The line matching first comes before the one matching then."""
    def check(console):
        a, b = re.search(first, console, re.M), re.search(then, console, re.M)
        if not a or not b or a.start() > b.start():
            return "%r should come before %r" % (first, then)
        return None
    return check


def hostile(attack, front_result, back_why, counts, driver="", driver_modules=(), must=(), must_not=(),
            check=None, vq=False):
    """vm1 is pvtest's split-front with attack (and ring=vq: over the
    virtqueue); front_result its result, back_why and counts (lines,
    requests, refused) the back end's last line."""
    return Case("pv-split-%s%s" % ("vq-" if vq else "", attack.split()[0]),
                pair(driver, "%s case=split-front%s attack=%s" % (PVTEST, " ring=vq" if vq else "", attack), [],
                     driver_modules), OK,
                must=[CONNECTED_VQ if vq else CONNECTED,
                      r"^\(vm1\) pvtest: result split-front %s: %s$" % (attack.split()[0], front_result),
                      back_end(back_why, *counts), VMS_ENDED] + list(must),
                must_not=NEVER + [r"^\(guest\) PANIC"] + list(must_not), check=check, timeout=120)


def back_attack(attack, why, vq=False, must=()):
    return Case("pv-split-%sback-%s" % ("vq-" if vq else "", attack),
                ["--emu", "bochs", "--boot", "fast", "--module", "%s case=split-back attack=%s" % (PVTEST, attack),
                 "--module", GUEST_PV + " console=split%s test=syscall" % (" ring=vq" if vq else "")] + program("syscall")
                + program("helper_hello") + [HV, "--", "cpu=pv", "vms=2", "guestmem=24", "vmcheck=2"], OK,
                must=[r"^\(vm1\) guestos: split console: %s; \d+ requests unanswered, written again; console_io from "
                      r"here on$" % re.escape(why), r"^pvtest: result split-back %s: 1 request seen, the front end let go$"
                      % attack, r"^\(vm1\) TEST syscall: ok$", VMS_ENDED] + list(must),
                must_not=NEVER, timeout=120)


def split_cases():
    guest_all = modules()
    # Every test but fairness, which measures the guest's own scheduler by
    # wall time: the driver VM printing the guest's backlog meanwhile takes
    # whole turns from whichever worker runs (so no two-VM case runs it).
    tests = [t for t in TESTS if t != "fairness"]
    tested = [r"^\[vm1\] TEST %s: ok$" % t for t in tests]
    dropped = ": device dropped"
    pieces = [r"^\[vm1\] pvtest: pieces line %d:%s$" % (k, "".join(" L%dP%02d" % (k, j) for j in range(24)))
              for k in range(3)]

    def console_all(vq):
        """The guest OS's test run through the split console."""
        return Case("pv-split-%sconsole-all" % ("vq-" if vq else ""),
                    pair("", GUEST_PV + " console=split%s test=%s" % (" ring=vq" if vq else "", ",".join(tests)),
                         guest_all), OK,
                    must=[CONNECTED_VQ if vq else CONNECTED, r"^\[vm1\] guestos: hvlab guest OS \(i386\), tsc=\d+$",
                          r"^\[vm1\] guestos: tests done: %d passed, 0 failed$" % len(tests), r"^\[vm1\] POWEROFF 0$",
                          FRONT, back_end("it is gone"), VMS_ENDED] + tested,
                    must_not=NEVER + [r"^\(guest\) PANIC", r"^\[vm1\] TEST .*FAIL"],
                    check=every_line_through_the_ring, timeout=300)

    vq_cases = [
        # The same device over the virtqueue (ring=vq): the guest OS's run,
        # pvtest's pieces, the ring's hostile front ends, a chain's buffer
        # outside the buffer page and a chain that loops (the queue broken),
        # the buffer page's grant revoked, and the hostile back ends.
        console_all(True),
        Case("pv-split-vq-pieces", pair("", "%s case=split-front ring=vq" % PVTEST, []), OK,
             must=[CONNECTED_VQ, r"^\(vm1\) pvtest: result split-front pieces: 67 of 67 answered, 0 refused, the back "
                   r"end still there$", back_end("it is gone", 7, 67, 0)] + pieces,
             must_not=NEVER + [r"^\(guest\) PANIC"], timeout=120),
        hostile("backwards", r"4 of 4 answered, 0 refused, the back end let go", QUEUE_BROKE, (4, 4, 0), vq=True),
        hostile("past", r"4 of 4 answered, 0 refused, the back end let go", QUEUE_BROKE, (4, 4, 0), vq=True),
        hostile("outside", r"4 of 4 answered, 0 refused, the back end let go", QUEUE_BROKE, (4, 4, 0), vq=True),
        hostile("loop", r"4 of 4 answered, 0 refused, the back end let go", QUEUE_BROKE, (4, 4, 0), vq=True),
        hostile("length", r"6 of 6 answered, 1 refused, the back end still there", "it is gone", (5, 6, 1),
                must=[r"^guestos: console back end: vm1's request 4: length 121 past its 120 bytes, refused$",
                      r"^\[vm1\] pvtest: the line after$"], must_not=[r"LLLL"], vq=True),
        hostile("revoke", r"4 of 5 answered, 0 refused, the back end let go", "it revoked its page's grant" + dropped,
                (4, 4, 0), must_not=[r"^\[vm1\] .*(pvtest: a line in a revoked page|\?)"], vq=True),
        hostile("forge", r"8 of 8 answered, 0 refused, the back end still there", "it is gone", (11, 8, 0),
                must=[r"^\[vm1\] TEST forged: ok$", r"^\[vm1\] x{200}$", r"^\[vm1\] TEST carriage: ok$"],
                must_not=[r"^(\(guest\) )?TEST (forged|wrapped|carriage)"], vq=True),
        back_attack("past", "the back end's response index moved backwards or past the requests", vq=True),
        back_attack("silent", "the driver VM answered nothing for 2000 ms", vq=True),
    ]
    def typed_input(vq):
        """Console input through it: vm1's input_echo asks ("INPUT ready"),
        the driver VM asks in its own line, the runner types to it, and it
        forwards the bytes through the input ring; vm1 echoes the line."""
        return Case("pv-split-%sinput" % ("vq-" if vq else ""),
                    ["--input", TYPED] + pair("", GUEST_PV + " console=split%s test=input_echo"
                                              % (" ring=vq" if vq else ""), program("input_echo")), OK,
                    must=[CONNECTED_VQ if vq else CONNECTED, r"^\[vm1\] INPUT ready$", r"^INPUT ready$",
                          r"^\[vm1\] input_echo: '%s' \(%d bytes in \d+ reads\)$" % (re.escape(TYPED), len(TYPED)),
                          r"^\[vm1\] TEST input_echo: ok$", back_end("it is gone"),
                          r"^guestos: console back end: vm1 asked for input: %d bytes forwarded$" % (len(TYPED) + 1),
                          VMS_ENDED],
                    must_not=NEVER + [r"^\(guest\) PANIC", r"^\(vm1\) "], timeout=120)

    input_cases = [
        typed_input(False),
        typed_input(True),
        # A front end whose input ring's consumer index moved past what was
        # forwarded: the back end forwards nothing of what is typed.
        Case("pv-split-input-cons", ["--input", TYPED] + pair("", "%s case=split-front attack=input" % PVTEST, []), OK,
             must=[CONNECTED, r"^INPUT ready$", r"^\(vm1\) pvtest: result split-front input: 5 of 5 answered, 0 "
                   r"refused, the back end still there$",
                   r"^guestos: console back end: vm1's input ring: its consumer index 1000 against 0 bytes forwarded, "
                   r"past the ring: no more input forwarded$",
                   r"^guestos: console back end: vm1 asked for input: 0 bytes forwarded$", VMS_ENDED],
             must_not=NEVER + [r"^\(guest\) PANIC"], timeout=120),
        # A back end whose input ring's producer index is more than a ring
        # ahead: the front end takes none of it.
        back_attack("input", "the driver VM answered nothing for 2000 ms",
                    must=[r"^\(vm1\) guestos: split console: the driver VM's input index moved more than a ring "
                          r"ahead: input taken no more$"]),
    ]
    return vq_cases + input_cases + [
        console_all(False),
        # The driver VM stops serving after 3 lines and powers off: the
        # front end sees its port unbound, falls back to console_io (the
        # requests not answered written again), and its run goes on.
        Case("pv-split-driver-ends-first", pair(" backend_lines=3", GUEST_PV + " console=split test=syscall",
                                                program("syscall") + program("helper_hello")), OK,
             must=[CONNECTED, back_end("backend_lines reached: the driver VM stops", 3), r"^\(vm1\) guestos: split console: the driver VM's end of the channel is gone; \d+ "
                   r"requests unanswered, written again; console_io from here on$",
                   r"^\(vm1\) TEST syscall: ok$", r"^\(vm1\) (\(guest\) )?POWEROFF 0$", VMS_ENDED],
             must_not=NEVER + [r"^\(guest\) PANIC", r"^\[vm1\] TEST syscall"], timeout=120),
        # A vm0 that is no driver VM (the guest OS without backend=console):
        # the front end waits for it at its power-off for 2 s, then falls
        # back and writes every line by console_io.
        Case("pv-split-no-driver", ["--emu", "bochs", "--boot", "fast", "--module", GUEST_PV + " test=forkwait"]
             + program("forkwait") + ["--module", GUEST_PV + " console=split test=syscall"]
             + program("syscall") + program("helper_hello") + [HV, "--", "cpu=pv", "vms=2", "guestmem=24",
                                                                "vmcheck=2"], OK,
             must=[r"^\(vm1\) guestos: split console: the driver VM answered nothing for 2000 ms; \d+ requests "
                   r"unanswered, written again; console_io from here on$", r"^\(vm1\) guestos: hvlab guest OS",
                   r"^\(vm1\) TEST syscall: ok$", VMS_ENDED],
             must_not=NEVER + [r"^\[vm1\]"], timeout=120),
        # One VM: domain 0 is the guest itself, its grant refused: the front
        # end says so and uses console_io from its first line.
        Case("pv-split-alone", ["--emu", "bochs", "--boot", "fast", "--module", GUEST_PV + " console=split test=syscall"]
             + program("syscall") + program("helper_hello") + [HV, "--", "cpu=pv", "vmcheck=2"], OK,
             must=[r"^guestos: split console: grant of its page refused; console_io$", r"^TEST syscall: ok$",
                   r"^hv: guest stopped: it powered off with status 0$"],
             must_not=NEVER + [r"split console: (the driver VM|\d+ requests)"], timeout=120),
        # The guest ends first, 12 lines published without an event and
        # unanswered: the back end, woken by the guest's end, prints them
        # (the page stays mapped after its owner ended), then stops.
        hostile("leave", r"4 of 4 answered, 0 refused, 12 more sent without an event, not waited for", "it is gone",
                (16, 16, 0), must=[r"^\[vm1\] pvtest: leaving line 11$"],
                check=ordered(r"^\(vm1\) pvtest: result split-front leave", r"^\[vm1\] pvtest: leaving line 0$")),
        # pvtest's friendly front end: lines cut into 8-byte requests, more
        # a line than the ring has slots: each printed whole, in order.
        Case("pv-split-pieces", pair("", "%s case=split-front" % PVTEST, []), OK,
             must=[CONNECTED, r"^\(vm1\) pvtest: result split-front pieces: 67 of 67 answered, 0 refused, the back end "
                   r"still there$", back_end("it is gone", 7, 67, 0)]
                  + pieces,
             must_not=NEVER + [r"^\(guest\) PANIC"], timeout=120),
        # Hostile front ends: after 4 good lines, the attack.
        hostile("backwards", r"4 of 4 answered, 0 refused, the back end let go",
                "its producer index moved backwards or past the ring" + dropped, (4, 4, 0)),
        hostile("past", r"4 of 4 answered, 0 refused, the back end let go",
                "its producer index moved backwards or past the ring" + dropped, (4, 4, 0)),
        hostile("length", r"6 of 6 answered, 1 refused, the back end still there", "it is gone", (5, 6, 1),
                must=[r"^guestos: console back end: vm1's request 4: length 121 past its 120 bytes, refused$",
                      r"^\[vm1\] pvtest: the line after$"], must_not=[r"LLLL"]),
        hostile("revoke", r"4 of 4 answered, 0 refused, the back end let go",
                "it revoked its page's grant" + dropped, (4, 4, 0)),
        # Lines that would be the driver VM's verdicts, a line that wraps
        # at the back end's 200 bytes just before a verdict, a CR before
        # one: every one tagged, none bare.
        hostile("forge", r"8 of 8 answered, 0 refused, the back end still there", "it is gone", (11, 8, 0),
                must=[r"^\[vm1\] TEST forged: ok$", r"^\[vm1\] POWEROFF 0$", r"^\[vm1\] x{200}$",
                      r"^\[vm1\] TEST wrapped: ok$", r"^\[vm1\] TEST carriage: ok$",
                      r"^\[vm1\] guestos: tests done: 9 passed, 0 failed$"],
                must_not=[r"^(\(guest\) )?TEST (forged|wrapped|carriage)", r"^(\(guest\) )?guestos: tests done: 9"]),
        # Hostile back ends (pvtest's split-back as vm0) against the guest
        # OS's front end: a response index past the requests, or no answer
        # at all; the front end falls back to console_io and its run goes on.
        back_attack("past", "the back end's response index moved backwards or past the requests"),
        back_attack("silent", "the driver VM answered nothing for 2000 ms"),
        # A flood of lines for 1 s: the driver VM's own test goes on
        # meanwhile (its lines among the flood's), not only after it.
        hostile("flood flood_ms=1000", r"(\d+) of \1 answered, 0 refused, the back end still there", "it is gone", (),
                driver=" test=syscall", driver_modules=program("syscall") + program("helper_hello"),
                must=[r"^TEST syscall: ok$", r"^\[vm1\] pvtest: flood over after \d+ lines$"],
                check=ordered(r"^guestos: pid \d+ \(syscall\): unknown system call 999$",
                              r"^\[vm1\] pvtest: flood over")),
    ]
