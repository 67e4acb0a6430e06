/*
 * test_evtchn_interdomain.c: hv/pv/evtchn_interdomain.c, event channels
 * between VMs (lab 6): a port offered, bound by the VM it was offered to,
 * each end's status, the peer's leaving; and the binds that must be
 * refused (ports not offered to the caller, bound already, out of range,
 * another source's), each refusal changing nothing.
 */
#include "unit.h"
#include <string.h>
#include "pv/evtchn_interdomain.h"

static struct pv_shared_info page;
static struct evtchn_ports e;          /* VM 0's */

static int setup(void **state)
{
    (void)state;
    memset(&page, 0, sizeof(page));
    evtchn_init(&e, &page);
    return 0;
}

static uint32_t bind(uint32_t virq)
{
    uint32_t port = 0;
    assert_int_equal(evtchn_bind_virq(&e, virq, 0, &port), 0);
    return port;
}

static struct pv_shared_info page1;
static struct evtchn_ports other;      /* VM 1's */

static struct pv_evtchn_status status(const struct evtchn_ports *ports, uint32_t port)
{
    struct pv_evtchn_status st;
    assert_int_equal(evtchn_status(ports, port, &st), 0);
    return st;
}

static void test_offer_and_bind(void **state)
{
    (void)state;
    evtchn_init(&other, &page1);
    bind(PV_VIRQ_TIMER);                                     /* port 1 */
    uint32_t offered, bound;
    assert_int_equal(evtchn_alloc_unbound(&e, 1, &offered), 0);
    assert_int_equal(offered, 2);
    struct pv_evtchn_status st = status(&e, offered);
    assert_int_equal(st.status, PV_EVTCHNSTAT_unbound);
    assert_int_equal(st.remote_dom, 1);
    assert_int_equal(evtchn_send(&e, offered), EVTCHN_UNBOUND);     /* no one to tell yet */
    assert_int_equal(evtchn_bind_interdomain(&other, 1, &e, 0, offered, &bound), 0);
    assert_int_equal(bound, 1);
    st = status(&other, bound);
    assert_int_equal(st.status, PV_EVTCHNSTAT_interdomain);
    assert_int_equal(st.remote_dom, 0);
    assert_int_equal(st.remote_port, offered);
    st = status(&e, offered);
    assert_int_equal(st.status, PV_EVTCHNSTAT_interdomain);
    assert_int_equal(st.remote_dom, 1);
    assert_int_equal(st.remote_port, bound);
    uint32_t dom, port;
    assert_true(evtchn_peer(&e, offered, &dom, &port));
    assert_int_equal(dom, 1);
    assert_int_equal(port, bound);
    assert_int_equal(evtchn_send(&e, offered), EVTCHN_INTERDOMAIN);
    assert_false(evtchn_peer(&e, 1, &dom, &port));          /* the VIRQ's port has no peer */
    st = status(&e, 1);
    assert_int_equal(st.status, PV_EVTCHNSTAT_virq);
    assert_int_equal(st.remote_port, PV_VIRQ_TIMER);
    st = status(&e, 900);
    assert_int_equal(st.status, PV_EVTCHNSTAT_closed);
    struct pv_evtchn_status none;
    assert_int_equal(evtchn_status(&e, 0, &none), -PV_EINVAL);
    assert_int_equal(evtchn_status(&e, PV_NR_EVENT_CHANNELS, &none), -PV_EINVAL);
}

/* Each refusal leaves both tables as they were. */
static void test_binds_refused(void **state)
{
    (void)state;
    evtchn_init(&other, &page1);
    uint32_t to_1, to_2, port = 77;
    evtchn_alloc_unbound(&e, 1, &to_1);                      /* 1: offered to VM 1 */
    evtchn_alloc_unbound(&e, 2, &to_2);                      /* 2: offered to VM 2 */
    bind(PV_VIRQ_TIMER);                                     /* 3 */
    struct evtchn_ports before_e = e, before_other = other;
    const uint32_t refused[] = { 0, to_2, 3, 4, 500, PV_NR_EVENT_CHANNELS, 0xFFFFFFFFu };
    for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(evtchn_bind_interdomain(&other, 1, &e, 0, refused[i], &port), -PV_EINVAL);
        assert_int_equal(port, 77);
        assert_memory_equal(&e, &before_e, sizeof(e));
        assert_memory_equal(&other, &before_other, sizeof(other));
    }
    uint32_t bound;
    assert_int_equal(evtchn_bind_interdomain(&other, 1, &e, 0, to_1, &bound), 0);
    assert_int_equal(evtchn_bind_interdomain(&other, 1, &e, 0, to_1, &port), -PV_EINVAL);   /* bound already */
    /* No free port of the binder's: refused, the offer still open. */
    evtchn_init(&other, &page1);
    evtchn_init(&e, &page);
    evtchn_alloc_unbound(&e, 1, &to_1);
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        evtchn_alloc_unbound(&other, 0, &port);
    assert_int_equal(evtchn_bind_interdomain(&other, 1, &e, 0, to_1, &port), -PV_ENOSPC);
    assert_int_equal(status(&e, to_1).status, PV_EVTCHNSTAT_unbound);
}

static void test_loopback(void **state)
{
    (void)state;
    uint32_t a, b;
    assert_int_equal(evtchn_alloc_unbound(&e, 0, &a), 0);
    assert_int_equal(evtchn_bind_interdomain(&e, 0, &e, 0, a, &b), 0);
    assert_int_not_equal(a, b);
    assert_int_equal(status(&e, a).remote_port, b);
    assert_int_equal(status(&e, b).remote_port, a);
}

/* The other end left (closed, or its VM ended): the port is offered to it
 * again; a leaving that names another end changes nothing. */
static void test_peer_left(void **state)
{
    (void)state;
    evtchn_init(&other, &page1);
    uint32_t offered, bound;
    evtchn_alloc_unbound(&e, 1, &offered);
    evtchn_bind_interdomain(&other, 1, &e, 0, offered, &bound);
    evtchn_peer_left(&e, offered, 1, bound + 1);             /* not its end */
    evtchn_peer_left(&e, offered, 2, bound);
    evtchn_peer_left(&e, offered + 1, 1, bound);             /* not that port */
    assert_int_equal(status(&e, offered).status, PV_EVTCHNSTAT_interdomain);
    assert_int_equal(evtchn_close(&other, bound), 0);
    evtchn_peer_left(&e, offered, 1, bound);
    struct pv_evtchn_status st = status(&e, offered);
    assert_int_equal(st.status, PV_EVTCHNSTAT_unbound);
    assert_int_equal(st.remote_dom, 1);
    assert_int_equal(st.remote_port, 0);
    assert_int_equal(status(&other, bound).status, PV_EVTCHNSTAT_closed);
    /* Offered again: VM 1 can bind anew. */
    assert_int_equal(evtchn_bind_interdomain(&other, 1, &e, 0, offered, &bound), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_offer_and_bind, setup),
        cmocka_unit_test_setup(test_binds_refused, setup),
        cmocka_unit_test_setup(test_loopback, setup),
        cmocka_unit_test_setup(test_peer_left, setup),
    };
    return RUN_UNIT_TESTS("evtchn_interdomain", tests);
}
