"""pv_grant_cases.py: grants between PV VMs (issue 20 point 1; lib/pv_abi.h
section 10, hv/pv/grant_table.c): two (or three) PV VMs on one machine,
vm0 running the granter's half of a pair of tests/kernels/pvtest cases
(cases_grant.c) and vm1 the grantee's. Friendly: a writable grant shared
(each sees the other's words) and revoked under the grantee (its next read
faults, its handle is stale), the frame held while mapped (no
decrease_reservation, no page-table pin) and free after; a read-only grant
never written. Hostile: every refusal with its status (refs never granted,
granted to vm2, out of range; domains out of range, itself; writable of
read-only; a frame not the granter's, a kept page, a page table writable;
addresses unaligned, present, without an L1, the hypervisor's; the grant's
entry changed or forged through the MMU calls; unmap at another address,
with a bad handle, twice); a grantee that powers off with the grant mapped
(the revocation still frees the frame) and a granter that powers off (its
frame stays usable until unmapped). Every run recounts direct paging at
each VM's shutdown (AT_SHUTDOWN), the grant mappings included, and none
may PANIC the hypervisor.
"""
from pv_cases import EBUSY, EFAULT, EINVAL, vm1, vm_pair

# Xen's GNTST_* (lib/pv_abi.h section 10).
BAD_DOMAIN, BAD_GNTREF, BAD_HANDLE, BAD_VIRT_ADDR = -2, -3, -4, -5
GENERAL, NO_SPACE, DENIED, BAD_PAGE = -1, -7, -8, -9
PF = 14


def stopped_before(first, then):
    """A check: the line first (a VM's power-off) comes before the line then."""
    import re

    def check(out):
        a, b = re.search(first, out, re.M), re.search(then, out, re.M)
        if not a or not b or a.start() > b.start():
            return "/%s/ does not come before /%s/" % (first, then)
        return None
    return check


def grant_cases():
    return [
        # Friendly.
        vm_pair("grant-share", "grant-give", "grant-take", [
            r"^pvtest: result give: granted 0, saw the mark 1, ack 1; unmapped 0; while mapped: decrease %d, "
            r"pin %d; end 0, again %d; then pin 0, unpin 0, decrease 1$" % (EBUSY, EINVAL, BAD_GNTREF),
            vm1(r"result take: mapped 0, read 0x6a6a0000, reply 1; after the revocation read vector %d \(in "
                r"time\), unmap %d, map %d$" % (PF, BAD_HANDLE, BAD_GNTREF))]),
        vm_pair("grant-read-only", "grant-give-ro", "grant-take-ro", [
            r"^pvtest: result give read-only: granted 0$",
            vm1(r"result take read-only: writable map %d, read-only map 0; read vector 4294967295 "
                r"\(0x[0-9a-f]+000\), write vector %d; made writable %d, cleared %d, write vector %d; unmap 0, "
                r"then read vector %d$" % (DENIED, PF, EBUSY, EBUSY, PF, PF))]),
        # Hostile.
        vm_pair("grant-bad", "grant-give-bad", "grant-take-bad", vms=3, must=[
            r"^pvtest: grant: not its own %d %d %d, page table %d, kept %d; to itself %d, domid 9 %d, self %d; "
            r"ref 32 %d, flags 1 %d$" % ((BAD_PAGE,) * 5 + (BAD_DOMAIN,) * 3 + (BAD_GNTREF, GENERAL)),
            r"^pvtest: call: cmd 99 %d, count 0 %d, count 17 %d, unmapped %d, read-only %d \(made so 0, then end "
            r"%d\)$" % (EINVAL, EINVAL, EINVAL, EFAULT, EFAULT, BAD_GNTREF),
            r"^pvtest: result give bad: end of ref 5 %d, of ref 32 %d; granted 0, twice %d, a table read-only 0, "
            r"to vm2 0$" % (BAD_GNTREF, BAD_GNTREF, BAD_GNTREF),
            vm1(r"map: writable %d; never granted %d, vm2's %d, ref 32 %d %d; dom itself %d, 7 %d, self %d; "
                r"twice %d; flags 1 %d; a call's buffer in it %d$"
                % ((DENIED,) + (BAD_GNTREF,) * 4 + (BAD_DOMAIN,) * 3 + (NO_SPACE, GENERAL, EFAULT))),
            vm1(r"map at: unaligned %d, a present page %d, no L1 %d, the hypervisor's %d; the table's read-only "
                r"grant writable %d$" % ((BAD_VIRT_ADDR,) * 4 + (DENIED,))),
            vm1(r"mmu: vm0's frame %d, a forged grant entry %d, through the fast path %d, in a table pinned %d "
                r"\(read-only 0\), the grant's entry writable %d, cleared %d$" % ((EINVAL,) * 4 + (EBUSY, EBUSY))),
            vm1(r"result take bad: read-only map 0 \(vm0's frame 0x[0-9a-f]+\); unmap at another address %d, "
                r"handle ~0 %d, of itself %d; unmap 0, twice %d$"
                % (BAD_VIRT_ADDR, BAD_HANDLE, BAD_HANDLE, BAD_HANDLE))]),
        vm_pair("grant-grantee-dies", "grant-give-dead", "grant-take-die", [
            vm1(r"result take and die: mapped 0$"),
            r"^pvtest: result give to the dead: granted 0, saw the mark 1, unmapped 0; decrease %d, end 0, "
            r"decrease 1$" % EBUSY],
             check=stopped_before(r"^hv: vm1: guest stopped: it powered off", r"^pvtest: result give to the dead")),
        vm_pair("grant-granter-dies", "grant-give-die", "grant-take-outlive", [
            r"^pvtest: result give and die: granted 0, saw the mark 1$",
            vm1(r"result outlive: mapped 0, read 0x6a6a0000, unmap 0, map again 0, read 0x7b7b0002, unmap 0$")],
             check=stopped_before(r"^hv: guest stopped: it powered off", r"^\(vm1\) pvtest: result outlive")),
    ]
