/*
 * exit_io.c: IN and OUT to ports the I/O bitmaps intercept (64-bit, VMX
 * root operation; SDM vol. 3, 26.1.3 and 25.6.4).
 *
 * The guest's devices:
 *   0x3F8-0x3FF  COM1, the emulated 16550 UART (uart.c), whose output is
 *                copied to the hypervisor's own console;
 *   0xF4         the power-off port, compatible with QEMU's isa-debug-exit:
 *                the byte written is the guest's exit status;
 *   0x20, 0x21, 0xA0, 0xA1  the machine's own 8259A PICs, and
 *   0x40-0x43    its 8254 PIT, until lab 4 virtualises them: byte reads go
 *                to the chip, byte writes too once checked (pic_filter.c).
 * Every other intercepted port has no device behind it: reads give all ones,
 * as on an empty ISA bus, writes are dropped, and each port is reported once.
 * Port 0xE9 is one of them: it is the hypervisor's private verdict channel
 * (console.h), which no guest byte may reach.
 */
#include "exit/console.h"
#include "vmx/exit_info.h" /* io_qual_decode: the qualification (SDM 28.2.1, table 28-5) */
#include "exit/handlers.h"
#include "vmx/inject.h"
#include "exit/pic_filter.h"
#include "poweroff.h"
#include "printf.h"
#include "exit/uart.h"
#include "x86io.h"

#define COM1_BASE     0x3F8
#define POWEROFF_PORT 0xF4

static struct uart com1;

void exit_io_init(void)
{
    uart_init(&com1, console_guest_byte, NULL);
}

/* The PIT's ports. Bochs 2.7's 8254 takes every byte a guest can write
 * (every mode, BCD, the read-back and latch commands, counters 1 and 2, a
 * read of the control port: tests/kernels/hostile/attacks_devices.c tries
 * them), so each goes to it as it is. */
static bool pit_port(uint16_t port)
{
    return port >= 0x40 && port <= 0x43;
}

static struct pic_filter pics;

/* A byte the guest writes to the machine's PIC or PIT, unless the PIC
 * filter stops the guest instead. */
static void machine_write(struct vcpu *v, uint16_t port, uint8_t value)
{
    if (pic_port(port)) {
        struct pic_decision d = pic_filter_write(&pics, port, value);
        if (!d.pass) {
            guest_stop(v, POWEROFF_GUEST_STOPPED, "%s (port 0x%x, value 0x%02x)", d.why, port,
                       value);
            return;
        }
        value = d.value;
    }
    outb(port, value);
}

static uint8_t reported_ports[65536 / 8];

static void report_unknown_port(const struct io_qual *io)
{
    if (reported_ports[io->port / 8] & (1u << (io->port % 8)))
        return;
    reported_ports[io->port / 8] |= (uint8_t)(1u << (io->port % 8));
    printf("hv: guest %s port 0x%x: no device there (reads give all ones, writes are "
           "dropped)\n", io->in ? "reads" : "writes", io->port);
}

/* LAB 1 BEGIN: emulate port I/O */
static uint32_t port_read(const struct io_qual *io)
{
    if (io->port >= COM1_BASE && io->port < COM1_BASE + 8 && io->size == 1)
        return uart_read(&com1, io->port - COM1_BASE);
    if ((pic_port(io->port) || pit_port(io->port)) && io->size == 1)
        return inb(io->port);
    report_unknown_port(io);
    return 0xFFFFFFFF;
}

static void port_write(struct vcpu *v, const struct io_qual *io, uint32_t value)
{
    if (io->port >= COM1_BASE && io->port < COM1_BASE + 8 && io->size == 1) {
        uart_write(&com1, io->port - COM1_BASE, (uint8_t)value);
    } else if ((pic_port(io->port) || pit_port(io->port)) && io->size == 1) {
        machine_write(v, io->port, (uint8_t)value);
    } else if (io->port == POWEROFF_PORT) {
        /* The guest's own decision, whatever the status, not a fault: no
         * register dump (guest_stop gives one for every non-zero status).
         * The verdict says only success or failure: statuses 3 (panic) and
         * 4 (guest stopped) are the hypervisor's words, not the guest's. */
        printf("hv: guest stopped: it powered off with status %u\n", value & 0xFF);
        v->stopped = true;
        v->stop_status = (value & 0xFF) ? POWEROFF_FAIL : POWEROFF_OK;
    } else {
        report_unknown_port(io);
    }
}

void handle_io(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (io.string) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "string I/O (INS/OUTS) to port 0x%x is not "
                   "emulated", io.port);
        return;
    }
    uint64_t mask = io.size == 4 ? 0xFFFFFFFFull : (1ull << (8 * io.size)) - 1;
    if (io.in)
        v->regs.rax = (v->regs.rax & ~mask) | (port_read(&io) & mask);
    else
        port_write(v, &io, (uint32_t)(v->regs.rax & mask));
    advance_rip(v);
}
/* LAB 1 END */
