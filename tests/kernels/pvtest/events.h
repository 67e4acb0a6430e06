/*
 * events.h: the PV test kernel's event side (lib/pv_abi.h section 6), for
 * cases_events.c and cases_balloon.c: the upcall handler on a vector of
 * its own, the shared-info page, the time record read in its version
 * loop, and the event-channel calls; for the cases between VMs, a grant
 * mapped.
 */
#pragma once
#include <stdint.h>
#include "pv_abi.h"

#define UPCALL_VECTOR 0x40

/* What the upcall handler saw: upcalls taken, taken while upcall_mask was
 * set (never: the hypervisor must not), the system time at the last one
 * (read, and the time record's own: the hypervisor's time at the VM entry
 * that delivered it, when it raised what was due), and events handled per
 * port (ports 0-63). */
extern volatile uint32_t upcalls, upcalls_while_masked;
extern volatile uint64_t last_upcall_ns, last_upcall_record_ns;
extern volatile uint32_t port_events[64];
/* Called first by every upcall, if set: what a case wants to see at it. */
extern void (*volatile upcall_hook)(void);

struct pv_shared_info *shared_info(void);

/* The IDT widened to 256 gates with the upcall's at UPCALL_VECTOR, and
 * set_callbacks(UPCALL_VECTOR); 0 or the call's error. */
int32_t events_install(void);

/* The guest's virtual IF on and the CPU's IF on. */
void events_on(void);

/* Both, and the timer's VIRQ bound with a deadline give_up_ms from now
 * that ends any block should another VM never answer (a case's loops then
 * give up); a FAILED result if that cannot be done. For the cases
 * between VMs. */
void events_up(uint64_t give_up_ms);

/* The system time now, read in the version loop (ns). */
uint64_t pv_now(void);

/* event_channel_op's calls; bind_virq's port in *port. */
int32_t evtchn_bind_virq(uint32_t virq, uint32_t *port);
int32_t evtchn_port_op(uint32_t cmd, uint32_t port);

/* set_timer_op(deadline) and sched_op block. */
int32_t set_timer(uint64_t deadline_ns);
int32_t block(void);

/* Block until `n` upcalls have come (at most `tries` blocks); the count. */
uint32_t block_until_upcalls(uint32_t n, uint32_t tries);

/* Spin, making hypercalls (each exit a look for events), until system time
 * ns has passed. */
void spin_until(uint64_t ns);

/* Another VM's grant (domain dom's ref) mapped at own_page, a page of the
 * case's own whose mapping it replaces, retried (yielding the CPU between
 * tries) until granted; a FAILED result after tries. */
void *map_grant_over(void *own_page, uint32_t dom, uint32_t ref, uint32_t tries);
