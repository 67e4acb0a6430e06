/*
 * fuzz_resident_set.c: hv/guest/resident_set.c and hv/guest/pageins.c (the
 * hypervisor's paging of a VM, resident=) under a script of operations in
 * any order, on a VM of up to 64 pages with accessed flags the input sets:
 * the faults, page-ins, completions, "page ready"s and pins a guest could
 * bring about. Checked after every step: the resident count is the pages
 * not out; a victim was resident, not pinned, and is never one twice in a
 * row without coming back; at most PAGEINS_MAX page-ins are held, their
 * tokens never 0 and never two alike; a page-in found due was due.
 */
#include "fuzz.h"
#include "guest/pageins.h"
#include "guest/resident_set.h"

#define PAGES_MAX 64

static bool flags[PAGES_MAX];

static bool test_and_clear(void *ctx, uint32_t p)
{
    (void)ctx;
    FUZZ_CHECK(p < PAGES_MAX, "asked about page %u", p);
    bool a = flags[p];
    flags[p] = false;
    return a;
}

static void check(const struct resident_set *rs, const struct pageins *pi)
{
    uint32_t in = 0;
    for (uint32_t p = 0; p < rs->pages; p++)
        in += rs_state(rs, p) != RS_OUT;
    FUZZ_CHECK(in == rs->resident, "%u pages in, the count says %u", in, rs->resident);
    FUZZ_CHECK(pageins_held(pi) <= PAGEINS_MAX, "%u held", pageins_held(pi));
    for (int i = 0; i < PAGEINS_MAX; i++) {
        const struct pagein *s = &pi->slot[i];
        if (s->state == PAGEIN_FREE || !s->token)
            continue;
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(pi->slot[j].state == PAGEIN_FREE || pi->slot[j].token != s->token,
                       "token %u held twice", s->token);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    uint32_t pages = 1 + (uint32_t)fuzz_take(&in, 1) % PAGES_MAX;
    uint8_t state[PAGES_MAX];
    struct resident_set rs;
    struct pageins pi;
    memset(flags, 0, sizeof flags);
    rs_init(&rs, state, pages, (uint32_t)fuzz_take(&in, 1) % (pages + 1));
    pageins_init(&pi);
    pi.last_token = (uint32_t)fuzz_take(&in, 4);
    uint64_t now = 0;
    while (in.pos < in.size) {
        unsigned op = (unsigned)fuzz_take(&in, 1) % 9;
        uint32_t p = (uint32_t)fuzz_take(&in, 1) % (PAGES_MAX + 2);    /* some out of range */
        now += fuzz_take(&in, 1);
        int i;
        int64_t v;
        switch (op) {
        case 0:                 /* the trim's step */
            v = rs_pick_victim(&rs, test_and_clear, NULL);
            if (v >= 0) {
                FUZZ_CHECK(v < pages && rs_state(&rs, (uint32_t)v) == RS_RESIDENT &&
                           !(rs.page[v] & RS_PINNED), "victim %ld", (long)v);
                rs_set_out(&rs, (uint32_t)v);
            }
            break;
        case 1:                 /* a fault told: the page-in starts */
            if (rs_state(&rs, p) == RS_OUT && pageins_start(&pi, p, now + fuzz_take(&in, 1), true) >= 0)
                rs_set_incoming(&rs, p);
            break;
        case 2:                 /* a stall's page-in, or the hypervisor's own access */
            if (p < pages)
                rs_set_resident(&rs, p);
            if ((i = pageins_find_under_way(&pi, p)) >= 0)
                pageins_complete(&pi, i);
            break;
        case 3:                 /* the page-ins due, done */
            while ((i = pageins_due(&pi, now)) >= 0) {
                FUZZ_CHECK(pi.slot[i].done_tsc <= now, "due at %lu, now %lu",
                           (unsigned long)pi.slot[i].done_tsc, (unsigned long)now);
                if (pi.slot[i].page < pages)
                    rs_set_resident(&rs, pi.slot[i].page);
                pageins_complete(&pi, i);
            }
            break;
        case 4:
            pageins_told(&pi, pageins_next_to_tell(&pi));
            break;
        case 5:
            pageins_drop_untold(&pi);
            break;
        case 6:
            rs_pin(&rs, p, fuzz_take(&in, 1) & 1);
            break;
        case 7:
            if (p < PAGES_MAX)
                flags[p] = true;
            break;
        default:
            pageins_complete(&pi, (int)(p % (PAGEINS_MAX + 2)) - 1);    /* any slot, -1 and past the end */
        }
        check(&rs, &pi);
    }
    return 0;
}
