/*
 * user.c: the machine every attack starts from (attack.h): a GDT with
 * kernel and user segments and a TSS, an IDT with the exceptions and the
 * gate back from ring 3, ring 3 itself (run_user), and 1:1 paging.
 */
#include "attack.h"

extern const uint32_t exception_stubs[32];   /* ../common/entry.S */

#define BACK_VECTOR 0x81
#define IDT_ENTRIES 256

uint64_t gdt[GDT_ENTRIES];
uint32_t tss[26];
static uint64_t idt[IDT_ENTRIES];
static uint8_t ring0_stack[8192] __attribute__((aligned(16)));
uint8_t user_stack[8192] __attribute__((aligned(16)));   /* run_user_asm's */

uint32_t page_dir[1024] __attribute__((aligned(4096)));
uint32_t low_pt[1024] __attribute__((aligned(4096)));

struct table_pointer { uint16_t limit; uint32_t base; } __attribute__((packed));

uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 |
           (uint64_t)(base >> 24) << 56;
}

void gdt_set(unsigned index, uint64_t descriptor)
{
    gdt[index] = descriptor;
}

void gdt_reload(void)
{
    struct table_pointer g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
}

/* type_attr: 0x8E interrupt gate DPL 0, 0xEE DPL 3, 0x8F trap gate (SDM 6.11). */
void set_gate(unsigned vector, uint32_t handler, uint16_t selector, uint8_t type_attr)
{
    idt[vector] = (handler & 0xFFFF) | (uint64_t)selector << 16 | (uint64_t)type_attr << 40 |
                  (uint64_t)(handler >> 16) << 48;
}

/* ---- Ring 3 ---------------------------------------------------------------
 * run_user saves the kernel's callee-saved registers and stack pointer,
 * loads the user data segments and IRETs to user_trampoline at ring 3, which
 * calls the attack's function; INT 0x81 comes back through the TSS's ESP0
 * stack to back_from_user, which returns from run_user. The data segments
 * are loaded before the IRET, at ring 0 (DPL 3 >= CPL and RPL: SDM vol. 3,
 * 5.6), not after it at ring 3: IRET to an outer ring nulls a DS or ES of
 * DPL 0 (SDM vol. 2A, IRET), and an interrupt pending at the IRET is taken
 * before the next instruction (only STI, MOV SS and POP SS hold one back:
 * SDM vol. 3, 6.8.1 and 6.8.3): timer_stub and exception_common would find
 * DS null, #GP, and #GP again until their stack overflows into the GDT. A hypervisor that emulates
 * the IRET (patch=1, bt=1) makes that tick likely. */
void (*user_fn)(void);
uint32_t kernel_esp;
void user_trampoline(void);
void back_from_user(void);
void run_user_asm(void);

__asm__(
    ".globl run_user_asm\n"
    "run_user_asm:\n"
    "    pushl %ebp\n    pushl %ebx\n    pushl %esi\n    pushl %edi\n"
    "    movl %esp, kernel_esp\n"
    "    movl $0x23, %eax\n    movl %eax, %ds\n    movl %eax, %es\n"
    "    movl %eax, %fs\n    movl %eax, %gs\n"
    "    pushl $0x23\n"                          /* SS */
    "    pushl $user_stack + 8192\n"             /* ESP */
    "    pushfl\n"                               /* EFLAGS: the kernel's */
    "    pushl $0x1B\n"                          /* CS */
    "    pushl $user_trampoline\n"
    "    iret\n"
    ".globl user_trampoline\n"
    "user_trampoline:\n"
    "    call *user_fn\n"
    "    int $0x81\n"
    ".globl back_from_user\n"
    "back_from_user:\n"                          /* ring 0, on ESP0's stack */
    "    movl $0x10, %eax\n    movl %eax, %ds\n    movl %eax, %es\n"
    "    movl %eax, %fs\n    movl %eax, %gs\n"
    "    movl kernel_esp, %esp\n"
    "    popl %edi\n    popl %esi\n    popl %ebx\n    popl %ebp\n"
    "    ret\n");

void run_user(void (*fn)(void))
{
    user_fn = fn;
    run_user_asm();
}

/* ---- Paging ---------------------------------------------------------------- */

void paging_on(int user)
{
    for (uint32_t i = 0; i < 1024; i++)
        low_pt[i] = i << 12 | PG_P | PG_W | (user ? PG_U : 0);
    page_dir[0] = (uint32_t)low_pt | PG_P | PG_W | PG_U;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    write_cr0(read_cr0() | CR0_PG);
}

/* ---- The machine ----------------------------------------------------------- */

void machine_init(void)
{
    gdt[1] = seg_desc(0, 0xFFFFF, 0x9B, 0xC);    /* kernel code: P, DPL 0, execute/read, accessed */
    gdt[2] = seg_desc(0, 0xFFFFF, 0x93, 0xC);    /* kernel data: P, DPL 0, read/write, accessed */
    gdt[3] = seg_desc(0, 0xFFFFF, 0xFB, 0xC);    /* user code: DPL 3 */
    gdt[4] = seg_desc(0, 0xFFFFF, 0xF3, 0xC);    /* user data: DPL 3 */
    gdt[5] = seg_desc((uint32_t)tss, sizeof(tss) - 1, 0x89, 0);   /* available 32-bit TSS */
    tss[1] = (uint32_t)ring0_stack + sizeof(ring0_stack);       /* ESP0 */
    tss[2] = KDATA;                                            /* SS0 */
    tss[25] = sizeof(tss) << 16;                  /* the I/O map base past the limit: no map */
    struct table_pointer g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x08, $1f\n"
                     "1: movl $0x10, %%eax\n\t"
                     "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%fs\n\t"
                     "movl %%eax, %%gs\n\tmovl %%eax, %%ss\n\t"
                     "movw $0x28, %%ax\n\tltr %%ax"
                     : : "m"(g) : "eax", "memory");
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, exception_stubs[v], KCODE, 0x8E);
    set_gate(BACK_VECTOR, (uint32_t)back_from_user, KCODE, 0xEE);
    /* Every PIC line masked (OCW1): the BIOS left IRQ 0 at vector 8, where
     * a timer tick would look like a double fault once IF is set (ring 3
     * under cpu=deprivileged runs with interrupts on, hv/depriv/depriv.h). */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    struct table_pointer i = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(i) : "memory");
}
