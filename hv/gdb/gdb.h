/*
 * gdb.h: where the GDB stub hooks into the hypervisor (64-bit, VMX root
 * operation). With gdb=off (the default) none of it runs and nothing
 * touches COM2, and the VM exits do not pass through it at all (exit.c).
 *
 *   gdb=hv     gdb debugs the hypervisor itself (gdb_hv.c): breakpoints are
 *              INT3 in its code, caught by its own IDT (trap.c); single steps
 *              use RFLAGS.TF and #DB; Ctrl-C is noticed at each VM exit.
 *   gdb=guest  gdb debugs the guest (gdb_guest.c): the guest's registers
 *              and memory, breakpoints and single steps through the
 *              exception bitmap, stops on chosen VM exits.
 *
 * The files, in reading order: gdb_target.h and gdb_target.c (what the
 * parts share), gdb_packet.c (framing), gdb_uart.c (COM2),
 * gdb_stub.c (the command loop), gdb_hv.c and gdb_guest.c (the two
 * targets), guest_linear.c (the guest's memory), gdb_monitor.c (the
 * `monitor` commands). handouts/debugging.md shows a session.
 */
#pragma once
#include <stdbool.h>
#include "boot/options.h"
#include "guest/vcpu.h"


/* Start the stub (main.c, once the options are known). gdb=hv stops here:
 * gdb gets control before VMX is even on. */
void gdb_init(enum gdb_mode mode);

/* gdb=guest: stop before the guest's first instruction (main.c). */
void gdb_guest_start(struct vcpu *v);

/* Every VM exit while the stub is on (exit.c's on_exit_with_gdb), before
 * the dispatcher. True if the debugger handled the exit itself (its own
 * breakpoint or single step): the dispatcher is then skipped. */
bool gdb_exit(struct vcpu *v);

/* cpu=deprivileged bt=1: the first thing at every VM exit, before the
 * translator leaves its translation (exit.c): gdb's single-step TF taken
 * out of RFLAGS, so that nothing the translator emulates or delivers sees
 * it (gdb_guest.c). gdb_exit follows, unless the exit was the
 * translator's alone. */
void gdb_exit_begin(struct vcpu *v);

/* cpu=deprivileged: after the exit's handling and the events the
 * hypervisor delivered in software, before the VM entry (exit.c). A step
 * that a delivery interrupted ends here, at the handler's first
 * instruction; one still under way gets its RFLAGS.TF (gdb_guest.c). */
void gdb_before_entry(struct vcpu *v);

/* The TSC ticks gdb has held the machine stopped since the last call: at
 * gdb_exit's own stops, and at breakpoints and single steps inside the
 * exit's handler (gdb=hv). exit.c makes them stand still for the VM. */
uint64_t gdb_take_held_time(void);

/* The VMs there are (main.c, once made), for `monitor vm`: with several,
 * gdb chooses which one the monitor commands look at. */
struct vm;
void gdb_set_vms(struct vm *const *vms, unsigned n);

/* The stub is on (gdb_init): exit.c then runs gdb_exit on every exit. */
extern bool gdb_enabled;
