/*
 * bootinfo.c: what the Multiboot loader told us, copied into the kernel.
 *
 * The loader's structures live in memory the page allocator is about to
 * hand out, so kmain copies everything it needs first: the command line,
 * the memory map (usable RAM) and the module list. Only the modules' own
 * bytes stay where the loader put them; free_usable_memory() skips them.
 */
#include "defs.h"
#include "mmu.h"
#include "../../lib/multiboot.h"
#include "../../lib/printf.h"
#include "../../lib/string.h"

#define MAX_REGIONS 32
#define MAX_MODULES 48

struct region { uint32_t start, end; };     /* physical, [start, end) */

static char cmdline[256];
static struct region ram[MAX_REGIONS];
static int nram;
static struct module modules[MAX_MODULES];
static int nmodules;

/* The loader's data is reachable only inside the boot mapping (16 MiB). */
static const void *boot_ptr(uint32_t pa, uint32_t len)
{
    if (pa == 0 || pa + len > BOOT_MAPPED || pa + len < pa)
        return NULL;
    return P2V(pa);
}

static void copy_string(char *dst, uint32_t size, uint32_t pa)
{
    const char *s = boot_ptr(pa, 1);
    uint32_t i = 0;
    while (s && i + 1 < size && V2P(s + i) < BOOT_MAPPED && s[i])
        dst[i] = s[i], i++;
    dst[i] = 0;
}

/* Add usable RAM, clipped to what the kernel can map [1 MiB, PHYS_LIMIT). */
static void add_ram(uint64_t base, uint64_t len)
{
    uint64_t end = base + len;
    if (base < 0x100000)
        base = 0x100000;
    if (end > PHYS_LIMIT)
        end = PHYS_LIMIT;
    if (base >= end || nram == MAX_REGIONS)
        return;
    ram[nram++] = (struct region){PGROUNDUP(base), PGROUNDDOWN(end)};
}

static void copy_memory_map(const struct multiboot_info *mbi)
{
    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP) {
        uint32_t off = 0;
        while (off + sizeof(struct multiboot_mmap_entry) <= mbi->mmap_length) {
            const struct multiboot_mmap_entry *e = boot_ptr(mbi->mmap_addr + off, sizeof *e);
            if (!e)
                break;
            if (e->type == MULTIBOOT_MEMORY_AVAILABLE)
                add_ram(e->addr, e->len);
            off += e->size + 4;   /* size counts the bytes after itself */
        }
    } else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
        add_ram(0x100000, (uint64_t)mbi->mem_upper * 1024);
    }
}

/* "/boot/forktest.elf args" or "boot/forktest.elf" -> "forktest" */
static void module_name(char *dst, uint32_t size, const char *string)
{
    const char *start = string, *end = string;
    while (*end && *end != ' ') {
        if (*end == '/')
            start = end + 1;
        end++;
    }
    if (end - start > 4 && !strncmp(end - 4, ".elf", 4))
        end -= 4;
    uint32_t n = 0;
    while (start < end && n + 1 < size)
        dst[n++] = *start++;
    dst[n] = 0;
}

static void copy_modules(const struct multiboot_info *mbi)
{
    if (!(mbi->flags & MULTIBOOT_INFO_MODS))
        return;
    for (uint32_t i = 0; i < mbi->mods_count && nmodules < MAX_MODULES; i++) {
        const struct multiboot_mod_list *m = boot_ptr(mbi->mods_addr + i * sizeof *m, sizeof *m);
        if (!m)
            break;
        char string[128];
        copy_string(string, sizeof string, m->cmdline);
        struct module *k = &modules[nmodules++];
        k->start = m->mod_start;
        k->end = m->mod_end;
        module_name(k->name, sizeof k->name, string);
    }
}

void bootinfo_copy(uint32_t magic, uint32_t mbi_pa)
{
    const struct multiboot_info *mbi = boot_ptr(mbi_pa, sizeof *mbi);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        panic("not started by a Multiboot loader (eax=0x%08x)", magic);
    if (!mbi)
        panic("the Multiboot information (at 0x%08x) is not in the first 16 MiB", mbi_pa);
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        copy_string(cmdline, sizeof cmdline, mbi->cmdline);
    copy_memory_map(mbi);
    copy_modules(mbi);
    if (nram == 0)
        panic("the loader reported no usable memory");
}

const char *boot_cmdline(void) { return cmdline; }

/* The value of the command line's first word NAME=value: a pointer into
 * the command line, ended by a space or its end; NULL without one. */
const char *boot_option(const char *name)
{
    size_t n = strlen(name);
    for (const char *w = cmdline; *w; w++)
        if ((w == cmdline || w[-1] == ' ') && !strncmp(w, name, n) && w[n] == '=')
            return w + n + 1;
    return NULL;
}

int boot_module_count(void) { return nmodules; }
const struct module *boot_module(int i) { return &modules[i]; }

const struct module *find_module(const char *name)
{
    for (int i = 0; i < nmodules; i++)
        if (!strcmp(modules[i].name, name))
            return &modules[i];
    return NULL;
}

uint32_t boot_ram_top(void)
{
    uint32_t top = 0;
    for (int i = 0; i < nram; i++)
        if (ram[i].end > top)
            top = ram[i].end;
    return top;
}

/* Keep only the RAM inside [lo, hi) usable (the PV kernel's: plat.h). */
void clip_usable_memory(uint32_t lo, uint32_t hi)
{
    for (int i = 0; i < nram; i++) {
        if (ram[i].start < lo)
            ram[i].start = lo;
        if (ram[i].end > hi)
            ram[i].end = hi;
        if (ram[i].end < ram[i].start)
            ram[i].end = ram[i].start;
    }
}

/* Free the usable RAM inside [lo, hi), minus the kernel image and the modules. */
void free_usable_memory(uint32_t lo, uint32_t hi)
{
    extern char _end[];
    if (lo < V2P(_end))
        lo = V2P(_end);
    for (int r = 0; r < nram; r++) {
        uint32_t a = ram[r].start > lo ? ram[r].start : lo;
        uint32_t b = ram[r].end < hi ? ram[r].end : hi;
        while (a < b) {
            /* the next module in the way, if any, cuts the range short */
            uint32_t stop = b, skip_to = b;
            for (int m = 0; m < nmodules; m++) {
                uint32_t ms = PGROUNDDOWN(modules[m].start), me = PGROUNDUP(modules[m].end);
                if (me > a && ms < stop) {
                    stop = ms > a ? ms : a;
                    skip_to = me;
                }
            }
            kfree_range(a, stop);
            a = skip_to > stop ? skip_to : stop;
        }
    }
}
