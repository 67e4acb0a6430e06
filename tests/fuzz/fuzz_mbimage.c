/*
 * fuzz_mbimage.c: lib/mbimage.c, the Multiboot kernel loader of the fast
 * loader and of the hypervisor (which loads its guest kernel with it), on
 * an arbitrary kernel file.
 *
 * mbimage_inspect either refuses the file with a reason, or accepts it with
 * an extent [start, end) and an entry point; mbimage_place then hands out
 * the pieces to copy. Checked, for every file:
 *   - a refusal says why (a non-empty, terminated k->error);
 *   - the accepted header lies inside the file and its first 8 KiB, 4-byte
 *     aligned (Multiboot 0.6.96, 3.1.1);
 *   - the extent ends at or below 4 GiB, the entry point lies inside it
 *     (an ELF entry taken as virtual or as physical alike);
 *   - every piece placed reads only bytes of the file (filesz bytes from
 *     src) and writes only inside the extent (memsz bytes at paddr), with
 *     filesz <= memsz. The caller checks the extent against free RAM and
 *     nothing else: a piece outside it would overwrite the hypervisor;
 *   - no two pieces overlap (overlapping segments are refused).
 */
#include "fuzz.h"
#include "mbimage.h"

#define FOUR_GIB 0x100000000ull

#define PIECES_MAX 256   /* program headers in the first 8 KiB: 8192 / 32 */

struct placed {
    const struct mb_image *k;
    unsigned pieces;
    uint64_t start[PIECES_MAX], end[PIECES_MAX];
};

static void place(void *ctx, uint64_t paddr, const uint8_t *src, uint64_t filesz, uint64_t memsz)
{
    struct placed *p = ctx;
    const struct mb_image *k = p->k;
    FUZZ_CHECK(filesz <= memsz, "a piece of %llu file bytes in %llu memory bytes",
               (unsigned long long)filesz, (unsigned long long)memsz);
    FUZZ_CHECK(src >= k->file && filesz <= k->file_size && (uint64_t)(src - k->file) <= k->file_size - filesz,
               "a piece reads %llu bytes at file offset %td of a %u-byte file", (unsigned long long)filesz,
               src - k->file, k->file_size);
    FUZZ_CHECK(paddr >= k->start && memsz <= k->end - k->start && paddr - k->start <= k->end - k->start - memsz,
               "a piece at 0x%llx+0x%llx outside the extent 0x%llx-0x%llx", (unsigned long long)paddr,
               (unsigned long long)memsz, (unsigned long long)k->start, (unsigned long long)k->end);
    FUZZ_CHECK(p->pieces < PIECES_MAX, "more than %u pieces", PIECES_MAX);
    for (unsigned i = 0; i < p->pieces; i++)
        FUZZ_CHECK(paddr >= p->end[i] || paddr + memsz <= p->start[i],
                   "pieces 0x%llx-0x%llx and 0x%llx-0x%llx overlap", (unsigned long long)p->start[i],
                   (unsigned long long)p->end[i], (unsigned long long)paddr,
                   (unsigned long long)(paddr + memsz));
    p->start[p->pieces] = paddr;
    p->end[p->pieces] = paddr + memsz;
    p->pieces++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > UINT32_MAX)
        return 0;
    struct mb_image k;
    if (!mbimage_inspect(&k, data, (uint32_t)size)) {
        size_t len = strnlen(k.error, sizeof(k.error));
        FUZZ_CHECK(len > 0 && len < sizeof(k.error), "a refusal without a reason");
        return 0;
    }
    FUZZ_CHECK(k.header_offset % 4 == 0 && k.header_offset + 12 <= size && k.header_offset + 12 <= 8192 &&
               (const uint8_t *)k.header == data + k.header_offset,
               "the header at offset 0x%x of a %zu-byte file", k.header_offset, size);
    FUZZ_CHECK(k.start < k.end && k.end <= FOUR_GIB, "the extent 0x%llx-0x%llx",
               (unsigned long long)k.start, (unsigned long long)k.end);
    FUZZ_CHECK(k.entry >= k.start && k.entry < k.end, "the entry 0x%x outside 0x%llx-0x%llx", k.entry,
               (unsigned long long)k.start, (unsigned long long)k.end);
    static struct placed p;
    p.k = &k;
    p.pieces = 0;
    mbimage_place(&k, place, &p);
    FUZZ_CHECK(p.pieces > 0, "an accepted kernel with nothing to place");
    return 0;
}
