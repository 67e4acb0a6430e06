/*
 * ksyms.c: find which function an address belongs to (any mode; a pure
 * function of the table, so it also runs in the host unit tests).
 */
#include "cpu/ksyms.h"
#include "fmt.h"

/* Index of the last symbol whose start is <= addr, or -1 if none is. */
static long find_last_at_or_below(const struct ksym_table *t, uint64_t addr)
{
    long lo = 0, hi = (long)t->count - 1, found = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (t->syms[mid].addr <= addr) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

const char *ksyms_lookup(const struct ksym_table *t, uint64_t addr, uint64_t *offset)
{
    long i = find_last_at_or_below(t, addr);
    if (i < 0)
        return NULL;
    const struct ksym *s = &t->syms[i];
    /* With a known size, an address past the end is in no function (padding,
     * data): better "?" than a wrong name. */
    if (s->size && addr - s->addr >= s->size)
        return NULL;
    *offset = addr - s->addr;
    return t->names + s->name;
}

char *ksyms_format(const struct ksym_table *t, uint64_t addr, char *buf, size_t size)
{
    uint64_t offset;
    const char *name = ksyms_lookup(t, addr, &offset);
    if (name)
        snprintf(buf, size, "<%s+0x%lx>", name, offset);
    else
        snprintf(buf, size, "<?>");
    return buf;
}
