/*
 * cases_fuzz_partner.c: the fuzz's partner (vm1 while vm0 runs case=fuzz
 * peer=1; tests/integration/pv_gaps_cases.py's pv-fuzz-two-vms). At its
 * start it offers vm0 the fixed set fuzz.h lists (grants of its pages,
 * ports), binds and maps what vm0 offered it, then stays still: blocked,
 * every port masked but the control channel's, so that whatever vm0's
 * fuzz does between them is predictable from the start alone. At vm0's
 * end it reports what it sees (its entries, its pages, its ports) in
 * vm0's report page and powers off; vm0 judges the report. Its own line
 * says only whether its start went as fuzz.h documents.
 */
#include "events.h"
#include "fuzz.h"
#include "pvtest.h"

#define TRIES 200000u

static uint32_t pages[PARTNER_ALIAS_REF][1024] __attribute__((aligned(4096)));   /* refs 0..5's */

/* A step of the start that must give 0: else the line says which. */
static void must(int32_t r, const char *what)
{
    if (r)
        result("FAILED fuzz-partner: %s: %d", what, r);
}

static int32_t mmuext(uint32_t cmd, uint32_t mfn)
{
    struct pv_mmuext_op op = { cmd, mfn, 0 };
    return vmcall5(PV_mmuext_op, (uint32_t)&op, 1, 0, PV_DOMID_SELF, 0);
}

static int32_t leave(uint32_t mfn)
{
    struct pv_memory_reservation r = { (uint32_t)&mfn, 1, 0, PV_DOMID_SELF };
    int32_t n = vmcall3(PV_memory_op, PV_XENMEM_decrease_reservation, (uint32_t)&r, 0);
    return n == 1 ? 0 : n ? n : -1;
}

/* Refs 0..6: pages 0..3 patterned, 4 pinned as an L1 after its grant, 5
 * gone after its grant, 6 page 0 again (fuzz.h). */
static void grant_pages(struct fuzz_report *r)
{
    for (uint32_t ref = 0; ref < PARTNER_REFS; ref++) {
        uint32_t page = ref == PARTNER_ALIAS_REF ? 0 : ref;
        r->mfn[ref] = virt_to_mfn(pages[page]);
        for (uint32_t i = 0; i < 1024; i++)
            pages[page][i] = i == 0 && ref != PARTNER_TABLE_REF ? r->mfn[ref] : partner_word(page, i);
        bool ro = ref == 2 || ref == 3;
        must(meet_grant(ref, SELF_ID, r->mfn[ref], ro ? PV_GNTMAP_readonly : 0), "a grant to vm0");
    }
    read_only(pages[PARTNER_TABLE_REF]);
    must(mmuext(PV_MMUEXT_PIN_L1_TABLE, r->mfn[PARTNER_TABLE_REF]), "pinning the granted page");
    must(vmcall3(PV_update_va_mapping, (uint32_t)pages[PARTNER_GONE_REF], 0, PV_UVMF_INVLPG), "unmapping a page");
    must(leave(r->mfn[PARTNER_GONE_REF]), "the granted page leaving");
}

/* Ports 2..5 offered to vm0, 6 to itself; 7 and 8 bound to vm0's 3 and 4. */
static void offer_ports(void)
{
    for (uint32_t p = 2; p <= 6; p++) {
        uint32_t port;
        must(meet_offer(p == 6 ? PV_DOMID_SELF : SELF_ID, &port), "an offer");
        must(port != p, "an offer's port number");
    }
    uint32_t control, data;
    must(meet_bind(SELF_ID, CONTROL_PORT, &control), "binding vm0's control port");
    must(meet_bind(SELF_ID, DATA_PORT, &data), "binding vm0's data port");
    must(control != PARTNER_CONTROL_PORT || data != PARTNER_DATA_PORT, "the bound ports' numbers");
}

/* vm0's refs 28..31 at the window's entries 0..3 (granted before vm0
 * offered its control port, which is bound by now). */
static void map_lent(void)
{
    for (uint32_t j = 0; j < LENT_REFS; j++)
        must(meet_map((FUZZ_SLOT << 22) + j * 4096, FIRST_LENT_REF + j == LENT_READ_ONLY_REF ? PV_GNTMAP_readonly : 0,
                      FIRST_LENT_REF + j, SELF_ID), "mapping a grant of vm0's");
}

/* Until the control port has an event: its pending bit cleared at first
 * (the bind's), every other port masked. The blocks it took. */
static uint32_t wait_control(void)
{
    struct pv_shared_info *s = shared_info();
    const uint32_t bit = 1u << PARTNER_CONTROL_PORT;
    __atomic_fetch_and(&s->evtchn_pending[0], ~bit, __ATOMIC_SEQ_CST);
    for (uint32_t w = 0; w < PV_NR_EVENT_CHANNELS / 32; w++)
        s->evtchn_mask[w] = ~0u;
    must(evtchn_port_op(PV_EVTCHNOP_unmask, PARTNER_CONTROL_PORT), "unmasking the control port");
    uint32_t blocks = 0;
    while (!(s->evtchn_pending[0] & bit) && blocks < TRIES) {
        s->vcpu_info[0].evtchn_upcall_pending = 0;
        s->vcpu_info[0].evtchn_pending_sel = 0;
        if (!(s->evtchn_pending[0] & bit))
            block(), blocks++;
    }
    return blocks;
}

static void fill_report(volatile struct fuzz_report *r)
{
    for (uint32_t ref = 0; ref < PARTNER_PAGES; ref++)
        r->sum[ref] = sum_words(pages[ref], 1024, ~0u);
    for (uint32_t j = 0; j < LENT_REFS; j++) {
        r->entry[j] = fuzz_l1[j];
        r->word[j] = j < LENT_REFS - 1 && (fuzz_l1[j] & P) ? WINDOW[j * 1024 + 1] : 0;
    }
    for (uint32_t p = 1; p <= PARTNER_PORTS; p++) {
        struct pv_evtchn_status st = { p, 0, 0, 0 };
        if (vmcall3(PV_event_channel_op, PV_EVTCHNOP_status, (uint32_t)&st, 0))
            st.status = 0xEE;
        r->port[p] = st;
    }
    r->pending = shared_info()->evtchn_pending[0];
}

PV_CASE(fuzz_partner, "fuzz-partner", "vm1 beside case=fuzz peer=1: offers vm0 grants and ports, stays still, "
        "reports what it sees at vm0's end")
{
    __asm__ volatile("cli" ::: "memory");
    dir_mfn = virt_to_mfn((const void *)start_info->pt_base);
    window_install(fuzz_l1);
    struct fuzz_report start = { 0 };
    grant_pages(&start);
    offer_ports();
    map_lent();
    volatile struct fuzz_report *r =         /* vm0's report page, in the window */
        (volatile struct fuzz_report *)((FUZZ_SLOT << 22) + (REPORT_REF - FIRST_LENT_REF) * 4096);
    for (uint32_t ref = 0; ref < PARTNER_REFS; ref++)
        r->mfn[ref] = start.mfn[ref];
    r->magic = REPORT_READY;
    uint32_t blocks = wait_control();
    uint32_t asked = r->magic;
    fill_report(r);
    r->magic = REPORT_DONE;
    evtchn_port_op(PV_EVTCHNOP_send, PARTNER_CONTROL_PORT);
    result("fuzz-partner: %u grants, ports 2-6 offered, %u and %u bound, %u of vm0's grants mapped; woken after "
           "%u blocks, %s", PARTNER_REFS, PARTNER_CONTROL_PORT, PARTNER_DATA_PORT, LENT_REFS, blocks,
           asked == REPORT_ASKED ? "report asked and written" : "FAILED: woken but no report asked");
}
