/*
 * vmcs_breaks.h: deliberate VMCS breakages, one broken VM-entry rule each,
 * for the checker's tests and for students to see the checker at work
 * (the hypervisor option vmcs_break=NAME applies one just before VMLAUNCH).
 *
 * A breakage changes one field, field = (field & ~clear) | set, and, where
 * the rule needs a control turned on or a second field, calls its extra()
 * function too. vmcs_break_apply() does both. Pure: it reads and writes the
 * VMCS only through the caller's functions.
 */
#pragma once
#include <stdint.h>
#include "check/entry_check.h"

/* Write one VMCS field (VMWRITE); ctx is the caller's. */
typedef void (*vmcs_write_fn)(void *ctx, unsigned field, uint64_t value);

struct vmcs_break {
    const char *name;          /* "guest-cs-type", used as hv option vmcs_break=NAME */
    const char *what;          /* one line: what is broken */
    const char *expect;        /* the section the checker must name, e.g. "27.3.1.2" */
    unsigned field;            /* the field it breaks: the checker must name it */
    uint64_t clear, set;       /* field = (field & ~clear) | set */
    void (*extra)(vmcs_read_fn read, vmcs_write_fn write, void *ctx);   /* or NULL */
};

extern const struct vmcs_break vmcs_breaks[];
extern const unsigned vmcs_break_count;

/* The breakage called name, or NULL. */
const struct vmcs_break *vmcs_break_find(const char *name);

/* Break the current VMCS as b says. */
void vmcs_break_apply(const struct vmcs_break *b, vmcs_read_fn read, vmcs_write_fn write, void *ctx);
