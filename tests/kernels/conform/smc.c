/*
 * smc.c: do=smc: self-modifying code. On x86 a store to code is seen by
 * the instructions fetched after it, the very next one too, with no
 * serialising instruction needed on the same CPU (SDM vol. 3, 11.6): a
 * translator must drop what it translated of a page the guest writes.
 * Paging off: the kernel's code is writable, as a Multiboot loader leaves
 * it.
 */
#include "conform.h"
#include "string.h"

/* A store that rewrites the immediate of the very next instruction
 * (MOV EAX, imm32: B8 id), and the same with a JMP between. */
uint32_t smc_next(uint32_t imm);
uint32_t smc_next_jmp(uint32_t imm);
__asm__(".text\n"
        ".globl smc_next, smc_next_jmp\n"
        "smc_next:\n"
        "    movl 4(%esp), %ecx\n"
        "    movl %ecx, 1f+1\n"
        "1:  movl $0x11111111, %eax\n"
        "    movl $0x11111111, 1b+1\n"      /* as it was: the next call tests the store again */
        "    ret\n"
        "smc_next_jmp:\n"
        "    movl 4(%esp), %ecx\n"
        "    movl %ecx, 1f+1\n"
        "    jmp 1f\n"
        "1:  movl $0x11111111, %eax\n"
        "    movl $0x11111111, 1b+1\n"
        "    ret\n");

/* A function whose immediate is patched between calls. */
uint32_t smc_fn(void);
extern char smc_fn_imm[];
__asm__(".globl smc_fn, smc_fn_imm\n"
        "smc_fn:\n"
        "    .byte 0xB8\n"                   /* MOV EAX, imm32 */
        "smc_fn_imm:\n"
        "    .long 0x0000F00D\n"
        "    ret\n");

/* A loop that rewrites its own body each time round: the ADD's imm8 (83 C2
 * ib, sign-extended) becomes the low byte of ECX, then LOOP counts down:
 * each pass adds what the pass before wrote. */
uint32_t smc_thrash(uint32_t n);
extern char smc_thrash_imm[];
__asm__(".globl smc_thrash, smc_thrash_imm\n"
        "smc_thrash:\n"
        "    movl 4(%esp), %ecx\n"
        "    xorl %edx, %edx\n"
        "    movb $1, smc_thrash_imm\n"
        "1:  addl $1, %edx\n"
        "    smc_thrash_imm = . - 1\n"
        "    movb %cl, smc_thrash_imm\n"
        "    loop 1b\n"
        "    movl %edx, %eax\n"
        "    ret\n");

static uint32_t thrash_expected(uint32_t n)
{
    uint32_t sum = 0, imm = 1;
    for (uint32_t ecx = n; ecx; ecx--) {
        sum += imm;
        imm = (uint32_t)(int32_t)(int8_t)(uint8_t)ecx;
    }
    return sum;
}

/* "Module loading": code copied to a fresh page, called, overwritten with
 * other code (of another length), called again. */
static uint8_t module_page[4096] __attribute__((aligned(4096)));
static const uint8_t module_a[] = { 0xB8, 0x01, 0x00, 0xAA, 0xAA, 0xC3 };          /* mov $0xAAAA0001, %eax; ret */
static const uint8_t module_b[] = { 0x31, 0xC0, 0x40, 0x40, 0x40, 0x01, 0xC0, 0xC3 }; /* xor; inc x3; add eax,eax: 6 */

static uint32_t load_and_call(const uint8_t *code, unsigned size)
{
    memcpy(module_page, code, size);
    return ((uint32_t (*)(void))(void *)module_page)();
}

/* Code written by a device, not by the CPU: INS (emulated string I/O under
 * a hypervisor) overwrites the immediate's low byte of a function already
 * run. The byte is the UART's line status register: read first with IN,
 * once the transmitter is empty, so that both read the same value. */
static uint32_t ins_load(uint32_t *lsr_out)
{
    memcpy(module_page, module_a, sizeof(module_a));      /* mov $0xAAAA0001, %eax; ret */
    uint32_t first = ((uint32_t (*)(void))(void *)module_page)();
    uint8_t lsr;
    do
        __asm__ volatile("inb %w1, %0" : "=a"(lsr) : "Nd"((uint16_t)0x3FD));
    while ((lsr & 0x60) != 0x60);
    void *dst = module_page + 1;
    uint32_t count = 1;
    __asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(count) : "d"((uint16_t)0x3FD) : "memory");
    *lsr_out = lsr;
    check("module a", first, 0xAAAA0001);
    return ((uint32_t (*)(void))(void *)module_page)();
}

/* A direct CALL into the module's page from code never written: chained
 * after its first call, it must reach the new code once the page is
 * rewritten (a translator unchains every jump aimed at what it dropped).
 * On a page of its own: the page of smc_next, written at each call, is
 * one a translator may translate afresh at each run, never chaining it. */
uint32_t call_module_page(void);
__asm__(".text\n"
        ".balign 4096\n"
        "call_module_page:\n"
        "    call module_page\n"
        "    ret\n"
        ".balign 4096\n");

void do_smc(void)
{
    begin_test("smc-next-insn");
    check("first", smc_next(0x22222222), 0x22222222);
    check("second", smc_next(0x33333333), 0x33333333);
    end_test();

    begin_test("smc-next-insn-jmp");
    check("first", smc_next_jmp(0x44444444), 0x44444444);
    check("second", smc_next_jmp(0x55555555), 0x55555555);
    end_test();

    begin_test("smc-patched-immediate");
    check("before", smc_fn(), 0xF00D);
    *(volatile uint32_t *)smc_fn_imm = 0xBEEF;
    check("after", smc_fn(), 0xBEEF);
    *(volatile uint32_t *)smc_fn_imm = 0xF00D;
    check("restored", smc_fn(), 0xF00D);
    end_test();

    begin_test("smc-direct-call");
    memcpy(module_page, module_a, sizeof(module_a));
    check("module a", call_module_page(), 0xAAAA0001);
    check("module a, chained", call_module_page(), 0xAAAA0001);
    memcpy(module_page, module_b, sizeof(module_b));
    check("module b", call_module_page(), 6);
    end_test();

    begin_test("smc-module-load");
    check("module a", load_and_call(module_a, sizeof(module_a)), 0xAAAA0001);
    check("module b", load_and_call(module_b, sizeof(module_b)), 6);
    check("module a again", load_and_call(module_a, sizeof(module_a)), 0xAAAA0001);
    end_test();

    begin_test("smc-ins-load");
    uint32_t lsr, got = ins_load(&lsr);
    check("after INS", got, 0xAAAA0000 | lsr);
    end_test();

    begin_test("smc-thrash");
    check("1000 passes", smc_thrash(1000), thrash_expected(1000));
    check("100000 passes", smc_thrash(100000), thrash_expected(100000));
    end_test();
}
