/*
 * attacks_depriv_ring.c: the rings of a deprivileged guest (cpu=deprivileged,
 * hv/depriv/depriv.h): SYSENTER and SYSEXIT, ring 2, and the hypervisor's own
 * slot at the top of the guest's linear space. Natively each is plain IA-32; a
 * guest kernel moved to ring 1 must see the same, and never real ring 0.
 */
#include "attack.h"

/* ---- SYSENTER and SYSEXIT (SDM vol. 2B) ---------------------------------- */

static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));
#define SYSENTER_TOP ((uint32_t)sysenter_stack + sizeof(sysenter_stack))

/* What the code at IA32_SYSENTER_EIP saw. */
uint32_t landed_cs, landed_ss, landed_esp, landed_flags, resume_esp, saved_ecx, saved_edx;

static void set_sysenter(uint16_t cs, uint32_t esp, uint32_t eip)
{
    wrmsr(0x174, cs);
    wrmsr(0x175, esp);
    wrmsr(0x176, eip);
}

/* A descriptor of the hypervisor's GDT seen from the guest: present, code
 * or data, DPL 1 (a guest kernel's segment compressed to ring 1). No page
 * of the guest's holds one at 0xFFC00008: paging maps nothing there. */
static int looks_like_hypervisor_gdt(uint64_t d)
{
    unsigned access = (unsigned)(d >> 40) & 0xFF;
    return (access & 0xF0) == 0xB0;
}

/* From the SYSENTER landing: read the hypervisor's GDT through SS (a flat
 * SS would reach it; under cpu=deprivileged the SS limit stops it: #SS),
 * and LGDT, which at real ring 0 would not exit. With paging on and nothing
 * mapped there, the CPU gives #PF. */
void peek_over_the_wall(void);
void peek_over_the_wall(void)
{
    uint32_t lo = 0, hi = 0;
    recovered_vector = NO_FAULT;
    TRY("movl %%ss:0xFFC00008, %0\n\tmovl %%ss:0xFFC0000C, %1", : "+r"(lo), "+r"(hi) : : "memory");
    if (recovered_vector == NO_FAULT && looks_like_hypervisor_gdt((uint64_t)hi << 32 | lo))
        breach("read the hypervisor's GDT through SS: 0x%08x%08x", hi, lo);
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
}

/* The landings: note CS, SS, ESP and EFLAGS, look over the wall, and go
 * back: to the kernel's stack (from ring 0), or by SYSEXIT (from ring 3,
 * ECX and EDX as the user program left them). */
void sysenter_from_ring0(void);
void landing_ring0(void);
void landing_ring3(void);
__asm__(
    ".globl sysenter_from_ring0, landing_ring0, landing_ring3\n"
    "sysenter_from_ring0:\n"
    "    pushl %ebp\n    pushl %ebx\n    pushl %esi\n    pushl %edi\n"
    "    movl %esp, resume_esp\n"
    "    sysenter\n"
    "landing_ring0:\n"
    "    movl %cs, %eax\n    movl %eax, landed_cs\n"
    "    movl %ss, %eax\n    movl %eax, landed_ss\n"
    "    movl %esp, landed_esp\n"
    "    pushfl\n    popl landed_flags\n"
    "    call peek_over_the_wall\n"
    "    movl resume_esp, %esp\n"
    "    ljmp $0x08, $1f\n"                 /* the kernel's own CS and SS again */
    "1:  movl $0x10, %eax\n    movl %eax, %ss\n"
    "    popl %edi\n    popl %esi\n    popl %ebx\n    popl %ebp\n"
    "    ret\n"
    "landing_ring3:\n"
    "    movl %ecx, saved_ecx\n    movl %edx, saved_edx\n"
    "    movl %cs, %eax\n    movl %eax, landed_cs\n"
    "    movl %ss, %eax\n    movl %eax, landed_ss\n"
    "    movl %esp, landed_esp\n"
    "    pushfl\n    popl landed_flags\n"
    "    call peek_over_the_wall\n"
    "    movl saved_ecx, %ecx\n    movl saved_edx, %edx\n"
    "    sysexit\n");

/* Ring 3: SYSENTER, and back by SYSEXIT to the next instruction. */
static uint32_t user_cs_after;
static void user_sysenter_body(void)
{
    uint32_t cs;
    __asm__ volatile("movl %%esp, %%ecx\n\tmovl $1f, %%edx\n\tsysenter\n"
                     "1:\tmovl %%cs, %0" : "=r"(cs) : : "ecx", "edx", "memory");
    user_cs_after = cs;
}

static const char *esp_seen(void)
{
    return landed_esp == SYSENTER_TOP ? "ok" : "wrong";
}

ATTACK(sysenter_ring0, "ring1-sysenter-from-ring0", "all",
       "native; depriv: result landed cs=0x9 ss=0x11 esp=ok if=0",
       "SYSENTER from the kernel: at real ring 0 with flat segments, the hypervisor's GDT in reach")
{
    paging_on(0);
    set_sysenter(KCODE, SYSENTER_TOP, (uint32_t)landing_ring0);
    sysenter_from_ring0();
    result("landed cs=0x%x ss=0x%x esp=%s if=%u", landed_cs, landed_ss, esp_seen(),
           (landed_flags >> 9) & 1);
}

ATTACK(sysenter_ring3, "ring1-sysenter-from-ring3", "all",
       "native; depriv: result landed cs=0x9 ss=0x11 esp=ok if=1, back at cs=0x1b",
       "SYSENTER from ring 3 to the kernel, SYSEXIT back")
{
    paging_on(1);
    set_sysenter(KCODE, SYSENTER_TOP, (uint32_t)landing_ring3);
    run_user(user_sysenter_body);
    result("landed cs=0x%x ss=0x%x esp=%s if=%u, back at cs=0x%x", landed_cs, landed_ss,
           esp_seen(), (landed_flags >> 9) & 1, user_cs_after);
}

/* SYSENTER_CS 0xFFF0: SS is 0xFFF8, far past any GDT (the CPU does not look).
 * The landing faults (#UD); the handler's IRET back to CS 0xFFF0 does look,
 * and gives #GP with the selector. */
void landing_fff0(void);
__asm__(
    ".globl landing_fff0\n"
    "landing_fff0:\n"
    "    movl $0x10, %eax\n    movl %eax, %ds\n"
    "    movl $2f, recover_eip\n"
    "    ud2\n"
    "2:  hlt\n");

ATTACK(sysenter_cs_fff0, "ring1-sysenter-cs-fff0", "all", "native",
       "IA32_SYSENTER_CS 0xFFF0, SYSENTER, then an exception and IRET from there")
{
    paging_on(0);
    set_sysenter(0xFFF0, SYSENTER_TOP, (uint32_t)landing_fff0);
    __asm__ volatile("sysenter" : : : "memory");
}

static void user_sysexit_body(void)
{
    __asm__ volatile(EXPECT_AT("sysexit") : : "c"(0), "d"(0) : "memory");
}
ATTACK(sysexit_ring3, "ring1-sysexit-from-ring3", "all", "native",
       "SYSEXIT at ring 3: only ring 0 may")
{
    set_sysenter(KCODE, SYSENTER_TOP, (uint32_t)landing_ring3);
    run_user(user_sysexit_body);
}

/* ---- Ring 2 ----------------------------------------------------------------
 * The guest's ring 2 is real ring 2 (ring compression moves only ring 0,
 * hv/depriv/depriv.h): its exceptions switch to the TSS's SS0:ESP0 stack, and
 * its frames hold its ring-2 selectors. */
#define R2CODE 0x32          /* GDT_FREE: DPL 2 code, RPL 2 */
#define R2DATA 0x3A          /* GDT_FREE + 1: DPL 2 data */
static uint8_t ring2_stack[4096] __attribute__((aligned(16)));
#define RING2_TOP ((uint32_t)ring2_stack + sizeof(ring2_stack))

/* The descriptors, and LGDT again: a hypervisor may copy the table only at
 * LGDT (hv/depriv/depriv.h), and natively the reload changes nothing. */
static void ring2_segments(void)
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0xDB, 0xC));
    gdt_set(GDT_FREE + 1, seg_desc(0, 0xFFFFF, 0xD3, 0xC));
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
}

/* At ring 2: its own data segments, then what the attack does there. */
#define AT_RING2(body)                                                        \
    "movl $0x3A, %%eax\n\tmovl %%eax, %%ds\n\tmovl %%eax, %%es\n\t" body

/* The segments set, a far RET to ring 2 (SS:ESP, CS:EIP), and body there. */
#define RET_TO_RING2(body)                                                     \
    ring2_segments();                                                          \
    __asm__ volatile("pushl %0\n\tpushl %1\n\tpushl %2\n\tpushl $1f\n\tlret\n"    \
                     "1:\t" AT_RING2(body)                                      \
                     : : "i"(R2DATA), "r"(RING2_TOP), "i"(R2CODE) : "eax", "memory")

ATTACK(ring2_exception, "ring1-ring2-exception", "all", "native",
       "far RET to a DPL-2 code segment, then #UD at ring 2: a stack switch to SS0:ESP0")
{
    RET_TO_RING2(EXPECT_AT("ud2"));
}

ATTACK(ring2_iret, "ring1-iret-to-ring2", "all", "native",
       "IRET from the kernel to ring 2, then #UD there")
{
    ring2_segments();
    __asm__ volatile("pushl %0\n\tpushl %1\n\tpushfl\n\tpushl %2\n\tpushl $1f\n\tiret\n"
                     "1:\t" AT_RING2(EXPECT_AT("ud2"))
                     : : "i"(R2DATA), "r"(RING2_TOP), "i"(R2CODE) : "eax", "memory");
}

/* ---- IRET back to user mode with a frame the CPU refuses ------------------
 * bt=1 runs a kernel IRET whose frame returns to ring 3 as a real IRET at
 * ring 1 (hv/bt/bt_iret.h): its checks are the CPU's, against the
 * hypervisor's copy of the GDT. Each frame here must give the guest the
 * #GP a ring-0 IRET gives it, at the IRET, never a selector of the
 * hypervisor's. EIP: a user page's address that is never reached. The
 * PICs masked and IF set first: with an interrupt able to wait for the
 * virtual IF the translation leaves the IRET to the hypervisor instead. */
#define IRET_TO_USER(cs, ss)                                                    \
    outb(0x21, 0xFF);                                                           \
    outb(0xA1, 0xFF);                                                           \
    __asm__ volatile("sti\n\t""pushl %0\n\tpushl %1\n\tpushl $0x202\n\tpushl %2\n\tpushl $0x400000\n\t" \
                     EXPECT_AT("iret") : : "i"(ss), "r"(RING2_TOP), "i"(cs) : "memory")

ATTACK(iret_user_top_selector, "ring1-iret-user-top-selector", "all", "native",
       "IRET to ring 3 with CS the GDT's last selector (the hypervisor's end of the table): #GP(0xfff8)")
{
    IRET_TO_USER(0xFFFB, UDATA);
}

ATTACK(iret_user_tss_cs, "ring1-iret-user-tss-cs", "all", "native",
       "IRET to ring 3 with CS the TSS's selector, RPL 3: #GP with it")
{
    IRET_TO_USER(TSS_SEL | 3, UDATA);
}

ATTACK(iret_user_kernel_ss, "ring1-iret-user-kernel-ss", "all", "native",
       "IRET to ring 3 with SS the kernel's DPL-0 data segment, RPL 3: #GP with it")
{
    IRET_TO_USER(UCODE, KDATA | 3);
}

ATTACK(iret_user_ss_absent, "ring1-iret-user-ss-absent", "all", "native",
       "IRET to ring 3 with SS a user data segment marked not present: #NP with it (IRET's, not #SS), not #GP")
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0x72, 0xC));   /* DPL 3 data, P clear */
    gdt_reload();
    IRET_TO_USER(UCODE, GDT_FREE * 8 | 3);
}

ATTACK(iret_user_cs_absent, "ring1-iret-user-cs-absent", "all", "native",
       "IRET to ring 3 with CS a user code segment marked not present: #NP with it, not #GP")
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0x7A, 0xC));   /* DPL 3 code, P clear */
    gdt_reload();
    IRET_TO_USER(GDT_FREE * 8 | 3, UDATA);
}

/* INT 0x40 from ring 2 through a DPL-2 gate to a ring-0 handler, which
 * reports the frame it got: ring 2's SS:ESP and CS. */
void ring2_int_handler(void);
void ring2_int_report(const uint32_t *frame);
void ring2_int_report(const uint32_t *frame)
{
    result("from cs=0x%x ss=0x%x esp=%s", frame[1], frame[4],
           frame[3] == RING2_TOP ? "ok" : "wrong");
}
__asm__(".globl ring2_int_handler\n"
        "ring2_int_handler:\n"
        "    movl $0x10, %eax\n    movl %eax, %ds\n    movl %eax, %es\n"
        "    pushl %esp\n"
        "    call ring2_int_report\n");

ATTACK(ring2_int, "ring1-ring2-int", "all", "native",
       "INT n at ring 2 through a DPL-2 gate: a stack switch, ring 2's selectors in the frame")
{
    set_gate(0x40, (uint32_t)ring2_int_handler, KCODE, 0xCE);
    RET_TO_RING2("int $0x40");
}

ATTACK(ring2_int_dpl0, "ring1-ring2-int-dpl0-gate", "all", "native",
       "INT3 at ring 2 through a DPL-0 gate: #GP with the gate's index")
{
    RET_TO_RING2(EXPECT_AT("int3"));
}

/* A gate that is not present: the CPU raises #NP with the gate's index
 * (SDM 6.12.1.1), which cpu=deprivileged delivers as the CPU does
 * (depriv_fault.c). */
ATTACK(int_absent_gate, "depriv-int-absent-gate", "all", "native",
       "INT 100 through a gate marked not present")
{
    set_gate(100, 0, KCODE, 0x0E);              /* 32-bit interrupt gate, P = 0 */
    __asm__ volatile(EXPECT_AT("int $100") : : : "memory");
}

/* ---- The hypervisor's slot: the top 4 MiB (hv/depriv/depriv.h) ---------------
 * Under cpu=deprivileged the hypervisor's GDT and TSS live there; the guest
 * may not reach them (every segment ends 64 MiB below 4 GiB: #GP), and
 * nothing it does to its own paging may unmap them. */
ATTACK(invlpg_slot, "depriv-invlpg-hypervisor-slot", "all", "native",
       "INVLPG every page of the top 4 MiB, then segment loads, port I/O and an exception")
{
    for (uint32_t va = 0xFFC00000u; va; va += 4096)
        invlpg(va);
    __asm__ volatile("ljmp $0x08, $1f\n1:\tmovl $0x10, %%eax\n\tmovl %%eax, %%ds\n\t"
                     "movl %%eax, %%ss" : : : "eax", "memory");
    printf("hostile: still here\n");
    __asm__ volatile(EXPECT_AT("ud2") : : : "memory");
}

ATTACK(map_slot, "depriv-map-hypervisor-slot", "all",
       "native; depriv patch: result exception 12 error=0x0 cpl=0 at=expected",
       "a guest page table mapping the top 4 MiB, CR3 reloaded, then a read of 0xFFC00008")
{
    paging_on(0);
    page_dir[1023] = (uint32_t)low_pt | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    invlpg(0xFFC00000u);
    uint32_t lo, hi;
    __asm__ volatile(EXPECT_AT("movl %%ss:0xFFC00008, %0") "\n\tmovl %%ss:0xFFC0000C, %1"
                     : "=r"(lo), "=r"(hi) : : "memory");
    if (looks_like_hypervisor_gdt((uint64_t)hi << 32 | lo))
        breach("read the hypervisor's GDT: 0x%08x%08x", hi, lo);
    __asm__ volatile(EXPECT_AT("ud2") : : : "memory");
}

/* ---- ICEBP (INT1) ------------------------------------------------------------
 * A trap: its #DB reports the next instruction's EIP (SDM vol. 2, INT1;
 * vol. 3, 6.15), and it skips the gate's DPL check that INT n makes. */
#define ICEBP ".byte 0xF1"
ATTACK(icebp, "ring1-icebp", "all", "native", "ICEBP in the kernel: #DB after it")
{
    __asm__ volatile(EXPECT_AT(ICEBP) : : : "memory");
}

static void user_icebp_body(void)
{
    __asm__ volatile(EXPECT_AT(ICEBP) : : : "memory");
}
ATTACK(icebp_user, "ring1-icebp-from-ring3", "all", "native",
       "ICEBP at ring 3 through the DPL-0 #DB gate: delivered, no #GP")
{
    run_user(user_icebp_body);
}

/* ---- Documented limits of ring compression (hv/depriv/depriv.h) --------------
 * The guest's ring 1 is its ring 0: both are real ring 1. IRET to a DPL-1
 * segment: natively ring 1; unpatched, the CPU's own IRET at real ring 1
 * stays there (the guest's ring 0); patched, the hypervisor stops the guest. */
ATTACK(iret_ring1, "ring1-iret-to-ring1", "all",
       "native; depriv: result exception 6 error=0x0 cpl=0 at=expected; patch: stop IRET to ring 1",
       "IRET from the kernel to a DPL-1 code segment, then #UD there")
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0xBB, 0xC));
    gdt_set(GDT_FREE + 1, seg_desc(0, 0xFFFFF, 0xB3, 0xC));
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
    __asm__ volatile("pushl $0x39\n\tpushl %0\n\tpushfl\n\tpushl $0x31\n\tpushl $1f\n\tiret\n"
                     "1:\tmovl $0x39, %%eax\n\tmovl %%eax, %%ds\n\tmovl %%eax, %%es\n\t"
                     EXPECT_AT("ud2") : : "r"(RING2_TOP) : "eax", "memory");
}

/* The hypervisor copies the guest's GDT at LGDT only: a descriptor written
 * afterwards is not seen until the next LGDT. A load the CPU does itself
 * then faults at ring 1, and the hypervisor stops the guest. */
ATTACK(gdt_rewrite, "ring1-gdt-write-after-lgdt", "all",
       "native; depriv patch: stop faults at ring 1",
       "write a GDT entry after LGDT, then load DS with it")
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0x93, 0xC));
    __asm__ volatile("movl $0x30, %%eax\n\tmovl %%eax, %%ds\n\tmovl $0x10, %%eax\n\tmovl %%eax, %%ds"
                     : : : "eax", "memory");
    result("DS loaded from the new descriptor");
}
