/* crc32.h: CRC-32 (IEEE 802.3, as Python's zlib.crc32), to prove that a
 * loaded module arrived intact. */
#pragma once
#include <stddef.h>
#include <stdint.h>

uint32_t crc32(const void *data, size_t len);
