/*
 * vm_acpi_pm.c: a VM's ACPI PM1a registers under devices=virtual. See
 * vm_acpi_pm.h.
 */
#include "exit/vm_acpi_pm.h"
#include "exit/vm_devices.h"
#include "guest/pc_firmware.h"
#include "guest/vm.h"
#include "poweroff.h"
#include "printf.h"
#include "exit/port_io.h"
#include "vmx/vmcs.h"

#define PM1_BYTES     6                 /* PM1_STS, PM1_EN, PM1_CNT: 2 bytes each */
#define PM1_EN_AT     2
#define PM1_CNT_AT    4
#define SCI_EN        (1u << 0)
#define SLP_TYP(cnt)  (((cnt) >> 10) & 7)
#define SLP_EN        (1u << 13)        /* write-only: reads 0 */
#define CNT_WRITABLE  0x1C02u                 /* SLP_TYP, BM_RLD */

static uint8_t read_byte(const struct vm_devices *d, unsigned at)
{
    uint16_t reg = at < PM1_EN_AT ? 0 : at < PM1_CNT_AT ? d->pm1_enable : (uint16_t)(d->pm1_control | SCI_EN);
    return (uint8_t)(reg >> (8 * (at & 1)));
}

static void write_byte(struct vm_devices *d, unsigned at, uint8_t byte)
{
    uint16_t *reg = at < PM1_EN_AT ? NULL : at < PM1_CNT_AT ? &d->pm1_enable : &d->pm1_control;
    if (!reg)
        return;                         /* PM1_STS: write 1 to clear, and nothing is set */
    unsigned shift = 8 * (at & 1);
    *reg = (uint16_t)((*reg & ~(0xFFu << shift)) | (unsigned)byte << shift);
}

bool vm_acpi_pm_exit(struct vcpu *v, const struct io_qual *io)
{
    if (io->port < PC_PM1A_EVT || io->port + io->size > PC_PM1A_EVT + PM1_BYTES)
        return false;
    struct vm_devices *d = v->vm->devices;
    unsigned at = io->port - PC_PM1A_EVT;
    if (io->in) {
        uint32_t value = 0;
        for (unsigned i = 0; i < io->size; i++)
            value |= (uint32_t)read_byte(d, at + i) << (8 * i);
        io_in_result(v, io, value);
    } else {
        bool sleep = false;
        for (unsigned i = 0; i < io->size; i++) {
            uint8_t byte = (uint8_t)(io_out_value(v, io) >> (8 * i));
            if (at + i == PM1_CNT_AT + 1 && (byte << 8) & SLP_EN)
                sleep = true;
            write_byte(d, at + i, byte);
        }
        d->pm1_control &= CNT_WRITABLE;
        if (sleep && SLP_TYP(d->pm1_control) == PC_SLP_TYP_S5) {
            printf("hv: %sguest: ACPI sleep state S5, soft off (SLP_TYP %u with SLP_EN in PM1a_CNT)\n",
                   v->guest->tag, PC_SLP_TYP_S5);
            printf("hv: %sguest stopped: it powered off with status 0\n", v->guest->tag);
            v->stopped = true;
            v->stop_status = POWEROFF_OK;
        }
    }
    advance_rip(v);
    return true;
}
