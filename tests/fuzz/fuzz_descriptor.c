/*
 * fuzz_descriptor.c: hv/x86/descriptor.c, the ring compression of lab 3, on
 * any descriptor the guest's GDT may hold and any top of the guest's
 * address space.
 *
 * Input: the descriptor (8 bytes) and the top (4 bytes). A compressed
 * descriptor is loaded by a guest kernel at ring 1 while the hypervisor
 * lives above the top, so descriptor_compress must give either 0 (absent)
 * or a segment that (SDM vol. 3, 3.4.5):
 *   - is present, code or data (S), not expand-down data, accessed;
 *   - has DPL 1 if it had 0, else its own;
 *   - keeps its base, type, D/B, L, AVL and G, and a limit no larger;
 *   - ends at or below the top: base + limit <= top;
 * and compressing it again changes nothing.
 */
#include "fuzz.h"
#include "x86/descriptor.h"

/* Every bit but the limit's, the DPL's and the accessed bit. */
#define KEPT (~(0xFFFFull | 0xFull << 48 | 3ull << 45 | DESC_ACCESSED))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    uint64_t d = fuzz_take(&in, 8);
    uint32_t top = (uint32_t)fuzz_take(&in, 4);
    uint64_t c = descriptor_compress(d, top);
    if (c == 0)
        return 0;
    FUZZ_CHECK((c & DESC_P) && (c & DESC_S) && (c & DESC_ACCESSED), "0x%016llx", (unsigned long long)c);
    FUZZ_CHECK((c & DESC_CODE) || !(c & DESC_EXPAND_DOWN), "expand-down data 0x%016llx", (unsigned long long)c);
    FUZZ_CHECK(DESC_DPL(c) == (DESC_DPL(d) ? DESC_DPL(d) : 1), "DPL %u from %u", DESC_DPL(c), DESC_DPL(d));
    FUZZ_CHECK((c & KEPT) == (d & KEPT), "0x%016llx compressed to 0x%016llx", (unsigned long long)d,
               (unsigned long long)c);
    FUZZ_CHECK(descriptor_limit(c) <= descriptor_limit(d), "the limit grew from 0x%x to 0x%x",
               descriptor_limit(d), descriptor_limit(c));
    FUZZ_CHECK((uint64_t)descriptor_base(c) + descriptor_limit(c) <= top,
               "base 0x%x + limit 0x%x above the top 0x%x", descriptor_base(c), descriptor_limit(c), top);
    FUZZ_CHECK(descriptor_compress(c, top) == c, "compressed twice: 0x%016llx, then 0x%016llx",
               (unsigned long long)c, (unsigned long long)descriptor_compress(c, top));
    return 0;
}
