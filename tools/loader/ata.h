/*
 * ata.h: read the boot disk with ATA PIO, polling (see ata.c).
 */
#pragma once
#include <stdint.h>

/* Find the disk on the primary channel and learn its size and the fastest
 * PIO read command it offers. Panics if there is no usable disk. */
void ata_init(void);

/* Read `count` 512-byte sectors from `lba` to physical address `dst`.
 * Panics on any error, naming the sectors. */
void ata_read(uint64_t lba, uint32_t count, void *dst);
