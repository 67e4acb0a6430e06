/*
 * vm_input.h: console input for a VM under devices=virtual (64-bit, VMX
 * root). What is typed on the machine's console (its COM1: tools/hvrun
 * --input) goes to the guest's COM1 receiver (uart_rx.h: RBR, LSR's DR,
 * IRQ 4 if IER and MCR's OUT2 enable it) and, as a key pressed and
 * released, to its keyboard controller (vm_kbc.h: IRQ 1).
 *
 * The hypervisor polls the machine's COM1 (its LSR's DR; no interrupt: the
 * machine's PICs are the hypervisor's and masked) when the guest polls its
 * own UART's LSR or the controller's status, and at most once a
 * millisecond of the VM's time before its VM entries, so that a guest
 * waiting for IRQ 4 or IRQ 1 gets its bytes at its next timer tick. With
 * several VMs, the input is VM 0's: the others have none. All of it
 * starts once VM 0's guest has printed "INPUT ready", after which the
 * runner types (console.c: the machine's COM1 FIFO then off, so that it
 * holds typed bytes until they are taken); before, no input can come, and
 * no exit pays for looking. COM1's loopback mode (uart_rx.h), with which
 * a kernel tests that its UART is there, comes here at any time.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "exit/console.h"
#include "guest/vcpu.h"

struct vm_devices;

/* Takes what the machine's COM1 received into VM 0's devices. */
void vm_input_poll(struct vcpu *v);

/* Before a VM entry at TSC value tsc: polls if a millisecond has passed.
 * Inline as far as the test that input is expected at all, which is
 * false in most runs and made before every entry: a call less. */
void vm_input_poll_if_due(struct vcpu *v, uint64_t tsc);
static inline void vm_input_tick(struct vcpu *v, uint64_t tsc)
{
    if (console_input_expected())
        vm_input_poll_if_due(v, tsc);
}

/* When the VM's next poll is due (TSC), if typed input would bring it an
 * interrupt that can reach its CPU (IRQ 1 with the keyboard's interrupt
 * enabled in the command byte, or IRQ 4 with COM1's IER bit 0 and MCR's
 * OUT2) or an event (a PV guest's console ring, input.ring): a timer event
 * of the VM's (vm_interrupts.c), so that a guest halted for a key, with no
 * timer of its own, is woken to look. Else UINT64_MAX (not VM 0, no input
 * expected, or nothing to wait for). */
uint64_t vm_input_next_poll_tsc(const struct vm_devices *d);
static inline uint64_t vm_input_poll_tsc(const struct vm_devices *d)
{
    return console_input_expected() ? vm_input_next_poll_tsc(d) : UINT64_MAX;   /* as vm_input_tick */
}

/* "hv: input: 45 bytes typed, 45 to COM1's receiver, 7 to the keyboard, 0
 * lost", once the VM has ended, if anything was typed. */
void vm_input_print_stats(const struct vcpu *v);

/* A byte I/O exit on the guest's COM1 (0x3F8-0x3FF), once input is
 * expected or in loopback mode: the UART with its receiver, emulated
 * (true, RIP advanced). A read of the keyboard
 * controller's status polls first, and is left to vm_kbc_exit (false), as
 * is every other exit. */
bool vm_input_exit(struct vcpu *v, const struct io_qual *io);
