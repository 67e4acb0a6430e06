/*
 * probe_strio.h: long64's probe=strio (probe_strio.c): string I/O from
 * 64-bit code through 4-level paging. Prints its lines; true if all passed.
 * nopci: leave out the dword checks on PCI's CONFIG_ADDRESS.
 */
#pragma once
#include <stdbool.h>

bool probe_strio(bool nopci);
