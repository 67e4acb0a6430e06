/*
 * fuzz_pci_config.c: hv/dev/pci_config.c, PCI configuration mechanism #1
 * and the reset control register, on arbitrary scripts of what a guest
 * can do at ports 0xCF8-0xCFF.
 *
 * The input is a script, two bytes a step and four more for a write's
 * value: the first byte's bit 0 says read or write, bits 2:1 the size (1,
 * 2, 4; 3 is 4 too), bits 5:3 the port 0xCF8 + n; the second byte is
 * ignored but for padding the step, so that a corpus's steps stay aligned.
 * Accesses the model does not handle (pci_config_handles false) are
 * skipped. After every step:
 *   - CONFIG_ADDRESS reads back with its reserved bits clear;
 *   - reads give, byte for byte, the host bridge's header (its IDs and
 *     class unchanged whatever was written) at bus 0 device 0 function 0
 *     and all ones at every other function, or with the enable bit clear;
 *   - a write asks for a reset exactly when its byte at 0xCF9 has bit 2,
 *     and 0xCF9 reads back no bit but bit 1.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/pci_config.h"

static uint8_t expected_config_byte(uint32_t address, unsigned offset)
{
    static const uint8_t header[12] = { 0x86, 0x80, 0x37, 0x12, 0x06, 0x00, 0x80, 0x02, 0x02, 0x00, 0x00, 0x06 };
    if (!(address & PCI_ADDRESS_ENABLE) || (address & 0x00FFFF00u))
        return 0xFF;
    unsigned reg = (address & 0xFC) + offset;
    return reg < sizeof header ? header[reg] : 0;
}

static void check_reads(const struct pci_config *p)
{
    uint32_t a = pci_config_read(p, PCI_PORT_ADDRESS, 4);
    FUZZ_CHECK((a & ~PCI_ADDRESS_WRITABLE) == 0, "CONFIG_ADDRESS reads 0x%08x", a);
    for (unsigned off = 0; off < 4; off++) {
        uint8_t got = (uint8_t)pci_config_read(p, (uint16_t)(PCI_PORT_DATA + off), 1);
        FUZZ_CHECK(got == expected_config_byte(a, off), "address 0x%08x byte %u reads 0x%02x", a, off, got);
    }
    uint32_t whole = pci_config_read(p, PCI_PORT_DATA, 4), bytes = 0;
    for (unsigned off = 0; off < 4; off++)
        bytes |= (uint32_t)expected_config_byte(a, off) << (8 * off);
    FUZZ_CHECK(whole == bytes, "a dword read 0x%08x, its bytes 0x%08x", whole, bytes);
    uint8_t rc = (uint8_t)pci_config_read(p, PCI_PORT_RESET, 1);
    FUZZ_CHECK((rc & ~PCI_RESET_HARD) == 0, "0xCF9 reads 0x%02x", rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct pci_config p;
    pci_config_reset(&p);
    check_reads(&p);
    while (in.pos < in.size) {
        uint8_t step = (uint8_t)fuzz_take(&in, 2);
        unsigned bytes = 1u << ((step >> 1) & 3);
        bytes = bytes > 4 ? 4 : bytes;
        uint16_t port = (uint16_t)(PCI_PORT_ADDRESS + ((step >> 3) & 7));
        uint32_t value = step & 1 ? (uint32_t)fuzz_take(&in, 4) : 0;
        if (!pci_config_handles(port, bytes))
            continue;
        if (step & 1) {
            bool reset = pci_config_write(&p, port, bytes, value);
            bool covers_rc = port <= PCI_PORT_RESET && port + bytes > PCI_PORT_RESET &&
                             !(port == PCI_PORT_ADDRESS && bytes == 4);
            bool asked = covers_rc && ((value >> (8 * (PCI_PORT_RESET - port))) & PCI_RESET_CPU);
            FUZZ_CHECK(reset == asked, "write 0x%x of %u bytes at 0x%x: reset %d", value, bytes, port, reset);
        } else {
            (void)pci_config_read(&p, port, bytes);
        }
        check_reads(&p);
    }
    return 0;
}
