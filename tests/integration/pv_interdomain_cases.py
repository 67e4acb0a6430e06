"""pv_interdomain_cases.py: event channels between PV VMs (issue 20, lab 6's
notifications; lib/pv_abi.h section 6: alloc_unbound, bind_interdomain,
status; hv/pv/evtchn.c), two PV VMs on one machine running a pair of
tests/kernels/pvtest cases (cases_interdomain.c), vm0 the first of each pair.

Friendly: vm0 offers a port, vm1 binds to it and pings five times, vm0
answers each (each side's events counted), vm1 closes its end and vm0's is
offered to it again; a VM that powers off with a channel bound leaves its
peer's port unbound, with an event that wakes the peer from its block;
one VM's loopback channel. Hostile: every refusal (ports not offered to the
caller, offered to another, bound already, the console's, free, out of
range; domains that are not, or stopped; a port of another VM's offered;
an argument whose result cannot be written), and two VMs that block each
waiting for the other: the hypervisor stops both with the reason instead
of letting the machine run until the runner's timeout.
"""
from guest_cases import TYPED
from harness import HV, OK, Case
from pv_cases import EFAULT, EINVAL, ENOENT, ENOSYS, EPERM, ESRCH, NEVER, POWERED_OFF, PVTEST, result, vm1, vm_pair

# lib/pv_abi.h's PV_EVTCHNSTAT_*.
CLOSED, UNBOUND, INTERDOMAIN = 0, 1, 2


def interdomain_cases():
    return [
        vm_pair("evtchn-ping", "evtchn-ping-offer", "evtchn-ping-bind", [
            r"^pvtest: result offer: alloc 0 port 3 offered %d to 1; pings 5 answered 5; bound %d to 1 port 3; "
            r"after its close %d to 1; send 0$" % (UNBOUND, INTERDOMAIN, UNBOUND),
            vm1(r"result bind: 0 port 3 \(tried once\), pending at the bind 1, pongs 5; status %d to 0 port 3; "
                r"close 0, then status %d, send %d$" % (INTERDOMAIN, CLOSED, ENOENT))]),
        vm_pair("evtchn-peer-leaves", "evtchn-peer-waits", "evtchn-bind-and-leave", [
            vm1(r"result leave: bind 0 port 2$"),
            r"^pvtest: result waits: events 1, timer's not yet; then status %d to 1$" % UNBOUND]),
        result("evtchn-loopback", "loopback: alloc 0 port 3, bind 0 port 4; a's send 1 on b, b's send 1 on a; "
                                  "close b 0, a %d to 0" % UNBOUND),
        # Hostile.
        vm_pair("evtchn-interdomain-bad", "evtchn-interdomain-bad", "evtchn-offers", [
            r"^pvtest: result bad: bound 0 port 3; again {e}, not ours {e}, console {e}, free {e}, 0 {e}, 1024 {e}, "
            r"~0 {e}; dom 5 {s}, 0x7fef {s}; alloc for vm1 {p}, for dom 4 {s}, unwritable {f}, next port 4; "
            r"status 0 {e}, 1024 {e}, 600 0 {c}, unwritable {f}; cmd 7 {n}$".format(
                e=EINVAL, s=ESRCH, p=EPERM, f=EFAULT, c=CLOSED, n=ENOSYS),
            vm1(r"result offers: ports 3 4; events on them 0 2$")]),
        vm_pair("evtchn-deadlock", "evtchn-ping-offer", "evtchn-offers", [
            r"^hv: guest stopped: it waits for an event, and so does every other VM, with no timer, device or VM "
            r"left that could ever send one \(a deadlock between VMs\)$",
            r"^hv: vm1: guest stopped: it waits for an event, and so does every other VM"], stopped=True),
        # The console's port closed and its number reused: typed input fills the ring, no event on the new port.
        Case("pv-console-port-reused", ["--input", TYPED, "--module", PVTEST + " case=console-port-reused", HV,
                                        "--", "cpu=pv"], OK,
             must=[r"^INPUT ready$", r"^pvtest: result reused: close 0, alloc 0 port 1 \(the console's 1\); typed yes, "
                   r"then port 1 pending 0, events 0$", POWERED_OFF], must_not=NEVER, timeout=120),
    ]
