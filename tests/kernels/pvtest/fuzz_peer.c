/*
 * fuzz_peer.c: the fuzz with a partner (peer=1; fuzz.h says what each VM
 * offers at the meeting). The calls of the meeting, which both sides make
 * (cases_fuzz_partner.c is vm1's), and vm0's side: its grants and ports
 * for the partner, the wait for it, and at the end the partner's report
 * asked for and judged against the fuzz's model. The partner only
 * reports; every verdict is the fuzz's.
 */
#include "events.h"
#include "fuzz.h"
#include "pvtest.h"

#define TRIES 200000u               /* yields before the other VM counts as gone */

/* ---- the meeting's calls (either side) ---- */

int32_t meet_grant(uint32_t ref, uint32_t domid, uint32_t mfn, uint32_t flags)
{
    struct pv_gnttab_grant_foreign_access op = { ref, domid, mfn, flags, 99 };
    int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, (uint32_t)&op, 1);
    return r ? r : op.status;
}

int32_t meet_map(uint32_t va, uint32_t flags, uint32_t ref, uint32_t dom)
{
    struct pv_gnttab_map_grant_ref op = { va, flags, ref, dom, 99, 0 };
    int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_map_grant_ref, (uint32_t)&op, 1);
    return r ? r : op.status;
}

int32_t meet_offer(uint32_t remote_dom, uint32_t *port)
{
    struct pv_evtchn_alloc_unbound a = { PV_DOMID_SELF, remote_dom, 0 };
    int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_alloc_unbound, (uint32_t)&a, 0);
    *port = a.port;
    return r;
}

/* Bound to the other VM's remote_port, retried (yielding) while it has
 * not offered it yet. */
int32_t meet_bind(uint32_t remote_dom, uint32_t remote_port, uint32_t *port)
{
    int32_t r = -PV_EINVAL;
    for (uint32_t i = 0; i < TRIES && r == -PV_EINVAL; i++) {
        struct pv_evtchn_bind_interdomain b = { remote_dom, remote_port, 0 };
        if ((r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_interdomain, (uint32_t)&b, 0)) == -PV_EINVAL)
            meet_yield();
        *port = b.local_port;
    }
    return r;
}

void meet_yield(void)
{
    vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
}

/* ---- vm0's side ---- */

static uint32_t lent_page[1024] __attribute__((aligned(4096)));     /* ref 29 */
static volatile union {
    struct fuzz_report r;
    uint8_t page[4096];
} report_page __attribute__((aligned(4096)));                       /* ref 31 */
static uint32_t lent_mfn[LENT_REFS];

/* Until the partner's report says magic (yielding to it): whether it came. */
static bool wait_report(uint32_t magic)
{
    for (uint32_t i = 0; i < TRIES && report_page.r.magic != magic; i++)
        meet_yield();
    return report_page.r.magic == magic;
}

static struct fuzz_report report_copy(void)
{
    struct fuzz_report r;
    for (uint32_t i = 0; i < sizeof(r) / 4; i++)
        ((uint32_t *)&r)[i] = ((const volatile uint32_t *)&report_page.r)[i];
    return r;
}

void peer_meet(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        lent_page[i] = 0x4C000000u | i << 1;
    const uint32_t mfns[LENT_REFS] = { spare_mfn, virt_to_mfn(lent_page), ro_mfn, virt_to_mfn((void *)&report_page) };
    for (uint32_t j = 0; j < LENT_REFS; j++) {
        uint32_t ref = FIRST_LENT_REF + j;
        int32_t r = meet_grant(ref, PEER_ID, mfns[j], ref == LENT_READ_ONLY_REF ? PV_GNTMAP_readonly : 0);
        if (r)
            result("FAILED fuzz: granting ref %u to the partner: %d", ref, r);
        lent_mfn[j] = mfns[j];
    }
    uint32_t control, data;
    int32_t rc = meet_offer(PEER_ID, &control), rd = meet_offer(PEER_ID, &data);
    if (rc || rd || control != CONTROL_PORT || data != DATA_PORT)
        result("FAILED fuzz: offering ports to the partner: %d port %u, %d port %u", rc, control, rd, data);
    if (!wait_report(REPORT_READY))
        result("FAILED fuzz: no partner (vm1 case=fuzz-partner) came: report magic 0x%x", report_page.r.magic);
    struct fuzz_report r = report_copy();
    grants_meet(&r, lent_mfn);
    ports_meet();
}

/* The partner's entries for the fuzz's refs 28..31, and word 1 read
 * through each present one (the report page's own aside). */
static uint32_t check_lent(const struct fuzz_report *r)
{
    const uint32_t *pages[LENT_REFS - 1] = { spare_l1, lent_page, ro_page };
    struct call none = { 0, { 0 }, 0, { NULL } };
    uint32_t mapped = 0;
    for (uint32_t j = 0; j < LENT_REFS; j++) {
        uint32_t want = lent_entry(FIRST_LENT_REF + j);
        if ((r->entry[j] ^ want) & ~CPU_SET)
            wrong("the partner's entry for a grant of the fuzz's", &none, want, r->entry[j]);
        mapped += !!(want & P);
        if (j < LENT_REFS - 1 && (want & P) && r->word[j] != pages[j][1])
            wrong("a word the partner read through a grant of the fuzz's", &none, pages[j][1], r->word[j]);
    }
    return mapped;
}

void peer_report(void)
{
    struct call none = { 0, { 0 }, 0, { NULL } };
    report_page.r.magic = REPORT_ASKED;
    int32_t sent = ports_send(CONTROL_PORT);
    if (sent || !wait_report(REPORT_DONE)) {
        wrong("the partner's report (send, magic)", &none, REPORT_DONE, sent ? (uint32_t)sent : report_page.r.magic);
        return;
    }
    struct fuzz_report r = report_copy();
    check_partner_ports(&r);
    check_partner_pages(&r);
    uint32_t mapped = check_lent(&r);
    printf("pvtest: fuzz: grant ops' statuses:");
    for (uint32_t st = 0; st < 10; st++)
        if (grant_status[st])
            printf(" %d: %u", -(int32_t)st, grant_status[st]);
    printf("\n");
    printf("pvtest: fuzz: with the partner: %u grant maps, %u accesses through the window, %u binds to its ports; "
           "its report checked: %u of its ports, %u of its pages, %u of the grants it maps still mapped\n",
           grant_maps, grant_accesses, partner_binds, PARTNER_PORTS, PARTNER_PAGES, mapped);
}
