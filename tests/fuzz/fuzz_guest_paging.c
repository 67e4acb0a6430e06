/*
 * fuzz_guest_paging.c: hv/guest/guest_paging.c, the software walk of the
 * guest's 32-bit page tables that shadow paging does on every guest page
 * fault, on page tables the fuzzer writes.
 *
 * Input: CR3 (4 bytes), the linear address (4), the access (1: PFEC_W,
 * PFEC_U), the controls (1: CR0.WP, CR4.PSE, CR4.PGE), then the contents of
 * the guest's RAM (fuzz_guest_ram.h). Checked, as
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
#include "fuzz_guest_ram.h"
#include "guest/guest_paging.h"

static const struct gpt_mem mem = { guest_ram_table, NULL };

static void check_walk(const struct gpt_walk *w, uint32_t va, uint32_t access, uint32_t ctl)
{
    switch (w->result) {
    case GPT_FAULT:
        FUZZ_CHECK((w->error_code & ~PFEC_P) == access, "error code 0x%x for access 0x%x", w->error_code,
                   access);
        guest_ram_check(4, 0, 0);
        break;
    case GPT_BAD_TABLE:
        FUZZ_CHECK(w->bad_gpa >= FUZZ_GUEST_PAGES * 4096ull, "a bad table at 0x%llx, inside guest RAM",
                   (unsigned long long)w->bad_gpa);
        guest_ram_check(4, 0, 0);
        break;
    case GPT_OK:
        FUZZ_CHECK((w->gpa & 0xFFF) == (va & 0xFFF), "va 0x%x translated to 0x%llx", va,
                   (unsigned long long)w->gpa);
        FUZZ_CHECK(!(access & PFEC_U) || w->user, "a user access granted a supervisor page");
        FUZZ_CHECK(!(access & PFEC_W) || w->writable || (!(access & PFEC_U) && !(ctl & GPT_WP)),
                   "a write granted a read-only page (access 0x%x, controls 0x%x)", access, ctl);
        FUZZ_CHECK(!(access & PFEC_W) || w->dirty, "a write left the page clean");
        FUZZ_CHECK((w->pte & GPTE_P) && (w->pte & GPTE_A), "the leaf 0x%x", w->pte);
        guest_ram_check(4, GPTE_A | GPTE_D, 2);
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
    guest_ram_fill(data + in.pos, size - in.pos);     /* the rest: guest RAM */
    struct gpt_walk w, again;
    gpt_walk(&w, &mem, cr3, va, access, ctl);
    check_walk(&w, va, access, ctl);
    gpt_walk(&again, &mem, cr3, va, access, ctl);
    FUZZ_CHECK(again.result == w.result && again.gpa == w.gpa && again.error_code == w.error_code,
               "a second walk: result %d, gpa 0x%llx; the first: %d, 0x%llx", again.result,
               (unsigned long long)again.gpa, w.result, (unsigned long long)w.gpa);
    guest_ram_free();
    return 0;
}
