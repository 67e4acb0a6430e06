/*
 * guest_copy.c: a hypercall's pointer arguments, through the guest's own
 * tables (64-bit, VMX root). See guest_copy.h.
 *
 * The walk is the CPU's own (guest_cpu_walk_now: 32-bit paging with the
 * guest's CR4.PSE, the accessed and dirty flags set as the CPU would, SDM
 * vol. 3, 4.8), at the privilege of the kernel that called (CPL 0: no
 * PFEC_U) and, for a write, with PFEC_W: CR0.WP is the hypervisor's and
 * always 1 (SDM 4.6.1), so a read-only entry anywhere on the way refuses it
 * as it would refuse the kernel's own MOV. The frame it ends in is then
 * reached through guest_ptr, which under direct paging takes only the VM's
 * own frames: the M2P's pages are mapped to the guest, read-only, but are
 * the hypervisor's, and not a hypercall's to read or write.
 */
#include "pv/guest_copy.h"
#include "guest/guest_linear.h"
#include "pv_abi.h"
#include "string.h"

/* The hypervisor's pointer to [linear, linear + len), within one page. */
static uint8_t *guest_page(struct vcpu *v, uint32_t linear, size_t len, bool write)
{
    struct gpt_walk w;
    guest_cpu_walk_now(v->guest, linear, write ? PFEC_W : 0, &w);
    if (w.result != GPT_OK || (write && !w.writable))   /* the second: belt and braces */
        return NULL;
    return guest_ptr(v->guest, w.gpa, len);
}

static int copy_pages(struct vcpu *v, uint32_t linear, uint8_t *buf, size_t len, bool write)
{
    if (len && (uint64_t)linear + len - 1 > 0xFFFFFFFFu)
        return -PV_EFAULT;              /* it would wrap at 4 GiB */
    while (len) {
        size_t chunk = 4096 - (linear & 0xFFF);
        if (chunk > len)
            chunk = len;
        uint8_t *p = guest_page(v, linear, chunk, write);
        if (!p)
            return -PV_EFAULT;
        if (write)
            memcpy(p, buf, chunk);
        else
            memcpy(buf, p, chunk);
        linear += (uint32_t)chunk, buf += chunk, len -= chunk;
    }
    return 0;
}

int copy_from_guest(struct vcpu *v, void *dst, uint32_t linear, size_t len)
{
    return copy_pages(v, linear, dst, len, false);
}

int copy_to_guest(struct vcpu *v, uint32_t linear, const void *src, size_t len)
{
    return copy_pages(v, linear, (uint8_t *)src, len, true);
}
