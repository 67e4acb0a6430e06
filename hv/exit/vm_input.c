/*
 * vm_input.c: console input for VM 0. See vm_input.h.
 */
#include "exit/vm_input.h"
#include "dev/i8042.h"
#include "dev/pit.h"
#include "exit/console.h"
#include "exit/uart_rx.h"
#include "exit/vm_devices.h"
#include "exit/vm_ioapic.h"
#include "exit/vm_lapic.h"
#include "exit/vm_kbc.h"
#include "guest/vm.h"
#include "serial.h"
#include "exit/port_io.h"
#include "x86/x86.h"
#include "printf.h"
#include "x86io.h"

#define IRQ_COM1       4
#define POLL_BYTES     UART_RX_FIFO     /* at most a FIFO's worth from the machine a poll */
#define POLL_EVERY_PIT (PIT_HZ / 1000)  /* a millisecond in PIT clocks: at VM entries */
#define POLL_READS_PIT (PIT_HZ / 10000) /* 0.1 ms: at the guest's reads of a status (each
                                           guest byte out reads COM1's LSR first) */

static void update_com1_irq(struct vm_devices *d)
{
    vm_isa_irq(d, IRQ_COM1, uart_rx_irq(&d->com1_rx, &d->com1));
}

/* Each device takes the typed bytes at its own pace: COM1's receiver
 * while its FIFO has room, the keyboard while its output buffer has room
 * for a key's codes. A byte stays in the VM's buffer until both have it;
 * a full buffer takes no more from the machine (its COM1 and the
 * terminal behind it hold them), unless one device has them all: then
 * the other, not read, loses its oldest, so a guest that reads only one
 * of the two gets every byte. */
static void feed_devices(struct vm_devices *d)
{
    struct vm_input *in = &d->input;
    while (in->uart_fed < in->typed && d->com1_rx.count < UART_RX_FIFO)
        uart_rx_put(&d->com1_rx, in->buffer[in->uart_fed++ % VM_INPUT_BUFFER]);
    while (in->kbc_fed < in->typed &&
           i8042_type(&d->kbc, in->buffer[in->kbc_fed % VM_INPUT_BUFFER]) != I8042_NO_ROOM)
        in->kbc_fed++;
}

/* A PV guest's console ring (pv/pv_events.c) is a third device, or none. */
static uint64_t ring_fed(const struct vm_input *in)
{
    return in->ring ? in->ring_fed : in->typed;
}

static bool buffer_full(struct vm_input *in)
{
    uint64_t oldest = in->uart_fed < in->kbc_fed ? in->uart_fed : in->kbc_fed;
    oldest = ring_fed(in) < oldest ? ring_fed(in) : oldest;
    if (in->typed - oldest < VM_INPUT_BUFFER)
        return false;
    if (in->uart_fed != in->typed && in->kbc_fed != in->typed && ring_fed(in) != in->typed)
        return true;
    /* One device has them all: the others, not read, lose their oldest. */
    in->uart_fed += in->uart_fed == oldest;
    in->kbc_fed += in->kbc_fed == oldest;
    in->ring_fed += in->ring && in->ring_fed == oldest;
    in->lost++;
    return false;
}

void vm_input_poll(struct vcpu *v)
{
    if (!v->vm->devices->takes_input || !console_input_expected())
        return;
    struct vm_devices *d = v->vm->devices;
    struct vm_input *in = &d->input;
    /* The machine's 16550: LSR's DR, then RBR (PC16550D "Register Summary"). */
    for (unsigned got = 0; got < POLL_BYTES && !buffer_full(in) &&
                           (inb(COM1_PORT + UART_LSR) & UART_LSR_DR); got++)
        in->buffer[in->typed++ % VM_INPUT_BUFFER] = inb(COM1_PORT + UART_RBR_THR);
    if (in->uart_fed == in->typed && in->kbc_fed == in->typed)
        return;                         /* nothing new for either device (a console ring takes its own) */
    feed_devices(d);
    update_com1_irq(d);
    vm_kbc_update_irqs(d, false);
}

uint64_t vm_input_next_poll_tsc(const struct vm_devices *d)
{
    if (!d->takes_input || !console_input_expected())
        return UINT64_MAX;
    bool keyboard = (d->kbc.ram[0] & I8042_CTR_KBDINT) && vm_isa_irq_reaches_cpu(d, IRQ_KEYBOARD);
    bool com1 = (d->com1.ier & UART_IER_RDA) && (d->com1.mcr & UART_MCR_OUT2) &&
                vm_isa_irq_reaches_cpu(d, IRQ_COM1);
    return keyboard || com1 || d->input.ring ? vm_clock_tsc_at(&d->clock, d->input_next_poll) : UINT64_MAX;
}

/* A poll, if the last was `every` PIT clocks of the VM's time ago. */
static void poll_if_due(struct vcpu *v, uint64_t tsc, uint64_t every)
{
    if (!console_input_expected())
        return;
    struct vm_devices *d = v->vm->devices;
    uint64_t now = vm_clock_pit_at(&d->clock, tsc);
    if (now < d->input_next_poll)
        return;
    d->input_next_poll = now + every;
    vm_input_poll(v);
}

void vm_input_poll_if_due(struct vcpu *v, uint64_t tsc)
{
    poll_if_due(v, tsc, POLL_EVERY_PIT);
}

bool vm_input_exit(struct vcpu *v, const struct io_qual *io)
{
    if (io->size != 1)
        return false;
    if (io->in && io->port == I8042_PORT_COMMAND) {
        poll_if_due(v, rdtsc(), POLL_READS_PIT);    /* a guest polling the keyboard waits for keys */
        return false;                   /* which vm_kbc_exit gives */
    }
    struct vm_devices *d = v->vm->devices;
    if (io->port < COM1_PORT || io->port >= COM1_PORT + 8 ||
        !(console_input_expected() || uart_rx_looped(&d->com1)))
        return false;                   /* before any input, COM1 is exit_io.c's as it was */
    unsigned reg = io->port - COM1_PORT;
    if (io->in) {
        if (reg == UART_LSR)
            poll_if_due(v, rdtsc(), POLL_READS_PIT);    /* a guest polling for input */
        uint8_t value;
        if (!uart_rx_read(&d->com1_rx, &d->com1, reg, uart_read(&d->com1, reg), &value))
            value = uart_read(&d->com1, reg);
        io_in_result(v, io, value);
    } else if (!uart_rx_write(&d->com1_rx, &d->com1, reg, (uint8_t)io_out_value(v, io))) {
        uart_write(&d->com1, reg, (uint8_t)io_out_value(v, io));
    }
    if (reg == UART_RBR_THR || reg == UART_IER || reg == UART_MCR)
        update_com1_irq(d);             /* RBR taken or looped back, IER or MCR written */
    advance_rip(v);
    return true;
}

void vm_input_print_stats(const struct vcpu *v)
{
    const struct vm_input *in = &v->vm->devices->input;
    if (!in->typed)
        return;
    printf("hv: %sinput: %lu bytes typed, %lu to COM1's receiver, %lu to the keyboard", v->guest->tag,
           in->typed, in->uart_fed, in->kbc_fed);
    if (in->ring)
        printf(", %lu to the console ring", in->ring_fed);
    printf(", %lu lost\n", in->lost);
}
