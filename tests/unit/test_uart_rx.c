/*
 * test_uart_rx.c: hv/exit/uart_rx.c, the emulated 16550's receiver beside
 * uart.c's registers: RBR, LSR's DR and OE, IIR's "received data
 * available", IRQ 4 gated by IER and MCR's OUT2, the FIFO's 16 bytes,
 * loopback mode (MSR from MCR, THR's bytes back in RBR).
 */
#include "unit.h"
#include "exit/uart_rx.h"

static struct uart u;
static struct uart_rx rx;

/* The registers as uart.c keeps them after uart_init (lab 1's code,
 * which this test does not link: a lab 1 tree has it to write). */
static int setup(void **state)
{
    (void)state;
    u = (struct uart){ .lcr = 0x03, .dll = 1 };
    rx = (struct uart_rx){ 0 };
    return 0;
}

/* What uart.c's uart_read answers for the registers the receiver changes,
 * with no input of its own. */
static uint8_t base(unsigned reg)
{
    switch (reg) {
    case UART_RBR_THR: return (u.lcr & UART_LCR_DLAB) ? u.dll : 0;
    case UART_IIR_FCR: return UART_IIR_NO_INT | ((u.fcr & 1) ? UART_IIR_FIFO : 0);
    case UART_LSR:     return UART_LSR_THRE | UART_LSR_TEMT;
    default:           return 0xFF;
    }
}

/* A read as the hypervisor makes it: the receiver's answer, else the
 * registers'. */
static uint8_t reg_read(unsigned reg)
{
    uint8_t value;
    return uart_rx_read(&rx, &u, reg, base(reg), &value) ? value : base(reg);
}

static void test_nothing_received(void **state)
{
    (void)state;
    assert_int_equal(reg_read(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(reg_read(UART_RBR_THR), 0);
    assert_int_equal(reg_read(UART_IIR_FCR), UART_IIR_NO_INT);
    u.ier = UART_IER_RDA;
    u.mcr = UART_MCR_OUT2;
    assert_false(uart_rx_irq(&rx, &u));
}

static void test_bytes_in_order(void **state)
{
    (void)state;
    assert_true(uart_rx_put(&rx, 'h'));
    assert_true(uart_rx_put(&rx, 'i'));
    assert_int_equal(reg_read(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    assert_int_equal(reg_read(UART_RBR_THR), 'h');
    assert_int_equal(reg_read(UART_RBR_THR), 'i');
    assert_int_equal(reg_read(UART_LSR) & UART_LSR_DR, 0);
    /* DLAB set: RBR's address is the divisor latch, nothing is taken. */
    assert_true(uart_rx_put(&rx, 'x'));
    u.lcr = UART_LCR_DLAB | 3;
    assert_int_equal(reg_read(UART_RBR_THR), 1);          /* DLL */
    u.lcr = 3;
    assert_int_equal(reg_read(UART_RBR_THR), 'x');
}

static void test_interrupt(void **state)
{
    (void)state;
    uart_rx_put(&rx, 'a');
    assert_false(uart_rx_irq(&rx, &u));                    /* IER 0 */
    assert_int_equal(reg_read(UART_IIR_FCR), UART_IIR_NO_INT);
    u.ier = UART_IER_RDA;
    assert_false(uart_rx_irq(&rx, &u));                    /* OUT2 low: the PC's line gated */
    assert_int_equal(reg_read(UART_IIR_FCR), UART_IIR_RDA);
    u.mcr = UART_MCR_OUT2 | 3;
    assert_true(uart_rx_irq(&rx, &u));
    u.fcr = 0x01;                                          /* FIFOs on: IIR's bits 7:6 */
    assert_int_equal(reg_read(UART_IIR_FCR), UART_IIR_FIFO | UART_IIR_RDA);
    assert_int_equal(reg_read(UART_RBR_THR), 'a');
    assert_false(uart_rx_irq(&rx, &u));
    assert_int_equal(reg_read(UART_IIR_FCR), UART_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_overrun(void **state)
{
    (void)state;
    for (unsigned i = 0; i < UART_RX_FIFO; i++)
        assert_true(uart_rx_put(&rx, (uint8_t)i));
    assert_false(uart_rx_put(&rx, 0xEE));
    assert_int_equal(rx.dropped, 1);
    assert_int_equal(reg_read(UART_LSR) & (UART_LSR_DR | UART_LSR_OE), UART_LSR_DR | UART_LSR_OE);
    assert_int_equal(reg_read(UART_LSR) & UART_LSR_OE, 0);  /* cleared by the read */
    for (unsigned i = 0; i < UART_RX_FIFO; i++)
        assert_int_equal(reg_read(UART_RBR_THR), i);
    assert_int_equal(reg_read(UART_LSR) & UART_LSR_DR, 0);
}

/* MCR's LOOP: MSR bits 4-7 are RTS, DTR, OUT1, OUT2 (PC16550D, "Modem
 * Control Register" bit 4), what Linux's 8250 driver tests (MCR 0x1A must
 * read 0x90); THR's byte comes back to the receiver and is not sent. */
static void test_loopback(void **state)
{
    (void)state;
    uint8_t value;
    assert_false(uart_rx_read(&rx, &u, UART_MSR, 0xB0, &value));   /* not looped: uart_read's */
    assert_false(uart_rx_write(&rx, &u, UART_RBR_THR, 'a'));
    u.mcr = UART_MCR_LOOP | 0x0A;                                  /* RTS, OUT2 */
    assert_true(uart_rx_read(&rx, &u, UART_MSR, 0xB0, &value));
    assert_int_equal(value, 0x90);                                 /* CTS, DCD */
    u.mcr = UART_MCR_LOOP | 0x01;                                  /* DTR */
    assert_true(uart_rx_read(&rx, &u, UART_MSR, 0xB0, &value));
    assert_int_equal(value, 0x20);                                 /* DSR */
    u.mcr = UART_MCR_LOOP | 0x04;                                  /* OUT1 */
    assert_true(uart_rx_read(&rx, &u, UART_MSR, 0xB0, &value));
    assert_int_equal(value, 0x40);                                 /* RI */
    assert_true(uart_rx_write(&rx, &u, UART_RBR_THR, 'k'));
    assert_false(uart_rx_write(&rx, &u, UART_LCR, 0x03));          /* only THR loops */
    assert_int_equal(reg_read(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    assert_int_equal(reg_read(UART_RBR_THR), 'k');
    u.lcr = UART_LCR_DLAB | 3;                                     /* DLL, not THR */
    assert_false(uart_rx_write(&rx, &u, UART_RBR_THR, 1));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_nothing_received),
        T(test_bytes_in_order),
        T(test_interrupt),
        T(test_overrun),
        T(test_loopback),
    };
    return RUN_UNIT_TESTS("uart_rx", tests);
}
