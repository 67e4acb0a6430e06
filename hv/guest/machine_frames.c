/*
 * machine_frames.c: the machine's frame table (64-bit, VMX root): see
 * machine_frames.h.
 */
#include "guest/machine_frames.h"
#include "mem/memory.h"
#include "pv_abi.h"
#include "string.h"

#define PAGE 4096ull

/* A frame's bytes: boot.S identity-maps [0, 4 GiB), and the table stops
 * there (machine_frames). */
static void *identity_frame(void *ctx, uint32_t mfn)
{
    (void)ctx;
    return (void *)((uint64_t)mfn * PAGE);
}

/* Frames up to the last page of RAM: the allocator's bitmaps run to the
 * memory map's top, 4 GiB when the firmware reserves its last pages (as
 * Bochs's BIOS does), but no VM ever owns a frame that is not RAM. A table
 * over all 4 GiB took 12 MiB and made every recount (pv_check.c) walk a
 * million frames for the 65,000 of a 256 MiB machine. */
static uint64_t ram_top(const struct pmm *p)
{
    for (uint64_t w = PMM_BITMAP_WORDS(p->npages); w--; )
        if (p->ram[w])
            return w * 64 + 64 - (uint64_t)__builtin_clzll(p->ram[w]);
    return 0;
}

struct dp_machine *machine_frames(void)
{
    static struct dp_machine machine;
    if (machine.frames)
        return &machine;
    uint64_t n = ram_top(&hv_pmm);
    if (n > PV_M2P_FRAMES)
        n = PV_M2P_FRAMES;
    if (n > IDENTITY_MAP_END / PAGE)
        n = IDENTITY_MAP_END / PAGE;
    uint64_t bytes = n * sizeof(struct dp_frame);
    uint64_t pages = (bytes + PAGE - 1) / PAGE;
    uint64_t pa = pmm_alloc_contiguous(&hv_pmm, pages, PAGE);
    if (!pa)
        return NULL;
    memset((void *)pa, 0, pages * PAGE);          /* DP_OWNER_NONE, DP_NONE, no count */
    machine = (struct dp_machine){ (struct dp_frame *)pa, (uint32_t)n, identity_frame, NULL };
    return &machine;
}

/* Frame f is an L1 of the VM's hypervisor slots, or in the run those map
 * (dp_vm.hv_run: the builder knows it; reading the L1s to learn it cost
 * 16 x 1024 entries a frame). */
static bool hv_reachable(const struct dp_vm *vm, uint64_t f)
{
    if (f - vm->hv_run < vm->hv_run_frames)     /* below the run: wraps, too far */
        return true;
    for (unsigned i = 0; i < DP_HV_SLOTS; i++)
        if ((vm->hv_pde[i] & 1) && f == vm->hv_pde[i] >> 12)
            return true;
    return false;
}

const void *machine_frames_hv_ptr(const struct dp_vm *vm, uint64_t ma, uint64_t len)
{
    if (ma + len < ma)
        return NULL;
    uint64_t first = ma / PAGE, last = len ? (ma + len - 1) / PAGE : first;
    for (uint64_t f = first; f <= last; f++)
        if (!hv_reachable(vm, f))
            return NULL;
    return (const void *)ma;
}

void *machine_frames_ptr(const struct dp_vm *vm, uint64_t ma, uint64_t len)
{
    const struct dp_machine *m = vm->m;
    if (!m || ma + len < ma)
        return NULL;
    uint64_t first = ma / PAGE, last = len ? (ma + len - 1) / PAGE : first;
    if (last >= m->nframes)
        return NULL;
    for (uint64_t f = first; f <= last; f++)
        if (m->frames[f].owner != vm->owner || vm->owner == DP_OWNER_NONE)
            return NULL;
    return (void *)ma;
}
