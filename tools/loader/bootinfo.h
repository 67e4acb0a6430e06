/*
 * bootinfo.h: build the Multiboot information structure (see bootinfo.c).
 */
#pragma once
#include <stdint.h>
#include "manifest.h"

#define LOADER_NAME "hvlab fast loader"

/* Fill the handoff area from the memory map and the manifest (whose
 * payload sits at m->staging_addr); returns the mbi's physical address,
 * for EBX. */
uint32_t bootinfo_build(const struct manifest *m);
