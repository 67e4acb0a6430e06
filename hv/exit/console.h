/*
 * console.h: the hypervisor's console (64-bit, ring 0).
 *
 * COM1 carries the hypervisor's lines and the guest's, relayed from the
 * emulated UART (uart.c) and quoted where they could pass for the
 * hypervisor's (guest_line.h). The lines that decide how the run ended, the
 * verdict lines, go to a private channel too: the debug port 0xE9 (Bochs's
 * port_e9_hack, QEMU's -debugcon), which the guest cannot write (exit_io.c
 * drops its writes there). The runner takes the outcome from that channel
 * once the hypervisor has announced itself on it (README.md, "Console
 * protocol").
 */
#pragma once
#include <stdint.h>
#include "exit/guest_line.h"

#define DEBUGCON_PORT 0xE9

/* From now on every line the hypervisor prints is watched: it ends a
 * half-written guest line first, and a verdict line is copied to port 0xE9.
 * Call it first in hv_main, before the first line. */
void console_init(void);
/* A VM's relay of its guest's lines to the console, its lines marked with
 * tag (guest_line.h: "" for VM 0, "(vm1) " for VM 1 ...). Each line goes
 * out whole, at its newline: VMs that share the CPU (sched.c) print at
 * once, and their lines must not cut into each other. A line longer than
 * the buffer goes out in pieces, and another VM's next byte, or the
 * hypervisor's next line, ends it first. The hypervisor's lines end the
 * half-written lines of the VM on the CPU (console_vm_turn) first, so
 * that they follow what it printed; another VM's half line waits for its
 * newline. */
#define CONSOLE_RELAY_LINE 512
struct console_relay {
    struct guest_line line;             /* guest_line.h: quoting, the tag */
    char text[CONSOLE_RELAY_LINE];      /* the line so far */
    unsigned len;
    unsigned vm;                        /* its VM's number */
};
void console_guest_init(struct console_relay *r, const char *tag, unsigned vm);
/* VM `vm` has the CPU (sched.c's turns), or, at CONSOLE_NO_VM, none: the
 * hypervisor's lines then end every guest's half line. */
#define CONSOLE_NO_VM (-1)
void console_vm_turn(int vm);
/* One byte a guest sent on its COM1 (the UART's transmit callback; ctx is
 * its VM's struct console_relay). */
void console_guest_byte(void *ctx, uint8_t byte);
/* Has VM 0's guest printed "INPUT ready", the console protocol's line
 * after which the runner types (tools/runner/typist.py)? Until then
 * nothing is typed, and the hypervisor does not look for input
 * (vm_input.c), which would slow every exit of every run. */
extern bool console_input_ready;      /* console.c's: set once, never cleared */
static inline bool console_input_expected(void)
{
    return console_input_ready;         /* inline: every VM entry with devices=virtual asks */
}
