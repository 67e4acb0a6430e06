/*
 * fuzz_guest_paging_pae.c: hv/guest/guest_paging_pae.c, the software walk
 * of the guest's PAE and 4-level page tables (string I/O's walk under EPT,
 * and the debugger's), on page tables the fuzzer writes.
 *
 * Input: CR3 (8 bytes), the linear address (8), the access (1: PFEC_W,
 * PFEC_U, PFEC_I), the controls (2: the GPT_* bits), the mode (1: bit 0
 * 4-level, bit 1 PDPTEs given as the CPU's), MAXPHYADDR (1, made 32..52),
 * the four PDPTEs (32), then the contents of a guest of PAGES pages of RAM
 * (repeated to fill them), each page a heap block of its own so that a
 * walk that indexes past a table is caught. Checked, as SDM vol. 3, 4.4-4.8
 * say a CPU behaves:
 *   - a fault or a bad table changes no guest memory; a fault's error code
 *     is the access's (I/D only with NXE or SMEP), plus P for a reserved
 *     bit (with RSVD) or a protection violation;
 *   - a bad table names an address outside guest RAM; only a 4-level walk
 *     finds a linear address non-canonical, and only one that is;
 *   - a translation keeps the offset in its page, grants what the access
 *     asked for (a user access a user page, a write a writable one unless
 *     a supervisor write with CR0.WP clear, a fetch an executable one),
 *     uses present entries with no bit above MAXPHYADDR, and changes
 *     guest memory only by setting accessed and dirty flags (none for an
 *     observer), the leaf's dirty flag on a write;
 *   - an observer's walk (GPT_OBSERVE) first gives the same answer.
 */
#include "fuzz.h"
#include "guest/guest_paging_pae.h"

#define PAGES 4
#define PAGE_ENTRIES 512

static uint64_t *ram[PAGES];
static uint64_t before[PAGES][PAGE_ENTRIES];

static uint32_t *table(void *ctx, uint64_t gpa)
{
    (void)ctx;
    FUZZ_CHECK((gpa & 0xFFF) == 0, "a table at 0x%llx, not page-aligned", (unsigned long long)gpa);
    return gpa < PAGES * 4096ull ? (uint32_t *)(void *)ram[gpa / 4096] : NULL;
}

static const struct gpt_mem mem = { table, NULL };

/* Guest memory is as it was, but for the flags in `allowed` (0: none). */
static void check_memory(uint64_t allowed)
{
    unsigned changed = 0;
    for (unsigned p = 0; p < PAGES; p++) {
        if (memcmp(ram[p], before[p], 4096) == 0)
            continue;
        for (unsigned i = 0; i < PAGE_ENTRIES; i++) {
            uint64_t diff = ram[p][i] ^ before[p][i];
            FUZZ_CHECK((diff & ~allowed) == 0 && (ram[p][i] & diff) == diff,
                       "entry %u of page %u went from 0x%llx to 0x%llx", i, p,
                       (unsigned long long)before[p][i], (unsigned long long)ram[p][i]);
            changed += diff != 0;
        }
    }
    FUZZ_CHECK(changed <= 4, "%u entries changed by one walk", changed);
}

static void check_walk(const struct gpt_pae_walk *w, const struct gpt_pae_regs *r, uint64_t va,
                       uint32_t access)
{
    uint32_t reported = access & ((r->ctl & (GPT_NXE | GPT_SMEP)) ? ~0u : ~PFEC_I);
    switch (w->result) {
    case GPT_FAULT:
        FUZZ_CHECK((w->error_code & ~(PFEC_P | PFEC_RSVD)) == reported &&
                   (!(w->error_code & PFEC_RSVD) || (w->error_code & PFEC_P)),
                   "error code 0x%x for access 0x%x", w->error_code, access);
        check_memory(0);
        break;
    case GPT_BAD_TABLE:
        FUZZ_CHECK(w->bad_gpa >= PAGES * 4096ull, "a bad table at 0x%llx, inside guest RAM",
                   (unsigned long long)w->bad_gpa);
        check_memory(0);
        break;
    case GPT_NONCANONICAL:
        FUZZ_CHECK(r->levels == GPT_4LEVEL && (va >> 47) != 0 && (va >> 47) != 0x1FFFF,
                   "0x%llx found non-canonical", (unsigned long long)va);
        check_memory(0);
        break;
    case GPT_OK:
        FUZZ_CHECK(w->page_size == 4096 || w->page_size == 2u << 20 || w->page_size == 1u << 30,
                   "page size 0x%llx", (unsigned long long)w->page_size);
        FUZZ_CHECK((w->gpa & (w->page_size - 1)) == (va & (w->page_size - 1)), "va 0x%llx translated to 0x%llx",
                   (unsigned long long)va, (unsigned long long)w->gpa);
        FUZZ_CHECK(w->gpa >> r->maxphyaddr == 0, "gpa 0x%llx beyond MAXPHYADDR %u",
                   (unsigned long long)w->gpa, r->maxphyaddr);
        FUZZ_CHECK(!(access & PFEC_U) || w->user, "a user access granted a supervisor page");
        FUZZ_CHECK(!(access & PFEC_W) || w->writable || (!(access & PFEC_U) && !(r->ctl & GPT_WP)),
                   "a write granted a read-only page (access 0x%x, controls 0x%x)", access, r->ctl);
        FUZZ_CHECK(!(access & PFEC_I) || w->executable, "a fetch granted an execute-disabled page");
        FUZZ_CHECK(w->used >= 1 && w->used <= (unsigned)r->levels, "%u entries used", w->used);
        uint64_t above = (~0ull << r->maxphyaddr) & ((1ull << 52) - 1);   /* bits 51:M */
        for (unsigned i = 0; i < w->used; i++)
            FUZZ_CHECK((w->entry[i] & GPTE_P) && !(w->entry[i] & above), "entry %u (0x%llx) used", i,
                       (unsigned long long)w->entry[i]);
        if (r->ctl & GPT_OBSERVE) {
            check_memory(0);
        } else {
            FUZZ_CHECK(!(access & PFEC_W) || w->dirty, "a write left the page clean");
            FUZZ_CHECK(w->entry[w->used - 1] & GPTE_A, "the leaf 0x%llx", (unsigned long long)w->entry[w->used - 1]);
            check_memory(GPTE_A | GPTE_D);
        }
        break;
    default:
        FUZZ_CHECK(0, "result %d", (int)w->result);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    uint64_t pdptes[4];
    struct gpt_pae_regs r = { .cr3 = fuzz_take(&in, 8) };
    uint64_t va = fuzz_take(&in, 8);
    uint32_t access = (uint32_t)fuzz_take(&in, 1) & (PFEC_W | PFEC_U | PFEC_I);
    r.ctl = (uint32_t)fuzz_take(&in, 2) & (GPT_WP | GPT_PGE | GPT_NXE | GPT_SMEP | GPT_SMAP | GPT_AC |
                                           GPT_1G | GPT_OBSERVE);
    unsigned mode = (unsigned)fuzz_take(&in, 1);
    r.levels = (mode & 1) ? GPT_4LEVEL : GPT_PAE;
    r.maxphyaddr = 32 + (unsigned)fuzz_take(&in, 1) % 21;
    for (unsigned i = 0; i < 4; i++)
        pdptes[i] = fuzz_take(&in, 8);
    r.pdptes = (mode & 2) ? pdptes : NULL;
    /* The rest of the input is guest RAM, as the (little-endian) guest sees
     * it, repeated to fill it. */
    uint8_t *bytes = (uint8_t *)before;
    size_t n = size - in.pos;
    memset(before, 0, sizeof(before));
    for (size_t off = 0; n && off < sizeof(before); off += n)
        memcpy(bytes + off, data + in.pos, n < sizeof(before) - off ? n : sizeof(before) - off);
    for (unsigned p = 0; p < PAGES; p++) {
        ram[p] = malloc(4096);
        memcpy(ram[p], before[p], 4096);
    }
    /* The observer's walk first: it changes nothing, and says what the
     * CPU's walk then does (a walk that sets flags may change what a
     * second walk finds, where tables alias: not compared). */
    struct gpt_pae_regs observe = r;
    observe.ctl |= GPT_OBSERVE;
    struct gpt_pae_walk seen, w;
    gpt_walk_pae(&seen, &mem, &observe, va, access);
    check_walk(&seen, &observe, va, access);
    gpt_walk_pae(&w, &mem, &r, va, access);
    check_walk(&w, &r, va, access);
    FUZZ_CHECK(seen.result == w.result && seen.gpa == w.gpa && seen.error_code == w.error_code,
               "the CPU's walk: result %d, gpa 0x%llx; the observer's: %d, 0x%llx", w.result,
               (unsigned long long)w.gpa, seen.result, (unsigned long long)seen.gpa);
    for (unsigned p = 0; p < PAGES; p++)
        free(ram[p]);
    return 0;
}
