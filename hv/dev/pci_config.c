/*
 * pci_config.c: PCI configuration mechanism #1 and the reset control
 * register. See pci_config.h.
 */
#include "dev/pci_config.h"

/* The 82441FX's configuration header as it leaves reset (82441FX data
 * sheet, 3.2): vendor and device ID, command 0x0006 (memory space, bus
 * master), status 0x0280 (fast back-to-back capable, medium DEVSEL),
 * revision 0x02, class 06/00/00 (a host bridge), header type 0. The
 * chipset's own registers from 0x40 on read 0: the firmware's settings
 * (PAM, DRAM rows) mean nothing to a guest whose memory is the VM's. */
static const uint8_t host_bridge[16] = {
    0x86, 0x80, 0x37, 0x12,             /* 0x00 vendor, device */
    0x06, 0x00, 0x80, 0x02,             /* 0x04 command, status */
    0x02, 0x00, 0x00, 0x06,             /* 0x08 revision, class (prog. if, subclass, base) */
    0x00, 0x00, 0x00, 0x00,             /* 0x0C cache line, latency, header type 0, BIST */
};

void pci_config_reset(struct pci_config *p)
{
    *p = (struct pci_config){ 0 };
}

bool pci_config_handles(uint16_t port, unsigned size)
{
    return port >= PCI_PORT_ADDRESS && port + size <= PCI_PORTS_END;
}

static bool is_address_register(uint16_t port, unsigned size)
{
    return port == PCI_PORT_ADDRESS && size == 4;
}

/* The configuration byte at `offset` of CONFIG_DATA's four, for the
 * function CONFIG_ADDRESS selects; all ones where no device answers. */
static uint8_t config_byte(const struct pci_config *p, unsigned offset)
{
    if (!(p->address & PCI_ADDRESS_ENABLE))
        return 0xFF;                    /* no configuration cycle: an I/O read of nothing */
    bool bridge = (p->address & 0x00FFFF00u) == 0;      /* bus 0, device 0, function 0 */
    unsigned reg = (p->address & 0xFCu) + offset;
    if (!bridge)
        return 0xFF;
    return reg < sizeof host_bridge ? host_bridge[reg] : 0;
}

/* One byte of 0xCF8-0xCFF read, other than CONFIG_ADDRESS's dword. */
static uint8_t read_byte(const struct pci_config *p, uint16_t port)
{
    if (port >= PCI_PORT_DATA)
        return config_byte(p, port - PCI_PORT_DATA);
    return port == PCI_PORT_RESET ? p->reset_control : 0xFF;
}

uint32_t pci_config_read(const struct pci_config *p, uint16_t port, unsigned size)
{
    if (is_address_register(port, size))
        return p->address;
    uint32_t value = 0;
    for (unsigned i = 0; i < size; i++)
        value |= (uint32_t)read_byte(p, (uint16_t)(port + i)) << (8 * i);
    return value;
}

bool pci_config_write(struct pci_config *p, uint16_t port, unsigned size, uint32_t value)
{
    if (is_address_register(port, size)) {
        p->address = value & PCI_ADDRESS_WRITABLE;
        return false;
    }
    /* CONFIG_DATA's writes are dropped: the bridge's registers are read-only
     * here, and no other function exists. */
    if (port > PCI_PORT_RESET || port + size <= PCI_PORT_RESET)
        return false;
    uint8_t byte = (uint8_t)(value >> (8 * (PCI_PORT_RESET - port)));
    /* QEMU's PIIX3 (hw/isa/piix.c, rcr_write) keeps bit 1 alone and resets
     * on bit 2, which never reads back as set: each write of it is the
     * 0-to-1 transition the data sheet asks for. */
    p->reset_control = byte & PCI_RESET_HARD;
    return (byte & PCI_RESET_CPU) != 0;
}
