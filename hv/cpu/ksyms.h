/*
 * ksyms.h: the hypervisor's own function symbols, for symbolised backtraces.
 *
 * tools/ksyms.py reads the symbols of a first link (nm) and writes a sorted
 * table that the second link embeds as hv_ksyms (see hv/hv.mk). The lookup
 * is a pure function of the table, so the host unit tests exercise it too.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct ksym {
    uint64_t addr;   /* first byte of the function */
    uint32_t size;   /* its length in bytes, 0 if the object file did not say */
    uint32_t name;   /* offset of its name in the table's names */
};

struct ksym_table {
    uint64_t count;
    const struct ksym *syms;   /* sorted by addr, ascending */
    const char *names;         /* NUL-terminated names, back to back */
};

/* The table of this very hypervisor, generated at build time. */
extern const struct ksym_table hv_ksyms;

/* The name of the function that contains addr, with *offset set to
 * addr - start; NULL if addr is in no known function. */
const char *ksyms_lookup(const struct ksym_table *t, uint64_t addr, uint64_t *offset);

/* Write "<name+0xoffset>" (or "<?>") into buf. Returns buf. */
char *ksyms_format(const struct ksym_table *t, uint64_t addr, char *buf, size_t size);
