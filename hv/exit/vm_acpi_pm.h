/*
 * vm_acpi_pm.h: a VM's ACPI power-management registers under
 * devices=virtual (64-bit, VMX root): the PM1a event and control blocks
 * the guest's FADT names (guest/pc_firmware.h), enough for a kernel to
 * power off as ACPI says (4.8.3.2, 7.4.2: SLP_TYPa from \_S5, with SLP_EN,
 * into PM1a_CNT).
 *
 *   PM1_STS  (PC_PM1A_EVT + 0)  no event ever: reads 0, writes clear nothing
 *   PM1_EN   (PC_PM1A_EVT + 2)  read and written, enables nothing
 *   PM1_CNT  (PC_PM1A_CNT)      SCI_EN reads 1 (no SMI command port: ACPI
 *                               mode from the start); SLP_TYP 5 with SLP_EN
 *                               powers the VM off, status 0; another sleep
 *                               type, which the DSDT does not offer, does
 *                               nothing
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* An I/O exit on those ports: emulated (true, RIP advanced), or not one of
 * them (false). */
bool vm_acpi_pm_exit(struct vcpu *v, const struct io_qual *io);
