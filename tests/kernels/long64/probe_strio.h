/*
 * probe_strio.h: long64's probe=strio (probe_strio.c): string I/O from
 * 64-bit code through 4-level paging. Prints its lines; true if all
 * passed. Its options, on the command line too: nopci (leave out the dword
 * checks on PCI's CONFIG_ADDRESS), outside=N (hostile: the window's entry
 * at level N, 4 the PML4E ... 1 the PTE, points outside guest RAM).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

bool probe_strio(uint32_t magic, uint32_t info);

/* long64.c: the kernel's command line holds `probe` (Multiboot). */
bool probe_asked(uint32_t magic, uint32_t info, const char *probe);
