/*
 * pci_config.h: a VM's PCI configuration space, through configuration
 * mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2), and the reset
 * control register a PC's chipset has inside its address port (issue 18).
 * A pure model: the hypervisor (the I/O exit, exit/vm_pci.c) and the host
 * unit tests (tests/unit/test_pci_config.c) run it as it is.
 *
 * Ports 0xCF8-0xCFF:
 *   0xCF8  CONFIG_ADDRESS, a dword register: only a dword access reaches it
 *          (3.2.2.3.2: "anything else ... is a normal I/O access"); bit 31
 *          enables the cycle, bits 23:16 the bus, 15:11 the device, 10:8
 *          the function, 7:2 the register; bits 30:24 and 1:0 are reserved
 *          and read 0;
 *   0xCF9  the reset control register of Intel's PIIX3 (82371SB data
 *          sheet, 2.2.1 "RC - Reset Control Register"), reached by the byte
 *          accesses that are not CONFIG_ADDRESS's: bit 1 chooses a hard
 *          reset, and setting bit 2 resets the machine (a write the model
 *          reports; the hypervisor ends the VM, vm_pci.c);
 *   0xCFC  CONFIG_DATA, four bytes read or written at any size and offset:
 *          the register CONFIG_ADDRESS selects, plus the offset.
 * Bus 0, device 0, function 0 is a host bridge, Intel's 440FX (82441FX
 * PMC data sheet, 3.2 "PCI Configuration Registers": 8086:1237, class
 * 06/00/00, header type 0), whose registers read as that data sheet's
 * defaults; every other function is "no device", whose reads give all
 * ones (3.2.2.3.4: the master aborts). The guest can change nothing:
 * every configuration write is dropped, so a kernel probing the buses
 * finds one bridge whatever it wrote. The other bytes of 0xCF8-0xCFB
 * (byte and word accesses) have no device: all ones, writes dropped.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PCI_PORT_ADDRESS 0xCF8
#define PCI_PORT_RESET   0xCF9
#define PCI_PORT_DATA    0xCFC
#define PCI_PORTS_END    0xD00          /* one past CONFIG_DATA's last byte */

#define PCI_ADDRESS_ENABLE   0x80000000u
#define PCI_ADDRESS_WRITABLE 0x80FFFFFCu    /* bits 30:24 and 1:0 reserved, read 0 */
#define PCI_RESET_HARD       0x02u      /* RC bit 1: kept, read back */
#define PCI_RESET_CPU        0x04u      /* RC bit 2: reset now; reads 0 */

#define PCI_HOST_BRIDGE_VENDOR 0x8086
#define PCI_HOST_BRIDGE_DEVICE 0x1237

struct pci_config {
    uint32_t address;                   /* CONFIG_ADDRESS */
    uint8_t reset_control;              /* 0xCF9's kept bit */
};

/* Power-on: no register selected, the cycle disabled. */
void pci_config_reset(struct pci_config *p);

/* Is an access of `size` bytes (1, 2 or 4) at `port` wholly within
 * 0xCF8-0xCFF, the model's? */
bool pci_config_handles(uint16_t port, unsigned size);

/* A read of `size` bytes at `port` (pci_config_handles), in the low bytes. */
uint32_t pci_config_read(const struct pci_config *p, uint16_t port, unsigned size);

/* A write: true if it asks for the machine's reset (0xCF9's bit 2). */
bool pci_config_write(struct pci_config *p, uint16_t port, unsigned size, uint32_t value);
