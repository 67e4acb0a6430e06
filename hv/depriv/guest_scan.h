/*
 * guest_scan.h: the guest kernel's code, scanned for the sensitive
 * instructions that would not trap if it ran at ring 1 (sensitive.h):
 * option scan=1 lists them before the guest starts. Lab 3's
 * scan-and-patch starts from this list.
 */
#pragma once
#include "boot/boot_info.h"

/* Scan the code sections of the guest kernel (module 0's ELF file) and
 * print one "hv: scan: ..." line per sensitive instruction, then a line
 * per code section and the totals per kind. */
void guest_scan_print(const struct boot_module *kernel);
