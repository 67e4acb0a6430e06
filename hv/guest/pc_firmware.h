/*
 * pc_firmware.h: what a PC's firmware leaves in low memory for a kernel to
 * find (64-bit, VMX root; issue 18, "the PC a kernel expects"):
 *
 *   0x00400  the BIOS Data Area: COM1's port, the EBDA's segment, 639 KiB
 *            of base memory, the equipment word
 *   0x9FC00  the Extended BIOS Data Area (1 KiB): its size, then the Intel
 *            MP floating pointer and configuration table (MP spec 1.4),
 *            where a kernel searches first (the BDA's word at 0x40E)
 *   0xF0000  the BIOS area: ACPI's RSDP (revision 2, in the area a kernel
 *            searches, 0xE0000-0xFFFFF), its RSDT and XSDT, the MADT, and
 *            the FADT with its FACS and a DSDT whose one object is \_S5
 *            (the soft-off state: SLP_TYP 5 in PM1a_CNT, which
 *            exit/vm_acpi_pm.c takes as the guest's power-off)
 *
 * With devices=virtual the tables describe the VM's own devices: one CPU,
 * its local APIC at 0xFEE00000, the I/O APIC at 0xFEC00000 with the ISA
 * IRQs on its pins (IRQ 0, the PIT, on pin 2), the 8259As in virtual wire
 * mode (LINT0 ExtINT, LINT1 NMI). With devices=machine the guest has no
 * APIC a kernel may use (labs 1-3), and, as on a PC without one, there are
 * neither tables: only the BDA and the EBDA.
 */
#pragma once
#include <stdbool.h>
#include "guest/guest.h"

#define PC_EBDA_BASE 0x9FC00u
#define PC_BIOS_AREA 0xF0000u

/* The VM's devices as the tables describe them (exit/vm_lapic.c and
 * exit/vm_ioapic.c assert that their models agree). */
#define PC_LAPIC_BASE      0xFEE00000u
#define PC_LAPIC_VERSION   0x14u     /* an xAPIC's (the version register's low byte) */
#define PC_IOAPIC_BASE     0xFEC00000u
#define PC_IOAPIC_ID       0u        /* its ID register after power-up */
#define PC_IOAPIC_VERSION  0x20u
#define PC_IRQ0_PIN        2u        /* the PIT's IRQ 0, as on a PC */
#define PC_PM1A_EVT        0x600u    /* the FADT's PM1a event block: PM1_STS, PM1_EN */
#define PC_PM1A_CNT        0x604u    /* its PM1a control block: PM1_CNT */
#define PC_SLP_TYP_S5      5u        /* \_S5's SLP_TYPa in the DSDT */
#define PC_SCI_IRQ         9u

/* Write them into the guest's RAM (before its kernel is loaded: a kernel
 * that loads over them, in memory the map calls reserved, wins). */
void pc_firmware_write(struct guest *g, bool apics);
