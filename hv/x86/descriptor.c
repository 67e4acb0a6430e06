/* descriptor.c: segment descriptors (see descriptor.h). */
#include "x86/descriptor.h"

uint32_t descriptor_base(uint64_t d)
{
    return (uint32_t)(((d >> 16) & 0xFFFFFF) | ((d >> 56) & 0xFF) << 24);
}

uint32_t descriptor_limit(uint64_t d)
{
    uint32_t l = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
    return (d & DESC_G) ? l << 12 | 0xFFF : l;
}

/* d with the byte limit `limit`, rounded down to whole pages when G is set
 * (a granular limit covers (n + 1) * 4 KiB - 1 bytes). */
static uint64_t with_limit(uint64_t d, uint32_t limit)
{
    uint32_t field = limit;
    if (d & DESC_G)
        field = (uint32_t)(((uint64_t)limit + 1) >> 12) - 1;
    d &= ~(0xFFFFull | 0xFull << 48);
    return d | (field & 0xFFFF) | (uint64_t)(field >> 16 & 0xF) << 48;
}

uint64_t descriptor_make(uint32_t base, uint32_t limit, uint32_t access_rights)
{
    if (access_rights & 0x8000)
        limit >>= 12;                    /* G: the limit in 4 KiB units (SDM vol. 3, 3.4.5) */
    return (limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)(access_rights & 0xFF) << 40 |
           (uint64_t)(limit >> 16 & 0xF) << 48 | (uint64_t)(access_rights >> 12 & 0xF) << 52 |
           (uint64_t)(base >> 24) << 56;
}

uint64_t descriptor_compress(uint64_t d, uint32_t top)
{
    if (!(d & DESC_P) || !(d & DESC_S))
        return 0;
    if (!(d & DESC_CODE) && (d & DESC_EXPAND_DOWN))
        return 0;                        /* expand-down: it would cover the top */
    if (DESC_DPL(d) == 0)
        d |= 1ull << 45;
    uint32_t base = descriptor_base(d), limit = descriptor_limit(d);
    if (base > top || ((d & DESC_G) && top - base < 0xFFF))
        return 0;                        /* no room below the top for it */
    if ((uint64_t)base + limit > top)
        d = with_limit(d, top - base);
    return d | DESC_ACCESSED;
}

uint32_t descriptor_access_rights(uint64_t d)
{
    return (uint32_t)((d >> 40) & 0xFF) | (uint32_t)((d >> 52) & 0xF) << 12;
}

bool descriptor_fits(uint64_t d, unsigned rpl, bool code)
{
    if (!(d & DESC_P) || !(d & DESC_S) || DESC_DPL(d) != rpl)
        return false;
    if (code)
        return (d & DESC_CODE) && !(d & DESC_EXPAND_DOWN);   /* non-conforming */
    return !(d & DESC_CODE) && (d & DESC_WRITABLE);
}
