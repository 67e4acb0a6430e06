/*
 * guest_copy.c: a hypercall's pointer arguments, through the guest's own
 * tables (64-bit, VMX root). See guest_copy.h.
 *
 * The walk is the CPU's own (gpt_walk: 32-bit paging, the accessed and
 * dirty flags set as the CPU would, SDM vol. 3, 4.8), at the privilege of
 * the kernel that called (CPL 0: no PFEC_U) and, for a write, with PFEC_W.
 * Under direct paging nothing of it needs the VMCS: CR3 is the base pointer
 * the hypervisor validated (pv->base: every MOV to CR3 is its
 * NEW_BASEPTR), and CR0.WP and CR4.PSE are the hypervisor's and always 1
 * (vmcs_setup_direct.c's masks; WP: SDM 4.6.1), so a read-only entry
 * anywhere on the way refuses a write as it would refuse the kernel's own
 * MOV. Every table on the way, and the frame it ends in, is reached only
 * if the VM owns it (machine_frames_ptr, guest_ptr's rule under direct
 * paging): the M2P's pages and their L1 are mapped to the guest,
 * read-only, but are the hypervisor's, and not a hypercall's to read or
 * write. (A hypercall runs often: the walk that asks the VMCS for the
 * guest's CR0, CR4 and EFER, guest_cpu_walk_now, was half of a context
 * switch's NEW_BASEPTR.)
 */
#include "pv/guest_copy.h"
#include "guest/guest.h"
#include "guest/guest_paging.h"
#include "guest/machine_frames.h"
#include "pv/pv_domain.h"
#include "pv_abi.h"
#include "string.h"

static uint32_t *vm_table(void *dp, uint64_t ma)
{
    return machine_frames_ptr(dp, ma, PV_PAGE_SIZE);
}

/* The hypervisor's pointer to [linear, linear + len), within one page. */
static uint8_t *guest_page(struct vcpu *v, uint32_t linear, size_t len, bool write)
{
    struct gpt_walk w;
    const struct gpt_mem mem = { vm_table, &v->guest->dp };
    gpt_walk(&w, &mem, pv_of(v)->base << 12, linear, write ? PFEC_W : 0, GPT_WP | GPT_PSE);
    if (w.result != GPT_OK || (write && !w.writable))   /* the second: belt and braces */
        return NULL;
    return machine_frames_ptr(&v->guest->dp, w.gpa, len);
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

void guest_list_start(struct guest_list *l, struct vcpu *v, uint32_t at, uint32_t count, uint32_t size)
{
    /* Field by field: buf is filled as it is read, not zeroed first. */
    l->v = v, l->at = at, l->size = size, l->left = count;
    l->held = l->next = 0;
}

const void *guest_list_next(struct guest_list *l)
{
    if (l->next == l->held) {
        uint32_t n = (PV_PAGE_SIZE - (l->at & (PV_PAGE_SIZE - 1))) / l->size;   /* in this page */
        if (n > GUEST_LIST_BYTES / l->size)
            n = GUEST_LIST_BYTES / l->size;
        if (n > l->left)
            n = l->left;
        if (n == 0)
            n = 1;              /* one request across a page boundary: alone */
        if (copy_pages(l->v, l->at, l->buf, (size_t)n * l->size, false))
            return NULL;
        l->at += n * l->size, l->left -= n;
        l->held = n, l->next = 0;
    }
    return l->buf + l->next++ * l->size;
}
