/*
 * test_pci_config.c: hv/dev/pci_config.c, PCI configuration mechanism #1
 * at 0xCF8/0xCFC and the reset control register at 0xCF9: the host
 * bridge a kernel's probe finds, "no device" everywhere else, writes that
 * change nothing, and the reset bit.
 */
#include "unit.h"
#include "dev/pci_config.h"

static struct pci_config p;

static int setup(void **state)
{
    (void)state;
    pci_config_reset(&p);
    return 0;
}

static uint32_t address(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return PCI_ADDRESS_ENABLE | bus << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t config_read(uint32_t addr, unsigned offset, unsigned size)
{
    pci_config_write(&p, PCI_PORT_ADDRESS, 4, addr);
    return pci_config_read(&p, (uint16_t)(PCI_PORT_DATA + offset), size);
}

/* Linux's pci_check_type1 (arch/x86/pci/direct.c): 0x80000000 written to
 * CONFIG_ADDRESS reads back; then its sanity check finds a host bridge. */
static void test_probe_finds_the_host_bridge(void **state)
{
    (void)state;
    assert_false(pci_config_write(&p, PCI_PORT_ADDRESS + 3, 1, 0x01));   /* its type 2 probe first */
    assert_false(pci_config_write(&p, PCI_PORT_ADDRESS, 4, PCI_ADDRESS_ENABLE));
    assert_int_equal(pci_config_read(&p, PCI_PORT_ADDRESS, 4), PCI_ADDRESS_ENABLE);
    assert_int_equal(config_read(address(0, 0, 0, 0), 0, 4), 0x12378086);
    assert_int_equal(config_read(address(0, 0, 0, 0x08), 0, 4), 0x06000002);   /* class, revision */
    assert_int_equal(config_read(address(0, 0, 0, 0x04), 0, 4), 0x02800006);   /* status, command */
    assert_int_equal(config_read(address(0, 0, 0, 0x0C), 2, 1), 0x00);         /* header type 0 */
    assert_int_equal(config_read(address(0, 0, 0, 0x40), 0, 4), 0);             /* the chipset's own */
    assert_int_equal(config_read(address(0, 0, 0, 0xFC), 0, 4), 0);
}

static void test_data_at_every_size_and_offset(void **state)
{
    (void)state;
    const uint32_t id = 0x12378086;
    for (unsigned size = 1; size <= 4; size *= 2)
        for (unsigned off = 0; off + size <= 4; off++) {
            uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
            assert_int_equal(config_read(address(0, 0, 0, 0), off, size), (id >> (8 * off)) & mask);
        }
}

static void test_no_device_elsewhere(void **state)
{
    (void)state;
    assert_int_equal(config_read(address(0, 1, 0, 0), 0, 4), 0xFFFFFFFF);
    assert_int_equal(config_read(address(0, 0, 1, 0), 0, 4), 0xFFFFFFFF);
    assert_int_equal(config_read(address(0, 31, 7, 0), 0, 2), 0xFFFF);
    assert_int_equal(config_read(address(1, 0, 0, 0), 0, 4), 0xFFFFFFFF);
    assert_int_equal(config_read(address(255, 0, 0, 0x08), 3, 1), 0xFF);
    /* Without the enable bit no configuration cycle runs. */
    assert_int_equal(config_read(address(0, 0, 0, 0) & ~PCI_ADDRESS_ENABLE, 0, 4), 0xFFFFFFFF);
}

static void test_address_register(void **state)
{
    (void)state;
    pci_config_write(&p, PCI_PORT_ADDRESS, 4, 0xFFFFFFFF);
    assert_int_equal(pci_config_read(&p, PCI_PORT_ADDRESS, 4), 0x80FFFFFC);   /* reserved bits read 0 */
    /* Byte and word accesses are not CONFIG_ADDRESS's: it keeps its value. */
    pci_config_write(&p, PCI_PORT_ADDRESS, 2, 0);
    pci_config_write(&p, PCI_PORT_ADDRESS + 2, 1, 0);
    assert_int_equal(pci_config_read(&p, PCI_PORT_ADDRESS, 4), 0x80FFFFFC);
    assert_int_equal(pci_config_read(&p, PCI_PORT_ADDRESS, 1), 0xFF);
    assert_int_equal(pci_config_read(&p, PCI_PORT_ADDRESS + 2, 2), 0xFFFF);
    /* The register bits' offset plus the data port's: reg 0x08 + 3. */
    pci_config_write(&p, PCI_PORT_ADDRESS, 4, address(0, 0, 0, 0x0B));  /* bits 1:0 dropped */
    assert_int_equal(pci_config_read(&p, PCI_PORT_DATA + 3, 1), 0x06);
}

static void test_writes_change_nothing(void **state)
{
    (void)state;
    for (unsigned reg = 0; reg < 256; reg += 4) {
        pci_config_write(&p, PCI_PORT_ADDRESS, 4, address(0, 0, 0, reg));
        for (unsigned size = 1; size <= 4; size *= 2)
            for (unsigned off = 0; off + size <= 4; off++)
                assert_false(pci_config_write(&p, (uint16_t)(PCI_PORT_DATA + off), size, 0));
    }
    assert_int_equal(config_read(address(0, 0, 0, 0), 0, 4), 0x12378086);
    assert_int_equal(config_read(address(0, 0, 0, 4), 0, 4), 0x02800006);
    assert_int_equal(config_read(address(0, 0, 0, 8), 0, 4), 0x06000002);
    pci_config_write(&p, PCI_PORT_ADDRESS, 4, address(0, 2, 0, 0));
    pci_config_write(&p, PCI_PORT_DATA, 4, 0x12345678);
    assert_int_equal(pci_config_read(&p, PCI_PORT_DATA, 4), 0xFFFFFFFF);
}

static void test_reset_control(void **state)
{
    (void)state;
    assert_int_equal(pci_config_read(&p, PCI_PORT_RESET, 1), 0);
    assert_false(pci_config_write(&p, PCI_PORT_RESET, 1, 0x02));         /* hard reset chosen, not yet */
    assert_int_equal(pci_config_read(&p, PCI_PORT_RESET, 1), 0x02);
    assert_false(pci_config_write(&p, PCI_PORT_RESET, 1, 0xF9));         /* reserved bits, no reset */
    assert_int_equal(pci_config_read(&p, PCI_PORT_RESET, 1), 0x00);
    assert_true(pci_config_write(&p, PCI_PORT_RESET, 1, 0x06));          /* Linux's reboot=pci */
    assert_true(pci_config_write(&p, PCI_PORT_RESET, 1, 0x04));
    assert_true(pci_config_write(&p, PCI_PORT_ADDRESS, 2, 0x0400));       /* 0xCF9 as a word's high byte */
    assert_false(pci_config_write(&p, PCI_PORT_ADDRESS, 4, 0x00000400)); /* CONFIG_ADDRESS, not 0xCF9 */
    assert_false(pci_config_write(&p, PCI_PORT_ADDRESS + 2, 2, 0x0404));
    pci_config_write(&p, PCI_PORT_RESET, 1, 0x02);
    assert_int_equal(pci_config_read(&p, PCI_PORT_ADDRESS, 2), 0x02FF);   /* 0xCF8 nothing, 0xCF9 RC */
}

static void test_ports(void **state)
{
    (void)state;
    assert_true(pci_config_handles(0xCF8, 4));
    assert_true(pci_config_handles(0xCFF, 1));
    assert_true(pci_config_handles(0xCFE, 2));
    assert_false(pci_config_handles(0xCFF, 2));                          /* past 0xCFF */
    assert_false(pci_config_handles(0xCFD, 4));
    assert_false(pci_config_handles(0xCF7, 1));
    assert_false(pci_config_handles(0xD00, 1));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_probe_finds_the_host_bridge),
        T(test_data_at_every_size_and_offset),
        T(test_no_device_elsewhere),
        T(test_address_register),
        T(test_writes_change_nothing),
        T(test_reset_control),
        T(test_ports),
    };
    return RUN_UNIT_TESTS("pci_config", tests);
}
