/* segment_access.c: the CPU's checks on a data access through a segment
 * (see segment_access.h). */
#include "x86/segment_access.h"
#include "x86/canonical.h"
#include "x86/x86.h"

static struct segment_access fault(const struct segment *s)
{
    return (struct segment_access){ .fault = s->is_ss ? VEC_SS : VEC_GP };
}

/* The type rules of SDM vol. 3, 3.4.5.1 (table 3-1) for a data access. */
static bool type_allows(uint32_t ar, bool write)
{
    if (!(ar & SEG_AR_S))
        return false;                        /* a system segment: never loaded as data */
    if (ar & SEG_AR_CODE)
        return !write && (ar & SEG_AR_WRITABLE);   /* code: readable, never writable */
    return !write || (ar & SEG_AR_WRITABLE);
}

/* SDM vol. 3, 5.3: expand-up, every byte at or below the limit; expand-down,
 * every byte above it and at or below the segment's top (B: 4 GiB). */
static bool within_limit(const struct segment *s, uint64_t offset, unsigned size, bool real)
{
    uint64_t last = offset + size - 1;
    if (real || !(s->access_rights & SEG_AR_EXPAND_DOWN) || (s->access_rights & SEG_AR_CODE))
        return last <= s->limit;
    uint64_t top = (s->access_rights & SEG_AR_DB) ? 0xFFFFFFFFu : 0xFFFFu;
    return offset > s->limit && last <= top;
}

struct segment_access segment_access(const struct segment *s, uint64_t offset, unsigned size,
                                     bool write, bool long_mode, bool real)
{
    if (long_mode) {
        /* 64-bit mode: no limits and no types (SDM vol. 3, 5.3.1); the
         * address, both ends, must be canonical (3.3.7.1). */
        uint64_t linear = s->base + offset;
        if (!canonical(linear) || !canonical(linear + size - 1))
            return fault(s);
        return (struct segment_access){ .linear = linear };
    }
    if (!real && ((s->access_rights & SEG_AR_UNUSABLE) || !type_allows(s->access_rights, write)))
        return fault(s);
    if (!within_limit(s, offset, size, real))
        return fault(s);
    return (struct segment_access){ .linear = (uint32_t)(s->base + offset) };
}
