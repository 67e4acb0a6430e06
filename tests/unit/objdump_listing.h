/*
 * objdump_listing.h: GNU objdump's disassembly, line by line, for the unit
 * tests that check hv/x86/x86_decode.c and hv/x86/sensitive.c against it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One instruction of the listing: its address, its bytes and objdump's
 * text for it (mnemonic and operands, AT&T syntax). */
typedef void (*objdump_insn_fn)(void *ctx, uint64_t address, const uint8_t *bytes, size_t n,
                                const char *text);

/* Run command (an objdump -d with --insn-width=16, so that each
 * instruction's bytes fit on its line), and call fn for each instruction
 * of its listing. Lines objdump calls "(bad)" or ".byte" are not
 * instructions to it, and are left out. False if objdump could not run. */
static inline bool objdump_listing(const char *command, objdump_insn_fn fn, void *ctx)
{
    FILE *f = popen(command, "r");
    if (!f)
        return false;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab1 || !tab2 || tab1 == line || tab1[-1] != ':')
            continue;
        char *text = tab2 + 1;
        text[strcspn(text, "\n")] = 0;
        if (strstr(text, "(bad)") || strncmp(text, ".byte", 5) == 0)
            continue;
        uint8_t bytes[32];
        size_t n = 0;
        *tab2 = 0;                               /* the bytes end here */
        for (char *p = tab1 + 1; n < sizeof(bytes); ) {
            char *end;
            unsigned long b = strtoul(p, &end, 16);
            if (end == p)
                break;
            bytes[n++] = (uint8_t)b;
            p = end;
        }
        fn(ctx, strtoull(line, NULL, 16), bytes, n, text);
    }
    return pclose(f) == 0;
}
