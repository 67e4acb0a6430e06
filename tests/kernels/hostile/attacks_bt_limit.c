/*
 * attacks_bt_limit.c: near branches to an EIP past CS's limit. The CPU
 * checks the target before the branch changes anything and raises #GP(0)
 * at the branch (SDM vol. 2A, JMP, Jcc, CALL, RET, LOOP/LOOPcc, JECXZ:
 * "If the target operand is beyond the code segment limits"); a fault
 * leaves the state before the instruction (SDM vol. 3, 6.5): CALL has
 * pushed nothing, RET popped nothing, LOOP not counted. A translator
 * learns the target only when its translation exits, the branch's work
 * done (hv/depriv/depriv_bt_limit.c undoes it). Compared with the bare CPU.
 */
#include "attack.h"
#include "fmt.h"
#include "string.h"

/* The code segment's end: a page past the image (kernel.ld), so that
 * every instruction the attack runs is within the limit, and a page of
 * free RAM right below the end holds the branches. */
extern char kernel_end[];
#define SMALL_CS   (GDT_FREE * 8)

/* Where each run's state went (read and written by the asm by name). */
uint32_t limit_esp_before, limit_esp_after, limit_ecx_after;

/* One branch: the bytes that set it up, then its own, with a rel8 or a
 * rel32 at rel_at; or (rel_len 0) an indirect one, to EAX. */
struct branch {
    const char *name;
    uint8_t setup[4], setup_len;
    uint8_t insn[8], insn_len;
    uint8_t rel_at, rel_len;
};

static const struct branch branches[] = {
    { "jmp rel32", { 0 }, 0, { 0xE9, 0, 0, 0, 0 }, 5, 1, 4 },
    { "jmp rel8", { 0 }, 0, { 0xEB, 0 }, 2, 1, 1 },
    { "jz rel32", { 0x31, 0xC0 }, 2, { 0x0F, 0x84, 0, 0, 0, 0 }, 6, 2, 4 },   /* xor %eax, %eax first */
    { "jz rel8", { 0x31, 0xC0 }, 2, { 0x74, 0 }, 2, 1, 1 },
    { "call rel32", { 0 }, 0, { 0xE8, 0, 0, 0, 0 }, 5, 1, 4 },
    { "loop", { 0 }, 0, { 0xE2, 0 }, 2, 1, 1 },                               /* ECX 5 */
    { "jecxz", { 0x31, 0xC9 }, 2, { 0xE3, 0 }, 2, 1, 1 },                     /* xor %ecx, %ecx first */
    { "jmp *eax", { 0 }, 0, { 0xFF, 0xE0 }, 2, 0, 0 },
    { "call *eax", { 0 }, 0, { 0xFF, 0xD0 }, 2, 0, 0 },
    { "ret", { 0x50 }, 1, { 0xC3 }, 1, 0, 0 },                                /* push %eax first */
    { "ret $8", { 0x50 }, 1, { 0xC2, 8, 0 }, 3, 0, 0 },
};

/* Call the code at `entry` with EAX `eax` and ECX 5 (it faults: recovered
 * after the CALL), and say what came: the vector, the error code, where
 * (the branch at `at`), how far ESP moved from the call's (its return
 * address pushed: -4), ECX. */
static void run(uint32_t entry, uint32_t at, uint32_t eax, char *out, size_t size)
{
    recovered_vector = NO_FAULT;
    __asm__ volatile("movl $1f, recover_eip\n\t"
                     "movl $5, %%ecx\n\t"
                     "movl %%esp, limit_esp_before\n\t"
                     "call *%1\n"
                     "1:\tmovl $0, recover_eip\n\t"
                     "movl %%esp, limit_esp_after\n\t"
                     "movl %%ecx, limit_ecx_after\n\t"
                     "movl limit_esp_before, %%esp"
                     : "+a"(eax) : "r"(entry) : "ecx", "edx", "memory", "cc");
    if (recovered_vector == NO_FAULT)
        snprintf(out, size, "no fault");
    else
        snprintf(out, size, "#%u/%u at %s, esp %d, ecx %u", recovered_vector, recovered_error,
                 recovered_eip == at ? "the branch" : recovered_eip == entry ? "the start" : "elsewhere",
                 (int)(limit_esp_after - limit_esp_before), limit_ecx_after);
}

ATTACK(bt_branch_past_limit, "bt-branch-past-limit", "all vbt limit", "native",
       "JMP, Jcc, CALL, LOOP, JECXZ, JMP and CALL through a register, RET, RET imm16 to an EIP past CS's limit")
{
    uint32_t top = (((uint32_t)kernel_end + 4095) & ~4095u) + 4096;      /* past the limit */
    gdt_set(GDT_FREE, seg_desc(0, top / 4096 - 1, 0x9B, 0xC));
    gdt_reload();
    __asm__ volatile("pushfl\n\tpushl %0\n\tpushl $1f\n\tiret\n1:" : : "r"((uint32_t)SMALL_CS) : "memory");
    /* Each in the page below the limit, written before any runs (a page
     * rewritten again and again is one bt=1 stops caching: hot): those
     * with a rel8 in its last 64 bytes, the others 32 bytes apart. */
    enum { N = sizeof(branches) / sizeof(branches[0]) };
    uint8_t *where[N];
    unsigned short_ones = 0, long_ones = 0;
    for (unsigned i = 0; i < N; i++) {
        const struct branch *b = &branches[i];
        uint8_t *start = b->rel_len == 1 ? (uint8_t *)(top - 64 + 12 * short_ones++)
                                         : (uint8_t *)(top - 4096 + 32 * long_ones++);
        uint8_t *at = start + b->setup_len;
        memcpy(start, b->setup, b->setup_len);
        memcpy(at, b->insn, b->insn_len);
        uint32_t next = (uint32_t)at + b->insn_len;
        if (b->rel_len == 1)
            at[b->rel_at] = (uint8_t)(top - next);
        else if (b->rel_len == 4)
            memcpy(at + b->rel_at, &(uint32_t){ top - next }, 4);
        at[b->insn_len] = 0xC3;                                          /* (a branch not taken: back) */
        where[i] = start;
    }
    /* Where the indirect ones go within the limit: back to run's CALL
     * (RET imm16 moved ESP 8 past its return address). */
    uint8_t *landing = (uint8_t *)(top - 128), *landing_past_8 = landing + 8;
    *landing = 0xC3;                                                     /* ret */
    memcpy(landing_past_8, (const uint8_t[]){ 0x83, 0xEC, 0x08, 0xC3 }, 4);   /* sub $8, %esp; ret */
    char text[1280], *p = text, one[80], first[80], learnt[80] = "";
    for (unsigned i = 0; i < N; i++) {
        uint32_t start = (uint32_t)where[i], at = start + branches[i].setup_len;
        /* An indirect branch to a target within the limit first (a
         * translator's site learns it: the one past, then, misses in its
         * lookup routine); then three times past: the first exit's, then
         * chained and looked up. */
        if (!branches[i].rel_len) {
            run(start, at, (uint32_t)(branches[i].insn[0] == 0xC2 ? landing_past_8 : landing), learnt,
                sizeof(learnt));
            p += snprintf(p, text + sizeof(text) - p, "%s%s: within: %s, ", i ? " / " : "", branches[i].name,
                          learnt);
        } else {
            p += snprintf(p, text + sizeof(text) - p, "%s%s: ", i ? " / " : "", branches[i].name);
        }
        for (unsigned k = 0; k < 3; k++) {
            run(start, at, top, k ? one : first, sizeof(one));
            if (k && strcmp(one, first))
                snprintf(first, sizeof(first), "run 1 %.40s, run %u differs", first, k + 1);
        }
        p += snprintf(p, text + sizeof(text) - p, "past: %s", first);
    }
    __asm__ volatile("pushfl\n\tpushl %0\n\tpushl $1f\n\tiret\n1:" : : "r"((uint32_t)KCODE) : "memory");
    result("%s", text);
}
