/*
 * attacks_pci_kbc.c: the PC's chipset ports (issue 18) under
 * devices=virtual: PCI configuration mechanism #1 at 0xCF8/0xCFC, probed
 * as Linux's arch/x86/pci/direct.c probes it and written everywhere, and
 * the reset a kernel asks for through port 0xCF9, which must end the VM
 * and nothing else. With devices=machine there is no PCI: every port
 * reads all ones.
 */
#include <stdbool.h>
#include "attack.h"
#include "fmt.h"
#include "x86io.h"

#define PCI_ADDRESS 0xCF8
#define PCI_RESET   0xCF9
#define PCI_DATA    0xCFC

static uint32_t pci_address(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    outl(PCI_ADDRESS, pci_address(bus, dev, fn, reg & 0xFC));
    return inl(PCI_DATA);
}

/* Linux's pci_check_type1: a byte to 0xCFB (its type 2 probe), then
 * 0x80000000 written to CONFIG_ADDRESS must read back. */
static bool type1_present(void)
{
    outb(PCI_ADDRESS + 3, 0x01);
    uint32_t saved = inl(PCI_ADDRESS);
    outl(PCI_ADDRESS, 0x80000000u);
    bool present = inl(PCI_ADDRESS) == 0x80000000u;
    outl(PCI_ADDRESS, saved);
    return present;
}

/* The host bridge at 00.0 as the bare CPU's Bochs (its 440FX) has it. */
ATTACK(pc_pci_host_bridge, "pc-pci-host-bridge", "ept virtual vshadow vdepriv",
       "native; ept: result no PCI configuration mechanism #1",
       "find PCI's host bridge as Linux's probe does, and read its IDs, class and header type")
{
    if (!type1_present())
        result("no PCI configuration mechanism #1");
    uint32_t id = pci_read(0, 0, 0, 0), class = pci_read(0, 0, 0, 8), header = pci_read(0, 0, 0, 0x0C);
    result("00.0 %04x:%04x class %06x header type %02x", (unsigned)(id & 0xFFFF), (unsigned)(id >> 16),
           (unsigned)(class >> 8), (unsigned)((header >> 16) & 0xFF));
}

/* The whole of bus 0, the first function of every other bus, and the
 * data port at every size and byte offset. */
ATTACK(pc_pci_enumerate, "pc-pci-enumerate", "virtual vshadow vdepriv",
       "result bus 0: 00.0 8086:1237 class 060000 status 0x0280, 1 function on 256 buses, "
       "sizes agree, no cycle without the enable bit",
       "enumerate every bus as a kernel does, reading CONFIG_DATA at every size and offset")
{
    char text[160];
    int n = 0;
    unsigned found = 0;
    for (unsigned bus = 0; bus < 256; bus++)
        for (unsigned devfn = 0; devfn < (bus ? 1u : 256u); devfn++) {
            uint32_t id = pci_read(bus, devfn >> 3, devfn & 7, 0);
            if (id == 0xFFFFFFFF)
                continue;
            found++;
            if (n < 100)
                n += snprintf(text + n, sizeof text - n, "bus %u: %02x.%u %04x:%04x class %06x status 0x%04x, ",
                              bus, devfn >> 3, devfn & 7, (unsigned)(id & 0xFFFF), (unsigned)(id >> 16),
                              (unsigned)(pci_read(bus, devfn >> 3, devfn & 7, 8) >> 8),
                              (unsigned)(pci_read(bus, devfn >> 3, devfn & 7, 4) >> 16));
        }
    for (unsigned reg = 0; reg < 16; reg += 4) {
        uint32_t whole = pci_read(0, 0, 0, reg);
        for (unsigned off = 0; off < 4; off++)
            if (inb((uint16_t)(PCI_DATA + off)) != (uint8_t)(whole >> (8 * off)))
                result("register 0x%x byte %u reads otherwise than its dword 0x%08x", reg, off, (unsigned)whole);
        if (inw(PCI_DATA + 2) != (uint16_t)(whole >> 16) || inw(PCI_DATA + 1) != (uint16_t)(whole >> 8))
            result("register 0x%x's words read otherwise than its dword 0x%08x", reg, (unsigned)whole);
    }
    outl(PCI_ADDRESS, 0);                                   /* bus 0 device 0, enable clear */
    uint32_t off = inl(PCI_DATA);
    snprintf(text + n, sizeof text - n, "%u function on 256 buses, sizes agree, %s", found,
             off == 0xFFFFFFFF ? "no cycle without the enable bit" : "a cycle without the enable bit");
    result("%s", text);
}

/* Every register of the bridge and of functions that are not there,
 * written with all ones and all zeros at every size; CONFIG_ADDRESS's
 * reserved bits; byte and word writes to 0xCF8-0xCFB. Nothing changes:
 * the IDs read the same, the functions that were not there are not, and
 * the guest's memory is its own (a write that reached a real chipset's
 * registers, PAM or SMRAM, would change what low memory reads). */
ATTACK(pc_pci_writes, "pc-pci-writes", "virtual vshadow vdepriv",
       "result CONFIG_ADDRESS reads 0x80fffffc after 0xffffffff, every write dropped: the bridge's header "
       "and the missing functions read as before, low memory too",
       "write all ones and zeros to every configuration register at every size, and to CONFIG_ADDRESS's "
       "reserved bits")
{
    static const uint32_t marks[] = { 0xC0000, 0xE0000, 0xF0000, 0xA0000 - 4 };
    uint32_t before[4];
    for (unsigned i = 0; i < 4; i++) {
        before[i] = *(volatile uint32_t *)(uintptr_t)marks[i];
        *(volatile uint32_t *)(uintptr_t)marks[i] = 0x5A5A0000u + i;
    }
    uint32_t header[4];
    for (unsigned reg = 0; reg < 16; reg += 4)
        header[reg / 4] = pci_read(0, 0, 0, reg);
    outl(PCI_ADDRESS, 0xFFFFFFFF);
    uint32_t all = inl(PCI_ADDRESS);
    static const unsigned functions[][3] = { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 7 }, { 1, 0, 0 }, { 255, 31, 7 } };
    for (unsigned f = 0; f < 5; f++)
        for (unsigned reg = 0; reg < 256; reg += 4)
            for (unsigned v = 0; v < 2; v++) {
                uint32_t value = v ? 0xFFFFFFFF : 0;
                outl(PCI_ADDRESS, pci_address(functions[f][0], functions[f][1], functions[f][2], reg));
                outl(PCI_DATA, value);
                outw(PCI_DATA, (uint16_t)value);
                outw(PCI_DATA + 2, (uint16_t)value);
                for (unsigned off = 0; off < 4; off++)
                    outb((uint16_t)(PCI_DATA + off), (uint8_t)value);
            }
    outb(PCI_ADDRESS, 0xFF);                                /* not CONFIG_ADDRESS: a byte */
    outw(PCI_ADDRESS + 2, 0xFFFF);
    outb(PCI_RESET, 0x02);                                  /* the hard-reset choice, no reset */
    for (unsigned reg = 0; reg < 16; reg += 4)
        if (pci_read(0, 0, 0, reg) != header[reg / 4])
            breach("the bridge's register 0x%x reads 0x%08x after writes, 0x%08x before", reg,
                   (unsigned)pci_read(0, 0, 0, reg), (unsigned)header[reg / 4]);
    for (unsigned f = 1; f < 5; f++)
        if (pci_read(functions[f][0], functions[f][1], functions[f][2], 0) != 0xFFFFFFFF)
            breach("function %u.%u.%u answers after writes", functions[f][0], functions[f][1], functions[f][2]);
    for (unsigned i = 0; i < 4; i++) {
        uint32_t now = *(volatile uint32_t *)(uintptr_t)marks[i];
        *(volatile uint32_t *)(uintptr_t)marks[i] = before[i];
        if (now != 0x5A5A0000u + i)
            breach("0x%x reads 0x%08x after the configuration writes", (unsigned)marks[i], (unsigned)now);
    }
    result("CONFIG_ADDRESS reads 0x%08x after 0xffffffff, every write dropped: the bridge's header and the "
           "missing functions read as before, low memory too", (unsigned)all);
}

/* Linux's reboot=pci (arch/x86/kernel/reboot.c, BOOT_CF9_FORCE): 0x02,
 * then 0x06 to 0xCF9. The VM ends as powered off; the machine goes on. */
ATTACK(pc_pci_reset, "pc-pci-reset", "virtual vshadow vdepriv vdelay", "poweroff 0",
       "reset the machine through the chipset's reset control register, port 0xCF9")
{
    outb(PCI_RESET, 0x02);
    outb(PCI_RESET, 0x06);
    breach("still running after 0x06 to port 0xCF9");
}
