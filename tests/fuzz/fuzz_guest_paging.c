/*
 * fuzz_guest_paging.c: hv/guest/guest_paging.c, the software walk of the
 * guest's 32-bit page tables that shadow paging does on every guest page
 * fault, on page tables the fuzzer writes.
 *
 * Input: CR3 (4 bytes), the linear address (4), the access (1: PFEC_W,
 * PFEC_U), the controls (1: CR0.WP, CR4.PSE, CR4.PGE), then the contents of
 * a guest of PAGES pages of RAM (repeated to fill them). Each page is a heap block
 * of its own, so a walk that indexes past a table is caught. Checked, as
 * SDM vol. 3, 4.3 and 4.6-4.8 say a CPU behaves:
 *   - a fault or a bad table changes no guest memory; a fault's error code
 *     is the access's, plus P for a protection violation;
 *   - a bad table names an address outside guest RAM;
 *   - a translation keeps the offset in the page, grants what the access
 *     asked for (a user access a user page, a write a writable page unless
 *     it is a supervisor write with CR0.WP clear), and changes guest memory
 *     only by setting accessed and dirty flags, the leaf's dirty flag on a
 *     write;
 *   - the same walk again gives the same translation.
 */
#include "fuzz.h"
#include "guest/guest_paging.h"

#define PAGES 4
#define PAGE_WORDS 1024

static uint32_t *ram[PAGES];
static uint32_t before[PAGES][PAGE_WORDS];

static uint32_t *table(void *ctx, uint64_t gpa)
{
    (void)ctx;
    FUZZ_CHECK((gpa & 0xFFF) == 0, "a table at 0x%llx, not page-aligned", (unsigned long long)gpa);
    return gpa < PAGES * 4096ull ? ram[gpa / 4096] : NULL;
}

static const struct gpt_mem mem = { table, NULL };

/* Guest memory is as it was, but for the flags in `allowed` (0: none). */
static void check_memory(uint32_t allowed)
{
    unsigned changed = 0;
    for (unsigned p = 0; p < PAGES; p++) {
        if (memcmp(ram[p], before[p], 4096) == 0)
            continue;
        for (unsigned i = 0; i < PAGE_WORDS; i++) {
            uint32_t diff = ram[p][i] ^ before[p][i];
            FUZZ_CHECK((diff & ~allowed) == 0 && (ram[p][i] & diff) == diff,
                       "entry %u of page %u went from 0x%x to 0x%x", i, p, before[p][i], ram[p][i]);
            changed += diff != 0;
        }
    }
    FUZZ_CHECK(changed <= 2, "%u entries changed by one walk", changed);
}

static void check_walk(const struct gpt_walk *w, uint32_t va, uint32_t access, uint32_t ctl)
{
    switch (w->result) {
    case GPT_FAULT:
        FUZZ_CHECK((w->error_code & ~PFEC_P) == access, "error code 0x%x for access 0x%x", w->error_code,
                   access);
        check_memory(0);
        break;
    case GPT_BAD_TABLE:
        FUZZ_CHECK(w->bad_gpa >= PAGES * 4096ull, "a bad table at 0x%llx, inside guest RAM",
                   (unsigned long long)w->bad_gpa);
        check_memory(0);
        break;
    case GPT_OK:
        FUZZ_CHECK((w->gpa & 0xFFF) == (va & 0xFFF), "va 0x%x translated to 0x%llx", va,
                   (unsigned long long)w->gpa);
        FUZZ_CHECK(!(access & PFEC_U) || w->user, "a user access granted a supervisor page");
        FUZZ_CHECK(!(access & PFEC_W) || w->writable || (!(access & PFEC_U) && !(ctl & GPT_WP)),
                   "a write granted a read-only page (access 0x%x, controls 0x%x)", access, ctl);
        FUZZ_CHECK(!(access & PFEC_W) || w->dirty, "a write left the page clean");
        FUZZ_CHECK((w->pte & GPTE_P) && (w->pte & GPTE_A), "the leaf 0x%x", w->pte);
        check_memory(GPTE_A | GPTE_D);
        break;
    default:
        FUZZ_CHECK(0, "result %d", (int)w->result);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    uint32_t cr3 = (uint32_t)fuzz_take(&in, 4), va = (uint32_t)fuzz_take(&in, 4);
    uint32_t access = (uint32_t)fuzz_take(&in, 1) & (PFEC_W | PFEC_U);
    uint32_t ctl = (uint32_t)fuzz_take(&in, 1) & (GPT_WP | GPT_PSE | GPT_PGE);
    /* The rest of the input is guest RAM, as the (little-endian) guest sees
     * it, repeated to fill it: a short input then puts its entries at every
     * index a walk may pick. */
    uint8_t *bytes = (uint8_t *)before;
    size_t n = size - in.pos;
    memset(before, 0, sizeof(before));
    for (size_t off = 0; n && off < sizeof(before); off += n)
        memcpy(bytes + off, data + in.pos, n < sizeof(before) - off ? n : sizeof(before) - off);
    for (unsigned p = 0; p < PAGES; p++) {
        ram[p] = malloc(4096);
        memcpy(ram[p], before[p], 4096);
    }
    struct gpt_walk w, again;
    gpt_walk(&w, &mem, cr3, va, access, ctl);
    check_walk(&w, va, access, ctl);
    gpt_walk(&again, &mem, cr3, va, access, ctl);
    FUZZ_CHECK(again.result == w.result && again.gpa == w.gpa && again.error_code == w.error_code,
               "a second walk: result %d, gpa 0x%llx; the first: %d, 0x%llx", again.result,
               (unsigned long long)again.gpa, w.result, (unsigned long long)w.gpa);
    for (unsigned p = 0; p < PAGES; p++)
        free(ram[p]);
    return 0;
}
