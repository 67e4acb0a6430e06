/*
 * test_evtchn_ports.c: hv/pv/evtchn_ports.c, a PV VM's event channels
 * (lib/pv_abi.h section 6): binding VIRQs, close, send, unmask, the pending,
 * mask, pending_sel and upcall_pending bits an event sets on the shared
 * page, and when an upcall is due; with the guest's hostile arguments
 * (ports out of range, closed, unbound VIRQs) and a page it scribbled on.
 * Channels between VMs (lab 6): a port offered, bound by the VM it was
 * offered to, each end's status, the peer's leaving; and the binds that
 * must be refused (ports not offered to the caller, bound already, out of
 * range, another source's), each refusal changing nothing.
 */
#include "unit.h"
#include <string.h>
#include "pv/evtchn_ports.h"

static struct pv_shared_info page;
static struct evtchn_ports e;

static int setup(void **state)
{
    (void)state;
    memset(&page, 0, sizeof(page));
    evtchn_init(&e, &page);
    return 0;
}

static struct pv_vcpu_info *vcpu(void)
{
    return &page.vcpu_info[0];
}

static bool pending(uint32_t port)
{
    return page.evtchn_pending[port / 32] & (1u << (port % 32));
}

static void mask(uint32_t port)
{
    page.evtchn_mask[port / 32] |= 1u << (port % 32);
}

static uint32_t bind(uint32_t virq)
{
    uint32_t port = 0;
    assert_int_equal(evtchn_bind_virq(&e, virq, 0, &port), 0);
    return port;
}

static void test_bind_virq_gives_lowest_free_port_not_0(void **state)
{
    (void)state;
    assert_int_equal(bind(PV_VIRQ_TIMER), 1);
    assert_int_equal(bind(PV_VIRQ_BALLOON), 2);
    assert_int_equal(evtchn_close(&e, 1), 0);
    assert_int_equal(bind(PV_VIRQ_CONSOLE), 1);
}

static void test_bind_virq_twice_is_eexist(void **state)
{
    (void)state;
    uint32_t port = 77;
    bind(PV_VIRQ_TIMER);
    assert_int_equal(evtchn_bind_virq(&e, PV_VIRQ_TIMER, 0, &port), -PV_EEXIST);
    assert_int_equal(port, 77);
    /* Closed, it can be bound again. */
    assert_int_equal(evtchn_close(&e, 1), 0);
    assert_int_equal(bind(PV_VIRQ_TIMER), 1);
}

static void test_bind_virq_bad_virq_or_vcpu_is_einval(void **state)
{
    (void)state;
    uint32_t port = 0;
    assert_int_equal(evtchn_bind_virq(&e, PV_NR_VIRQS, 0, &port), -PV_EINVAL);
    assert_int_equal(evtchn_bind_virq(&e, 0xFFFFFFFFu, 0, &port), -PV_EINVAL);
    assert_int_equal(evtchn_bind_virq(&e, PV_VIRQ_TIMER, 1, &port), -PV_EINVAL);
    /* Nothing was bound by the refusals. */
    assert_int_equal(bind(PV_VIRQ_TIMER), 1);
}

static void test_ports_run_out_enospc(void **state)
{
    (void)state;
    uint32_t port;
    for (uint32_t i = 1; i < PV_NR_EVENT_CHANNELS; i++)
        assert_int_equal(evtchn_bind_console(&e, &port), 0);
    assert_int_equal(port, PV_NR_EVENT_CHANNELS - 1);
    assert_int_equal(evtchn_bind_console(&e, &port), -PV_ENOSPC);
    assert_int_equal(evtchn_bind_virq(&e, PV_VIRQ_TIMER, 0, &port), -PV_ENOSPC);
    /* The VIRQ stays unbound after the refusal. */
    assert_int_equal(evtchn_close(&e, 5), 0);
    assert_int_equal(bind(PV_VIRQ_TIMER), 5);
}

static void test_bad_ports_refused(void **state)
{
    (void)state;
    uint32_t bad[] = { 0, PV_NR_EVENT_CHANNELS, PV_NR_EVENT_CHANNELS + 1, 0x80000000u, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(evtchn_close(&e, bad[i]), -PV_EINVAL);
        assert_int_equal(evtchn_send(&e, bad[i]), -PV_EINVAL);
        assert_int_equal(evtchn_unmask(&e, bad[i]), -PV_EINVAL);
        assert_false(evtchn_set_pending(&e, bad[i]));
    }
    /* A port in range that is not bound (never, or closed). */
    bind(PV_VIRQ_TIMER);
    assert_int_equal(evtchn_close(&e, 1), 0);
    uint32_t unbound[] = { 1, 2, PV_NR_EVENT_CHANNELS - 1 };
    for (size_t i = 0; i < sizeof(unbound) / sizeof(unbound[0]); i++) {
        assert_int_equal(evtchn_close(&e, unbound[i]), -PV_ENOENT);
        assert_int_equal(evtchn_send(&e, unbound[i]), -PV_ENOENT);
        assert_int_equal(evtchn_unmask(&e, unbound[i]), -PV_ENOENT);
        assert_false(evtchn_set_pending(&e, unbound[i]));
    }
    assert_memory_equal(page.evtchn_pending, (uint32_t[32]){ 0 }, sizeof(page.evtchn_pending));
    assert_int_equal(vcpu()->evtchn_upcall_pending, 0);
}

static void test_send_console_port_and_virq_port(void **state)
{
    (void)state;
    uint32_t console;
    assert_int_equal(evtchn_bind_console(&e, &console), 0);
    uint32_t timer = bind(PV_VIRQ_TIMER);
    assert_int_equal(evtchn_send(&e, console), EVTCHN_CONSOLE);
    /* A VIRQ has no other end to notify (Xen's ECS_VIRQ). */
    assert_int_equal(evtchn_send(&e, timer), -PV_EINVAL);
}

static void test_event_sets_pending_sel_and_upcall(void **state)
{
    (void)state;
    uint32_t p;
    for (uint32_t i = 1; i <= 40; i++)
        evtchn_bind_console(&e, &p);     /* ports 1..40: the VIRQ lands in word 1 */
    uint32_t timer = bind(PV_VIRQ_TIMER);
    assert_int_equal(timer, 41);
    assert_true(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_true(pending(41));
    assert_int_equal(vcpu()->evtchn_pending_sel, 1u << 1);
    assert_int_equal(vcpu()->evtchn_upcall_pending, 1);
}

static void test_event_already_pending_marks_nothing(void **state)
{
    (void)state;
    uint32_t timer = bind(PV_VIRQ_TIMER);
    page.evtchn_pending[0] = 1u << timer;    /* pending already, the guest has not taken it */
    assert_true(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_int_equal(vcpu()->evtchn_pending_sel, 0);
    assert_int_equal(vcpu()->evtchn_upcall_pending, 0);
}

static void test_masked_event_pends_without_upcall_until_unmask(void **state)
{
    (void)state;
    uint32_t timer = bind(PV_VIRQ_TIMER);
    assert_int_equal(evtchn_set_callback(&e, 0x40), 0);
    mask(timer);
    assert_true(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_true(pending(timer));
    assert_int_equal(vcpu()->evtchn_pending_sel, 0);
    assert_false(evtchn_upcall_pending(&e));
    assert_false(evtchn_upcall_due(&e, true));
    assert_int_equal(evtchn_unmask(&e, timer), 0);
    assert_int_equal(page.evtchn_mask[0], 0);
    assert_int_equal(vcpu()->evtchn_pending_sel, 1);
    assert_true(evtchn_upcall_due(&e, true));
}

static void test_unmask_with_nothing_pending_marks_nothing(void **state)
{
    (void)state;
    uint32_t timer = bind(PV_VIRQ_TIMER);
    mask(timer);
    assert_int_equal(evtchn_unmask(&e, timer), 0);
    assert_int_equal(page.evtchn_mask[0], 0);
    assert_false(evtchn_upcall_pending(&e));
    /* Unmasking a port that was not masked marks nothing, pending or not
     * (the event marked the vCPU when it came, if it could). */
    page.evtchn_pending[0] = 1u << timer;
    assert_int_equal(evtchn_unmask(&e, timer), 0);
    assert_false(evtchn_upcall_pending(&e));
}

static void test_upcall_due_needs_vector_mask_clear_and_if(void **state)
{
    (void)state;
    bind(PV_VIRQ_TIMER);
    evtchn_raise_virq(&e, PV_VIRQ_TIMER);
    assert_false(evtchn_upcall_due(&e, true));       /* no vector given */
    assert_int_equal(evtchn_set_callback(&e, 0x81), 0);
    assert_true(evtchn_upcall_due(&e, true));
    assert_false(evtchn_upcall_due(&e, false));      /* the CPU's IF is 0 */
    vcpu()->evtchn_upcall_mask = 1;                   /* the guest's virtual IF is 0 */
    assert_false(evtchn_upcall_due(&e, true));
    assert_true(evtchn_upcall_pending(&e));          /* block still wakes */
    vcpu()->evtchn_upcall_mask = 0;
    vcpu()->evtchn_upcall_pending = 0;               /* the handler took it */
    assert_false(evtchn_upcall_due(&e, true));
    assert_int_equal(evtchn_set_callback(&e, 0), 0);  /* upcalls off */
    vcpu()->evtchn_upcall_pending = 1;
    assert_false(evtchn_upcall_due(&e, true));
}

static void test_set_callback_vectors(void **state)
{
    (void)state;
    uint32_t bad[] = { 1, 2, 14, 31, 256, 0x1000, 0xFFFFFFFFu };
    assert_int_equal(evtchn_set_callback(&e, 0x40), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(evtchn_set_callback(&e, bad[i]), -PV_EINVAL);
        assert_int_equal(e.callback_vector, 0x40);   /* a refusal changed nothing */
    }
    assert_int_equal(evtchn_set_callback(&e, 32), 0);
    assert_int_equal(evtchn_set_callback(&e, 255), 0);
    assert_int_equal(evtchn_set_callback(&e, 0), 0);
}

static void test_unbound_virq_is_dropped(void **state)
{
    (void)state;
    assert_false(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_false(evtchn_raise_virq(&e, PV_NR_VIRQS));
    assert_false(evtchn_raise_virq(&e, 0xFFFFFFFFu));
    /* Bound then closed: dropped again, and its old port is not set. */
    uint32_t timer = bind(PV_VIRQ_TIMER);
    assert_int_equal(evtchn_close(&e, timer), 0);
    assert_false(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_false(pending(timer));
    assert_false(evtchn_upcall_pending(&e));
}

static void test_close_clears_pending(void **state)
{
    (void)state;
    uint32_t timer = bind(PV_VIRQ_TIMER);
    mask(timer);
    evtchn_raise_virq(&e, PV_VIRQ_TIMER);
    assert_int_equal(evtchn_close(&e, timer), 0);
    assert_false(pending(timer));
    /* A new binding of the port starts with no stale event. */
    assert_int_equal(bind(PV_VIRQ_BALLOON), timer);
    assert_int_equal(evtchn_unmask(&e, timer), 0);
    assert_false(evtchn_upcall_pending(&e));
}

static void test_scribbled_page_only_changes_what_guest_sees(void **state)
{
    (void)state;
    /* The guest fills its page with ones: every port "pending", "masked". */
    memset(&page, 0xFF, sizeof(page));
    assert_false(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    uint32_t timer = bind(PV_VIRQ_TIMER);
    assert_int_equal(timer, 1);
    assert_true(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_int_equal(evtchn_unmask(&e, timer), 0);
    assert_int_equal(evtchn_close(&e, timer), 0);
    assert_int_equal(evtchn_close(&e, timer), -PV_ENOENT);
}

static void test_no_page_no_events(void **state)
{
    (void)state;
    evtchn_init(&e, NULL);
    uint32_t timer = bind(PV_VIRQ_TIMER);
    assert_false(evtchn_raise_virq(&e, PV_VIRQ_TIMER));
    assert_int_equal(evtchn_unmask(&e, timer), 0);
    assert_int_equal(evtchn_close(&e, timer), 0);
    assert_false(evtchn_upcall_pending(&e));
    assert_false(evtchn_upcall_due(&e, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bind_virq_gives_lowest_free_port_not_0, setup),
        cmocka_unit_test_setup(test_bind_virq_twice_is_eexist, setup),
        cmocka_unit_test_setup(test_bind_virq_bad_virq_or_vcpu_is_einval, setup),
        cmocka_unit_test_setup(test_ports_run_out_enospc, setup),
        cmocka_unit_test_setup(test_bad_ports_refused, setup),
        cmocka_unit_test_setup(test_send_console_port_and_virq_port, setup),
        cmocka_unit_test_setup(test_event_sets_pending_sel_and_upcall, setup),
        cmocka_unit_test_setup(test_event_already_pending_marks_nothing, setup),
        cmocka_unit_test_setup(test_masked_event_pends_without_upcall_until_unmask, setup),
        cmocka_unit_test_setup(test_unmask_with_nothing_pending_marks_nothing, setup),
        cmocka_unit_test_setup(test_upcall_due_needs_vector_mask_clear_and_if, setup),
        cmocka_unit_test_setup(test_set_callback_vectors, setup),
        cmocka_unit_test_setup(test_unbound_virq_is_dropped, setup),
        cmocka_unit_test_setup(test_close_clears_pending, setup),
        cmocka_unit_test_setup(test_scribbled_page_only_changes_what_guest_sees, setup),
        cmocka_unit_test_setup(test_no_page_no_events, setup),
    };
    return RUN_UNIT_TESTS("evtchn_ports", tests);
}
