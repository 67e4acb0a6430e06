/*
 * direct_paging.c: Xen's direct paging, the PV MMU of cpu=pv (lab 5). The
 * CPU walks the guest's own page tables (no EPT, no shadow below them), so
 * every entry is validated here before it takes effect: lib/pv_abi.h's
 * section 5 holds the rules, direct_paging.h the calls. Pure: no hardware,
 * no panic; the host unit test (tests/unit/test_direct_paging.c) and the
 * fuzzer (tests/fuzz/fuzz_direct_paging.c) run it as it is.
 *
 * The design is Xen's (xen/arch/x86/mm.c), cut down to 32-bit paging:
 *   - every machine frame has an owner, a count of references and a TYPE
 *     with a count of type references (struct dp_frame, Xen's page_info);
 *   - get_page/put_page take and drop a reference, get_page_type/
 *     put_page_type a type reference; a frame changes type only when its
 *     type count is 0, so it is never a page table and writable at once;
 *   - a frame becomes an L1 or L2 by validating every entry it holds (each
 *     entry takes the references it needs), and stops being one when its
 *     last type reference goes, by dropping what every entry took.
 * The entries are 32-bit paging's (SDM vol. 3, 4.3, tables 4-4 to 4-6).
 */
#include "guest/direct_paging.h"
#include "guest/guest_paging.h"
#include "pv_abi.h"

#define ENTRIES 1024u
#define ENTRY_MFN(e) ((e) >> 12)

/* A 4 MiB page (a PDE with PS, CR4.PSE being 1 under cpu=pv): its frames. */
#define PDE_4M_FIRST_MFN(e) (((e) >> 22) << 10)
#define FRAMES_4M 1024u

/* The bits an entry may change without being validated again (Xen's
 * FASTPATH_FLAG_WHITELIST): they take or drop no reference. RW is not one:
 * XSA-182 was Xen's fast path letting a guest set RW on an entry without
 * the checks a writable mapping needs. */
#define FAST_PATH_BITS (GPTE_A | GPTE_D | GPTE_G | GPTE_U | 0xE00u /* AVL */)

/* A grant's L1 entry (lib/pv_abi.h section 10): present, marked. Only
 * dp_grant_map writes one: the guest's entries never carry the mark
 * (get_entry, dp_mmu_update). */
static bool is_grant(uint32_t e)
{
    return (e & (GPTE_P | PV_GNTTAB_PTE)) == (GPTE_P | PV_GNTTAB_PTE);
}

static struct dp_frame *frame(const struct dp_vm *vm, uint32_t mfn)
{
    return &vm->m->frames[mfn];
}

static uint32_t *table(const struct dp_vm *vm, uint32_t mfn)
{
    return vm->m->frame_ptr(vm->m->ctx, mfn);
}

/* The first rule: a VM touches only its own frames (and a dp_vm without an
 * owner id owns nothing, the hypervisor's frames least of all). */
static bool owns(const struct dp_vm *vm, uint32_t mfn)
{
    return vm->owner != DP_OWNER_NONE && mfn < vm->m->nframes && vm->m->frames[mfn].owner == vm->owner;
}

/* Xen's get_page and put_page: a reference to a frame of the VM's. */
static int get_page(struct dp_vm *vm, uint32_t mfn)
{
    if (!owns(vm, mfn))
        return -PV_EINVAL;
    frame(vm, mfn)->refs++;
    return 0;
}

static void put_page(struct dp_vm *vm, uint32_t mfn)
{
    frame(vm, mfn)->refs--;
}

static int validate_table(struct dp_vm *vm, uint32_t mfn, enum dp_type type);
static void release_table(struct dp_vm *vm, uint32_t mfn, enum dp_type type);

/* LAB 5 BEGIN: a frame's type and its count */
/* Xen's get_page_type: one more use of the frame as type. A frame with no
 * type takes it (a table only once every entry it holds is validated); a
 * frame of another type refuses: never a table and writable at once, never
 * an L2 used as an L1. The type is set while the entries are validated, so
 * that an entry mapping the table itself writable is refused too. */
static int get_page_type(struct dp_vm *vm, uint32_t mfn, enum dp_type type)
{
    struct dp_frame *f = frame(vm, mfn);
    if (f->type_count > 0) {
        if (f->type != type)
            return -PV_EINVAL;
        f->type_count++;
        return 0;
    }
    f->type = (uint8_t)type;
    f->type_count = 1;
    int rc = validate_table(vm, mfn, type);
    if (rc) {
        f->type = DP_NONE;
        f->type_count = 0;
    }
    return rc;
}

/* Xen's put_page_type: the last use of a table releases it. */
static void put_page_type(struct dp_vm *vm, uint32_t mfn)
{
    struct dp_frame *f = frame(vm, mfn);
    if (--f->type_count > 0)
        return;
    release_table(vm, mfn, f->type);
    f->type = DP_NONE;
}
/* LAB 5 END */

static int get_page_and_type(struct dp_vm *vm, uint32_t mfn, enum dp_type type)
{
    int rc = get_page(vm, mfn);
    if (rc)
        return rc;
    rc = get_page_type(vm, mfn, type);
    if (rc)
        put_page(vm, mfn);
    return rc;
}

static void put_page_and_type(struct dp_vm *vm, uint32_t mfn)
{
    put_page_type(vm, mfn);
    put_page(vm, mfn);
}

/* Frame i of a 4 MiB page, as the PTE that would map it with its rights. */
static uint32_t superpage_frame_pte(uint32_t pde, uint32_t i)
{
    return (PDE_4M_FIRST_MFN(pde) + i) << 12 | (pde & (GPTE_P | GPTE_W));
}

/* LAB 5 BEGIN: validate one entry of an L1 or an L2 */
/* Xen's get_page_from_l1e: what a PTE takes (SDM 4.3, table 4-6). Not
 * present: nothing, the CPU ignores its other bits. Present: a reference to
 * a frame of the VM's; writable, a writable type reference too, which a
 * table refuses. A read-only mapping of the VM's own tables is allowed: it
 * is how the guest reads them. */
static int get_l1e(struct dp_vm *vm, uint32_t pte)
{
    if (!(pte & GPTE_P))
        return 0;
    if (pte & GPTE_W)
        return get_page_and_type(vm, ENTRY_MFN(pte), DP_WRITABLE);
    return get_page(vm, ENTRY_MFN(pte));
}

static void put_l1e(struct dp_vm *vm, uint32_t pte)
{
    if (!(pte & GPTE_P))
        return;
    if (pte & GPTE_W)
        put_page_and_type(vm, ENTRY_MFN(pte));
    else
        put_page(vm, ENTRY_MFN(pte));
}

/* A 4 MiB page: reserved bits clear, then each of its 1024 frames taken as
 * a PTE would take it: the VM's, and when the page is writable, no table.
 * Xen's XSA-148: a superpage over a page table makes the table writable. */
static int get_superpage(struct dp_vm *vm, uint32_t pde)
{
    if (pde & DP_PDE_4M_RESERVED)
        return -PV_EINVAL;
    for (uint32_t i = 0; i < FRAMES_4M; i++) {
        int rc = get_l1e(vm, superpage_frame_pte(pde, i));
        if (rc) {
            while (i-- > 0)
                put_l1e(vm, superpage_frame_pte(pde, i));
            return rc;
        }
    }
    return 0;
}

static void put_superpage(struct dp_vm *vm, uint32_t pde)
{
    for (uint32_t i = 0; i < FRAMES_4M; i++)
        put_l1e(vm, superpage_frame_pte(pde, i));
}

/* Xen's get_page_from_l2e: what a PDE in a guest slot takes (SDM 4.3,
 * tables 4-4 and 4-5). A page table must be a frame of the VM's used as an
 * L1 (validated now if it was no table), never an L2: an L2 in an L2 is a
 * "linear" page table, through which the guest would write directory
 * entries as data (Xen allowed them; XSA-240 is what that cost). */
static int get_l2e(struct dp_vm *vm, uint32_t pde)
{
    if (!(pde & GPTE_P))
        return 0;
    if (pde & GPTE_PS)
        return get_superpage(vm, pde);
    return get_page_and_type(vm, ENTRY_MFN(pde), DP_L1);
}

static void put_l2e(struct dp_vm *vm, uint32_t pde)
{
    if (!(pde & GPTE_P))
        return;
    if (pde & GPTE_PS)
        put_superpage(vm, pde);
    else
        put_page_and_type(vm, ENTRY_MFN(pde));
}
/* LAB 5 END */

static int get_entry(struct dp_vm *vm, enum dp_type level, uint32_t e)
{
    if (level == DP_L1 && is_grant(e))
        return -PV_EINVAL;          /* a grant's mark, forged (in a table being validated too) */
    return level == DP_L2 ? get_l2e(vm, e) : get_l1e(vm, e);
}

static void put_entry(struct dp_vm *vm, enum dp_type level, uint32_t e)
{
    if (level == DP_L2)
        put_l2e(vm, e);
    else
        put_l1e(vm, e);
}

/* The slots of a table that are the guest's: all of an L1's; an L2's below
 * the hypervisor's (PV_HYPERVISOR_VIRT and up). */
static unsigned guest_slots(enum dp_type level)
{
    return level == DP_L2 ? DP_FIRST_HV_SLOT : ENTRIES;
}

/* The first present entry of t[i, end), or end. A not-present entry takes
 * nothing (the CPU ignores its other bits), and most of a table is empty:
 * a pin or an unpin is a walk over 1024 entries, so eight at a time, ORed
 * (no P bit among them: none present), then one by one. */
static unsigned next_present(const uint32_t *t, unsigned i, unsigned end)
{
    while (i + 8 <= end && !((t[i] | t[i + 1] | t[i + 2] | t[i + 3] | t[i + 4] | t[i + 5] | t[i + 6] |
                               t[i + 7]) & GPTE_P))
        i += 8;
    while (i < end && !(t[i] & GPTE_P))
        i++;
    return i;
}

/* LAB 5 BEGIN: a table's entries taken on its way in, dropped on its way out */
/* Xen's alloc_l1_table / alloc_l2_table: every entry validated, or none:
 * the first one refused gives back what those before it took. An L2 then
 * gets the hypervisor's slots, whatever the guest left in them. */
static int validate_table(struct dp_vm *vm, uint32_t mfn, enum dp_type type)
{
    if (type != DP_L1 && type != DP_L2)
        return 0;
    uint32_t *t = table(vm, mfn);
    unsigned n = guest_slots(type);
    for (unsigned i = next_present(t, 0, n); i < n; i = next_present(t, i + 1, n)) {
        int rc = get_entry(vm, type, t[i]);
        if (rc) {
            while (i-- > 0)
                put_entry(vm, type, t[i]);
            return rc;
        }
    }
    if (type == DP_L2)
        for (unsigned i = 0; i < DP_HV_SLOTS; i++)
            t[DP_FIRST_HV_SLOT + i] = vm->hv_pde[i];
    return 0;
}

/* Xen's free_l1_table / free_l2_table: every entry's references dropped.
 * The TLB may still hold what the table mapped: flush. */
static void release_table(struct dp_vm *vm, uint32_t mfn, enum dp_type type)
{
    if (type != DP_L1 && type != DP_L2)
        return;
    const uint32_t *t = table(vm, mfn);
    unsigned n = guest_slots(type);
    for (unsigned i = next_present(t, 0, n); i < n; i = next_present(t, i + 1, n))
        put_entry(vm, type, t[i]);
    vm->flush = true;
}
/* LAB 5 END */

/* Does replacing old by new take a right away (SDM 4.10.4: the TLB keeps
 * the old translation until flushed)? A present entry removed, pointed
 * elsewhere, turned into or out of a 4 MiB page, or losing RW or U/S. */
static bool weakens(uint32_t old, uint32_t new)
{
    if (!(old & GPTE_P))
        return false;
    if (!(new & GPTE_P) || GPTE_ADDR(old) != GPTE_ADDR(new) || ((old ^ new) & GPTE_PS))
        return true;
    return (old & ~new & (GPTE_W | GPTE_U)) != 0;
}

/* Both present, the same frame, only bits that take no reference changed. */
static bool fast_path(uint32_t old, uint32_t new)
{
    return (old & new & GPTE_P) && ((old ^ new) & ~FAST_PATH_BITS) == 0;
}

/* LAB 5 BEGIN: one entry rewritten */
/* Xen's mod_l1_entry / mod_l2_entry: the new entry's references are taken
 * before the old one's are dropped, so that rewriting an entry with the
 * same frame never lets a count reach 0 in between. */
static int update_entry(struct dp_vm *vm, enum dp_type level, uint32_t *e, uint32_t new)
{
    uint32_t old = *e;
    if (!fast_path(old, new)) {
        int rc = get_entry(vm, level, new);
        if (rc)
            return rc;
        put_entry(vm, level, old);
    }
    *e = new;
    if (weakens(old, new))
        vm->flush = true;
    return 0;
}
/* LAB 5 END */

/* A call that fails changes nothing: its rollbacks undo every count, and a
 * table validated and released again inside it was never walked by the
 * CPU, so the flush that release asked for is not needed either. */
static int unless_failed(struct dp_vm *vm, bool flush_before, int rc)
{
    if (rc)
        vm->flush = flush_before;
    return rc;
}

int dp_claim(struct dp_vm *vm, uint32_t mfn)
{
    if (mfn >= vm->m->nframes || mfn >= PV_M2P_FRAMES)
        return -PV_EINVAL;
    struct dp_frame *f = frame(vm, mfn);
    if (f->owner != DP_OWNER_NONE || f->refs || f->type_count || f->flags)
        return -PV_EBUSY;
    f->owner = vm->owner;
    return 0;
}

/* Every use of a frame holds a reference (a type reference comes with one),
 * so a frame with none is mapped by nothing, is no table, and is not kept. */
int dp_release(struct dp_vm *vm, uint32_t mfn)
{
    if (!owns(vm, mfn))
        return -PV_EINVAL;
    if (frame(vm, mfn)->refs)
        return -PV_EBUSY;
    frame(vm, mfn)->owner = DP_OWNER_NONE;
    return 0;
}

int dp_keep(struct dp_vm *vm, uint32_t mfn)
{
    if (!owns(vm, mfn))
        return -PV_EINVAL;
    if (frame(vm, mfn)->flags & DP_KEEP)
        return -PV_EEXIST;
    int rc = get_page_and_type(vm, mfn, DP_WRITABLE);
    if (rc == 0)
        frame(vm, mfn)->flags |= DP_KEEP;
    return rc;
}

/* A keep or a pin given back: its flag, its reference and its type
 * reference go (the table released if that was its last use). */
static int drop_hold(struct dp_vm *vm, uint32_t mfn, uint16_t hold)
{
    if (!owns(vm, mfn) || !(frame(vm, mfn)->flags & hold))
        return -PV_EINVAL;
    frame(vm, mfn)->flags &= (uint16_t)~hold;
    put_page_and_type(vm, mfn);
    return 0;
}

int dp_unkeep(struct dp_vm *vm, uint32_t mfn)
{
    return drop_hold(vm, mfn, DP_KEEP);
}

int dp_mmu_update(struct dp_vm *vm, uint32_t ptr, uint32_t val)
{
    uint32_t mfn = ptr >> 12, slot = (ptr & 0xFFFu) / 4;
    if ((ptr & 3) || !owns(vm, mfn))
        return -PV_EINVAL;
    enum dp_type level = frame(vm, mfn)->type;
    if (level != DP_L1 && level != DP_L2)
        return -PV_EINVAL;          /* not a table in use: the guest writes it itself */
    if (level == DP_L2 && slot >= DP_FIRST_HV_SLOT)
        return val == 0 ? 0 : -PV_EINVAL;   /* the hypervisor's: a 0 written changes nothing */
    /* A grant's entry is unmap_grant_ref's to remove; the mark is never
       the guest's to write, not even through the fast path (an AVL bit). */
    if (level == DP_L1 && is_grant(table(vm, mfn)[slot]))
        return -PV_EBUSY;
    if (level == DP_L1 && is_grant(val))
        return -PV_EINVAL;
    bool flush = vm->flush;
    return unless_failed(vm, flush, update_entry(vm, level, table(vm, mfn) + slot, val));
}

int dp_pin(struct dp_vm *vm, uint32_t mfn, enum dp_type level)
{
    if ((level != DP_L1 && level != DP_L2) || !owns(vm, mfn))
        return -PV_EINVAL;
    struct dp_frame *f = frame(vm, mfn);
    if (f->flags & DP_PINNED)
        return f->type == level ? -PV_EEXIST : -PV_EINVAL;
    bool flush = vm->flush;
    int rc = unless_failed(vm, flush, get_page_and_type(vm, mfn, level));
    if (rc == 0)
        f->flags |= DP_PINNED;
    return rc;
}

int dp_unpin(struct dp_vm *vm, uint32_t mfn)
{
    return drop_hold(vm, mfn, DP_PINNED);
}

int dp_set_base(struct dp_vm *vm, uint32_t *base, uint32_t new_mfn)
{
    bool flush = vm->flush;
    int rc = unless_failed(vm, flush, get_page_and_type(vm, new_mfn, DP_L2));
    if (rc)
        return rc;
    if (*base != PV_INVALID_MFN)
        put_page_and_type(vm, *base);
    *base = new_mfn;
    return 0;
}

/* The machine address of the L1 entry mapping va under the directory base
 * (an L2 of the VM's in use, whose entry for va names an L1), or 0. */
static uint32_t va_entry(const struct dp_vm *vm, uint32_t base, uint32_t va)
{
    if (!owns(vm, base) || frame(vm, base)->type != DP_L2)
        return 0;
    /* The hypervisor's slots name its own tables: the callers refuse them
       as no frame of the VM's. */
    uint32_t pde = table(vm, base)[va >> 22];
    if (!(pde & GPTE_P) || (pde & GPTE_PS))
        return 0;                   /* no L1 maps va */
    return GPTE_ADDR(pde) | ((va >> 12) & (ENTRIES - 1)) * 4;
}

int dp_update_va(struct dp_vm *vm, uint32_t base, uint32_t va, uint32_t pte)
{
    uint32_t ma = va_entry(vm, base, va);
    return ma ? dp_mmu_update(vm, ma, pte) : -PV_EINVAL;
}

/* The entry at machine address ma, if it is in an L1 of the VM's in use. */
static uint32_t *l1_entry(const struct dp_vm *vm, uint32_t ma)
{
    uint32_t mfn = ma >> 12;
    if (!ma || !owns(vm, mfn) || frame(vm, mfn)->type != DP_L1 || !frame(vm, mfn)->type_count)
        return NULL;
    return table(vm, mfn) + (ma & 0xFFFu) / 4;
}

/* The references are the owner's to give (get_l1e as the owner would map
 * the frame); the entry is the grantee's. */
int dp_grant_map(struct dp_vm *vm, uint32_t base, uint32_t va, struct dp_vm *owner, uint32_t pte,
                 uint32_t *entry_ma)
{
    uint32_t ma = va_entry(vm, base, va), *e = l1_entry(vm, ma);
    if (!e || !(pte & GPTE_P))
        return -PV_EINVAL;
    if (*e & GPTE_P)
        return -PV_EEXIST;
    int rc = get_l1e(owner, pte & ~PV_GNTTAB_PTE);
    if (rc)
        return rc;
    *e = pte | PV_GNTTAB_PTE;
    *entry_ma = ma;
    return 0;
}

/* put_l1e drops a reference of any frame (the counts are the machine's). */
int dp_grant_unmap(struct dp_vm *vm, uint32_t entry_ma, uint32_t pte)
{
    uint32_t *e = l1_entry(vm, entry_ma);
    uint32_t same = ~(GPTE_A | GPTE_D);
    if ((entry_ma & 3) || !e || !is_grant(*e) || ((*e ^ (pte | PV_GNTTAB_PTE)) & same))
        return -PV_ENOENT;
    put_l1e(vm, *e);
    *e = 0;
    vm->flush = true;
    return 0;
}
