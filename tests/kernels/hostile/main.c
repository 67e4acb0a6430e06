/*
 * main.c: the hostile guest kernel's entry. It sets up the machine every
 * attack starts from (user.c), finds attack=NAME on its Multiboot command
 * line, prints
 *   hostile: attack NAME
 * and runs it. attack=list prints the table instead, one attack a line:
 *   hostile: attack NAME modes=MODES expect=EXPECT | WHAT
 * (tests/integration/hostile.py reads it). How an attack ends: attack.h.
 * CPU mode: 32-bit protected mode at ring 0 as the guest sees it (the
 * hypervisor may run it at ring 1: cpu=deprivileged), paging off.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "attack.h"
#include "challenge.h"
#include "multiboot.h"
#include "poweroff.h"
#include "serial.h"
#include "string.h"

void kernel_main(uint32_t magic, const struct multiboot_info *mbi);
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs);
void machine_init(void);   /* user.c */

extern const struct attack attacks_start[], attacks_end[];   /* kernel.ld */

uint32_t expect_eip;
const char verdict_kernel[] = "hostile";

_Noreturn void verdict_poweroff(int status)
{
    poweroff(status);
}
uint32_t ram_top;

void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs)
{
    if (vector == 14)
        printf("hostile: page fault cr2=0x%08x\n", read_cr2());
    if (expect_eip && eip == expect_eip)
        result("exception %u error=0x%x cpl=%u at=expected", vector, error, cs & 3);
    result("exception %u error=0x%x cpl=%u at=0x%08x", vector, error, cs & 3, eip);
}

static void list(void)
{
    for (const struct attack *a = attacks_start; a < attacks_end; a++)
        printf("hostile: attack %s modes=%s expect=%s | %s\n", a->name, a->modes, a->expect, a->what);
    printf("hostile: %u attacks\n", (unsigned)(attacks_end - attacks_start));
}

void kernel_main(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    machine_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        printf("PANIC hostile: bad magic 0x%08x in EAX: not entered by a Multiboot v1 loader\n", magic);
        poweroff(POWEROFF_PANIC);
    }
    const char *cmdline = (mbi->flags & MULTIBOOT_INFO_CMDLINE) ? (const char *)mbi->cmdline : "";
    challenge_start(cmdline);   /* the grader's nonce, when a lab test boots it: lib/challenge.h */
    if (mbi->flags & MULTIBOOT_INFO_MEMORY)
        ram_top = 0x100000 + mbi->mem_upper * 1024;
    char name[48];
    if (!cmdline_word(cmdline, "attack=", name, sizeof(name))) {
        printf("hostile: FAIL no attack=NAME on the command line '%s' (attack=list lists them)\n",
               cmdline);
        poweroff(POWEROFF_FAIL);
    }
    if (strcmp(name, "list") == 0) {
        list();
        poweroff(POWEROFF_OK);
    }
    for (const struct attack *a = attacks_start; a < attacks_end; a++) {
        if (strcmp(name, a->name) == 0) {
            printf("hostile: attack %s\n", a->name);
            a->run();
            result("completed");
        }
    }
    printf("hostile: FAIL unknown attack '%s' (attack=list lists them)\n", name);
    poweroff(POWEROFF_FAIL);
}
