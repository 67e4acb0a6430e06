/*
 * fuzz_segment_access.c: hv/x86/segment_access.c, the checks string I/O
 * makes on each element's access through a guest segment, on any segment
 * the guest's descriptors (and the VMCS's forms of them) may give and any
 * offset its registers may hold.
 *
 * Input: base (8 bytes), limit (4), access rights (4), offset (8), then a
 * byte: bits 1:0 the size (1, 2, 4 or 8 bytes), bit 2 a write, bit 3
 * 64-bit mode, bit 4 real mode, bit 5 through SS. The result must be the
 * SDM's, worked out here byte by byte (vol. 3, 5.3; 3.4.5.1; 3.3.7.1):
 *   - the fault is 0, or #SS through SS and #GP otherwise;
 *   - 64-bit mode: a fault exactly when the first or last byte's address
 *     is not canonical, else the linear address is base + offset;
 *   - otherwise: no fault only for a usable code or data segment whose
 *     type allows the access (real mode: any), every byte within the
 *     limit (expand-down: above it, up to 0xFFFF or with B 0xFFFFFFFF),
 *     and then the linear address is base + offset cut to 32 bits.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "x86/canonical.h"
#include "x86/segment_access.h"
#include "x86/x86.h"

static bool byte_in_limit(const struct segment *s, uint64_t at, bool real)
{
    bool down = !real && (s->access_rights & (SEG_AR_EXPAND_DOWN | SEG_AR_CODE)) == SEG_AR_EXPAND_DOWN;
    if (!down)
        return at <= s->limit;
    return at > s->limit && at <= ((s->access_rights & SEG_AR_DB) ? 0xFFFFFFFFull : 0xFFFFull);
}

static bool type_allows(uint32_t ar, bool write)
{
    if ((ar & SEG_AR_UNUSABLE) || !(ar & SEG_AR_S))
        return false;
    if (ar & SEG_AR_CODE)
        return !write && (ar & SEG_AR_WRITABLE);
    return !write || (ar & SEG_AR_WRITABLE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct segment s = { .base = fuzz_take(&in, 8), .limit = (uint32_t)fuzz_take(&in, 4),
                         .access_rights = (uint32_t)fuzz_take(&in, 4) };
    uint64_t offset = fuzz_take(&in, 8);
    unsigned how = (unsigned)fuzz_take(&in, 1);
    unsigned n = 1u << (how & 3);
    bool write = how & 4, long_mode = how & 8, real = how & 16;
    s.is_ss = how & 32;
    if (!long_mode)
        offset = (uint32_t)offset;          /* the address size cuts it to 32 bits at most */
    struct segment_access a = segment_access(&s, offset, n, write, long_mode, real);
    FUZZ_CHECK(a.fault == 0 || a.fault == (s.is_ss ? (unsigned)VEC_SS : (unsigned)VEC_GP), "fault %u", a.fault);
    if (long_mode) {
        bool ok = canonical(s.base + offset) && canonical(s.base + offset + n - 1);
        FUZZ_CHECK(ok == !a.fault, "64-bit: base 0x%llx offset 0x%llx size %u: fault %u",
                   (unsigned long long)s.base, (unsigned long long)offset, n, a.fault);
        FUZZ_CHECK(a.fault || a.linear == s.base + offset, "64-bit linear 0x%llx", (unsigned long long)a.linear);
        return 0;
    }
    bool ok = real || type_allows(s.access_rights, write);
    for (unsigned i = 0; i < n; i++)
        ok = ok && byte_in_limit(&s, offset + i, real);
    FUZZ_CHECK(ok == !a.fault, "limit 0x%x ar 0x%x offset 0x%llx size %u write %d real %d: fault %u", s.limit,
               s.access_rights, (unsigned long long)offset, n, write, real, a.fault);
    FUZZ_CHECK(a.fault || a.linear == (uint32_t)(s.base + offset), "linear 0x%llx", (unsigned long long)a.linear);
    return 0;
}
