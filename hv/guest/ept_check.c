/*
 * ept_check.c: what is wrong with an EPT (64-bit, VMX root operation).
 *
 * A VM exit for an EPT misconfiguration (basic reason 49) says only which
 * guest-physical address the walk failed at (SDM 28.2.1, 29.3.3.1): this
 * file walks the tables to that address again, names the entry that breaks
 * a rule of 29.3.3.1, and stops the guest with it. It also gives vmcheck=1
 * its warning about guest RAM that is not write-back: legal, so the VM
 * entry goes through, but every guest access then bypasses the caches.
 */
#include "guest/ept_check.h"
#include <stddef.h>
#include "guest/vcpu.h"
#include "guest/guest.h"
#include "poweroff.h"
#include "printf.h"
#include "vmx/vmcs.h"

#define EPT_PAGE_SIZE_BIT (1ull << 7)     /* a PDPTE or PDE that maps a page (29.3.2) */
#define EPT_CAP_EXECUTE_ONLY 1ull         /* IA32_VMX_EPT_VPID_CAP bit 0 (A.10) */
#define MEMTYPE_WB        (EPT_MEMTYPE_WB >> EPT_MEMTYPE_SHIFT)

static const char *const level_names[EPT_LEVELS + 1] = { "", "PTE", "PDE", "PDPTE", "PML4E" };

/* Leaf memory types (SDM 29.3.7, table 11-2): 2, 3 and 7 are reserved. */
static const char *memtype_name(unsigned type)
{
    static const char *const names[8] = { "UC", "WC", "reserved", "reserved", "WT", "WP", "WB", "reserved" };
    return names[type & 7];
}

static bool ept_present(uint64_t entry)
{
    return entry & EPT_RWX;                /* any of bits 2:0 (29.3.2) */
}

static bool ept_leaf(uint64_t entry, unsigned level)
{
    return level == 1 || ((level == 2 || level == 3) && (entry & EPT_PAGE_SIZE_BIT));
}

/* The bits 29.3.3.1 reserves in a present entry at this level, below
 * MAXPHYADDR: 7:3 in a PML4E, 6:3 in a PDPTE or PDE that points to a table,
 * 29:12 in a PDPTE that maps 1 GiB, 20:12 in a PDE that maps 2 MiB. */
static uint64_t reserved_low_bits(uint64_t entry, unsigned level)
{
    if (level == 4)
        return 0xF8;
    if (level == 1)
        return 0;
    if (!(entry & EPT_PAGE_SIZE_BIT))
        return 0x78;
    return level == 3 ? 0x3FFFF000ull : 0x1FF000ull;
}

const char *ept_entry_misconfiguration(uint64_t entry, unsigned level, unsigned maxphyaddr,
                                       uint64_t ept_vpid_cap)
{
    if (!ept_present(entry))
        return NULL;
    if ((entry & (EPT_READ | EPT_WRITE)) == EPT_WRITE)
        return "write permission without read (bit 1 set, bit 0 clear)";
    if ((entry & EPT_RWX) == EPT_EXECUTE && !(ept_vpid_cap & EPT_CAP_EXECUTE_ONLY))
        return "execute-only, which this CPU does not support (IA32_VMX_EPT_VPID_CAP bit 0 is 0)";
    if (entry & (~0ull << maxphyaddr) & ((1ull << 52) - 1))
        return "an address bit above MAXPHYADDR set (bits 51:MAXPHYADDR are reserved)";
    if (entry & reserved_low_bits(entry, level))
        return level == 4 ? "a reserved bit set (bits 7:3 of a PML4E)"
             : level == 1 || (entry & EPT_PAGE_SIZE_BIT) ? "a reserved bit set (in the page's address: it is not aligned)"
             : "a reserved bit set (bits 6:3 of an entry that points to a table)";
    if (ept_leaf(entry, level)) {
        unsigned type = (entry >> EPT_MEMTYPE_SHIFT) & 7;
        if (type == 2 || type == 3 || type == 7)
            return "a reserved memory type in bits 5:3 (2, 3 and 7 are reserved; 6 is write-back)";
    }
    return NULL;
}

unsigned ept_walk(const struct ept *e, uint64_t gpa, uint64_t entries[EPT_LEVELS])
{
    const uint64_t *table = (const uint64_t *)e->pml4_pa;
    unsigned n = 0;
    for (unsigned level = EPT_LEVELS; level >= 1; level--) {
        uint64_t entry = table[(gpa >> (12 + 9 * (level - 1))) & 511];
        entries[n++] = entry;
        if (!ept_present(entry) || ept_leaf(entry, level))
            break;
        table = (const uint64_t *)(entry & EPT_ADDR_MASK);
    }
    return n;
}

/* The table at table_pa, of `level`, whose first entry maps gpa. */
static void visit_table(const struct ept_visitor *visit, uint64_t table_pa, unsigned level, uint64_t gpa)
{
    const uint64_t *table = (const uint64_t *)table_pa;
    uint64_t span = 1ull << (12 + 9 * (level - 1));       /* what one entry maps */
    visit->table(visit->ctx, table_pa);
    for (unsigned i = 0; i < 512; i++) {
        uint64_t entry = table[i];
        if (!ept_present(entry))
            continue;
        if (ept_leaf(entry, level))
            visit->leaf(visit->ctx, gpa + i * span, entry & EPT_ADDR_MASK & ~(span - 1), span);
        else
            visit_table(visit, entry & EPT_ADDR_MASK, level - 1, gpa + i * span);
    }
}

void ept_visit(const struct ept *e, const struct ept_visitor *visit)
{
    visit_table(visit, e->pml4_pa, EPT_LEVELS, 0);
}

void ept_misconfiguration_stop(struct vcpu *v)
{
    uint64_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS), entries[EPT_LEVELS];
    unsigned n = ept_walk(&v->guest->ept, gpa, entries);
    printf("hv: %sEPT walk of guest-physical 0x%lx:", v->guest->tag, gpa);
    for (unsigned i = 0; i < n; i++)
        printf(" %s=0x%lx", level_names[EPT_LEVELS - i], entries[i]);
    printf("\n");
    for (unsigned i = 0; i < n; i++) {
        unsigned level = EPT_LEVELS - i;
        const char *why = ept_entry_misconfiguration(entries[i], level, v->caps->phys_addr_width,
                                                     v->caps->ept_vpid);
        if (why) {
            guest_stop(v, POWEROFF_GUEST_STOPPED, "EPT misconfiguration at guest-physical 0x%lx: the "
                       "%s (level %u) 0x%lx has %s (SDM 29.3.3.1): fix the EPT entries hv/guest/ept.c "
                       "writes", gpa, level_names[level], level,
                       entries[i], why);
            return;
        }
    }
    guest_stop(v, POWEROFF_GUEST_STOPPED, "EPT misconfiguration at guest-physical 0x%lx, but no entry "
               "on the walk to it breaks a rule of SDM 29.3.3.1 that the hypervisor knows",
               gpa);
}

/* The leaf memory type that maps gpa, or -1 if the walk finds no leaf. */
static int leaf_memory_type(const struct ept *e, uint64_t gpa)
{
    uint64_t entries[EPT_LEVELS];
    unsigned n = ept_walk(e, gpa, entries);
    uint64_t leaf = entries[n - 1];
    return ept_present(leaf) && ept_leaf(leaf, EPT_LEVELS - n + 1) ? (int)((leaf >> EPT_MEMTYPE_SHIFT) & 7) : -1;
}

/* The warning for guest-physical start..end-1, all of memory type `type`
 * (-1: not mapped), if it is not write-back; returns whether it warned. */
static bool warn_memory_type(uint64_t start, uint64_t end, int type)
{
    if (type < 0 || type == MEMTYPE_WB)
        return false;
    printf("hv: VM-entry check: warning: SDM 29.3.7 (EPT and Memory Typing): guest RAM should be "
           "write-back (6) in the EPT [guest-physical 0x%lx-0x%lx has memory type %d (%s)]: a "
           "legal VM entry, but %s\n", start, end - 1, type,
           memtype_name((unsigned)type), type == 2 || type == 3 || type == 7
           ? "the first access there is an EPT misconfiguration (SDM 29.3.3.1)"
           : "every guest access there bypasses the caches: on real hardware the guest runs many times slower");
    return true;
}

unsigned ept_warn_memory_types(const struct ept *e, uint64_t ram_size)
{
    unsigned warned = 0;
    uint64_t start = 0;
    int type = leaf_memory_type(e, 0);
    for (uint64_t gpa = 0x1000; gpa <= ram_size; gpa += 0x1000) {
        int next = gpa < ram_size ? leaf_memory_type(e, gpa) : -2;
        if (next == type)
            continue;
        warned += warn_memory_type(start, gpa, type);
        start = gpa, type = next;
    }
    return warned;
}
