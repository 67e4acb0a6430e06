/*
 * ring3.c: ring 3 for badguest's probes (ptfuzz.c's accesses, do=protection's
 * INT n): code run as a user program runs it. The flat user segments and a
 * TSS (whose ESP0 the CPU takes on the way back to ring 0) join a copy of
 * the GDT; IRET enters ring3_entry at CPL 3, which calls the probe's
 * function and comes back with INT 0x2F through a gate of DPL 3. An
 * exception in ring 3 inside TRY (recover.h) resumes in ring 3 (entry.S),
 * then comes back too.
 */
#include <stdint.h>
#include "badguest.h"

#define TSS_SEL     0x28
#define BACK_VECTOR 0x2F

static uint64_t gdt[6];                        /* entry.S's three, user code, user data, TSS */
static uint32_t tss[26];                       /* 104 bytes: ESP0 at 4, SS0 at 8 */
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static uint8_t ring3_stack[4096] __attribute__((aligned(16)));
uint32_t kernel_esp;                           /* the asm's (global: asm uses them) */
void (*ring3_fn)(void);
void ring3_entry(void);
void back_from_user(void);

__asm__(
    ".text\n"
    ".globl ring3_entry\n"
    "ring3_entry:\n"                           /* CPL 3: DS and ES were nulled by IRET */
    "    movl $0x23, %eax\n"
    "    movl %eax, %ds\n"
    "    movl %eax, %es\n"
    "    call *ring3_fn\n"
    "    int $0x2F\n"
    ".globl back_from_user\n"
    "back_from_user:\n"                        /* CPL 0, on ESP0's stack */
    "    movl $0x10, %eax\n"
    "    movl %eax, %ds\n"
    "    movl %eax, %es\n"
    "    movl kernel_esp, %esp\n"
    "    popal\n"
    "    ret\n");

void ring3_setup(void)
{
    uint64_t extra[3] = {
        0x00CFFB000000FFFFull,                 /* 0x18, user code: DPL 3, base 0, 4 GiB */
        0x00CFF3000000FFFFull,                 /* 0x20, user data */
        tss_descriptor(tss, sizeof(tss)),      /* 0x28 */
    };
    tss[1] = (uint32_t)ring0_stack + sizeof(ring0_stack);
    tss[2] = 0x10;
    load_gdt_from(boot_gdt, gdt, extra, 3);  /* not SGDT's: unpatched at ring 1, the hypervisor's GDT */
    __asm__ volatile("ltr %w0" : : "r"(TSS_SEL) : "memory");
    set_user_gate(BACK_VECTOR, (uint32_t)back_from_user);
}

/* fn at CPL 3; pushal/popal keep every register as it was. */
__attribute__((noinline)) void run_at_ring3(void (*fn)(void))
{
    ring3_fn = fn;
    __asm__ volatile("call 1f\n\t"
                     "jmp 2f\n"
                     "1:  pushal\n\t"
                     "movl %%esp, kernel_esp\n\t"
                     "pushl %0\n\t"             /* SS */
                     "pushl %1\n\t"             /* ESP */
                     "pushfl\n\t"
                     "pushl %2\n\t"             /* CS */
                     "pushl $ring3_entry\n\t"
                     "iret\n"
                     "2:"
                     : : "i"(USER_DATA), "r"((uint32_t)ring3_stack + sizeof(ring3_stack)), "i"(USER_CODE)
                     : "memory");
}
