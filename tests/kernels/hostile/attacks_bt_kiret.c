/*
 * attacks_bt_kiret.c: IRET from the kernel back to the kernel (the same
 * privilege level: EIP, CS and EFLAGS popped, SDM vol. 2A, IRET,
 * "RETURN-TO-SAME-PRIVILEGE-LEVEL"). bt=1 translates it (hv/bt/bt_iret.h):
 * no exit when the frame's CS is the one the kernel runs with, as the
 * hypervisor checked it, EIP within its limit, and no flag the CPU would
 * load that a POPF at ring 1 does not; every other IRET exits to the
 * hypervisor's emulation (depriv_iret). Each attack here compares with
 * the bare CPU; those marked "kiret" must also show, under bt, IRETs to
 * ring 0 taken by the translation (hostile.py), so that none passes
 * without reaching it.
 */
#include "attack.h"

#define ALIAS_CS   (GDT_FREE * 8)          /* a second flat ring-0 code segment */
#define SMALL_CS   ((GDT_FREE + 1) * 8)    /* one with a 64 MiB limit */
#define SMALL_TOP  0x04000000u

/* IRET to the next instruction with CS `cs` and EFLAGS `eflags`; the
 * flags there, as PUSHF shows them (IF off again and DF clear after). */
static uint32_t iret_here(uint32_t cs, uint32_t eflags)
{
    uint32_t seen;
    __asm__ volatile("pushl %1\n\tpushl %2\n\tpushl $1f\n\tiret\n"
                     "1:\tpushfl\n\tpopl %0\n\tcli\n\tcld"
                     : "=r"(seen) : "r"(eflags), "r"(cs) : "memory", "cc");
    return seen;
}

/* The PICs masked, and one STI: until a guest's first STI the hypervisor
 * has every IRET of a ring-1 kernel exit (depriv_set_vif), and the
 * translation's own path would go untried. */
static void quiet_interrupts(void)
{
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    __asm__ volatile("sti\n\tnop\n\tcli" : : : "memory");
}

/* A flat ring-0 code segment at GDT index `index`, `pages` 4 KiB pages
 * long, entered by IRET, then IRET to it again from within: the second is
 * the translation's own case (its CS the one the kernel runs with). */
static void enter_code_segment(unsigned index, uint32_t pages)
{
    gdt_set(index, seg_desc(0, pages - 1, 0x9B, 0xC));
    gdt_reload();
    iret_here(index * 8, 0x2);
    iret_here(index * 8, 0x2);
}

/* Every arithmetic flag, DF and IF, alone and together, through IRET to
 * the kernel's own CS; and AC, which the translation leaves to the
 * hypervisor. Registers around it are the compiler's: kept, or the run
 * goes astray. */
/* Unpatched (depriv), IRET and PUSHF at ring 1 leave and show the real
 * IF (the documented limit, hv/depriv/depriv.h): the IF bits differ there,
 * here and in bt-kiret-loaded-flags. */
ATTACK(kiret_flags, "bt-kiret-flags", "all kiret",
       "native; depriv: result 512 IRETs to CS 0x08: flags sum 0x0410d900, mix 0xa713a100",
       "IRET to the kernel's own code segment, 512 EFLAGS images: what PUSHF shows after each")
{
    quiet_interrupts();
    static const uint32_t bit[9] = { 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800, 0x200, 0x40000 };
    uint32_t sum = 0, mix = 0;
    for (uint32_t i = 0; i < 512; i++) {
        uint32_t image = 0x2;
        for (unsigned b = 0; b < 9; b++)
            if (i & (1u << b))
                image |= bit[b];
        uint32_t seen = iret_here(KCODE, image);
        sum += seen;
        mix = mix * 31 + seen;
    }
    result("512 IRETs to CS 0x08: flags sum 0x%08x, mix 0x%08x", sum, mix);
}

/* To another code segment of the kernel's: CS changes (the translation
 * must not go on with the old one). Unpatched, MOV from CS shows the real
 * RPL 1 (the documented limit). */
ATTACK(kiret_other_cs, "bt-kiret-other-cs", "all kiret", "native; depriv: result CS 0x31 there, 0x9 back",
       "IRET from CS 0x08 to a second flat ring-0 code segment, and back")
{
    quiet_interrupts();
    enter_code_segment(GDT_FREE, 0x100000);
    uint16_t there, back;
    __asm__ volatile("movw %%cs, %0" : "=r"(there));
    iret_here(KCODE, 0x2);
    __asm__ volatile("movw %%cs, %0" : "=r"(back));
    result("CS 0x%x there, 0x%x back", there, back);
}

/* The code segment the kernel runs in, made not present in the GDT
 * (and LGDT): IRET reads the descriptor again, #NP(CS) at the IRET. */
ATTACK(kiret_cs_absent, "bt-kiret-cs-absent", "all kiret", "native",
       "IRET to the code segment it runs in, after the GDT marked that segment not present")
{
    quiet_interrupts();
    enter_code_segment(GDT_FREE, 0x100000);
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0x1B, 0xC));  /* P clear */
    gdt_reload();
    __asm__ volatile("pushl $2\n\tpushl %0\n\tpushl $1f\n\t" EXPECT_AT("iret") "1:"
                     : : "r"((uint32_t)ALIAS_CS) : "memory");
    result("no fault");
}

/* A code segment with a 64 MiB limit: IRET to an EIP past it is #GP(0) at
 * the IRET, nothing popped. */
ATTACK(kiret_past_limit, "bt-kiret-past-limit", "all kiret", "native",
       "IRET within a 64 MiB code segment to an EIP past its limit")
{
    quiet_interrupts();
    enter_code_segment(GDT_FREE + 1, SMALL_TOP / 4096);
    uint32_t esp_before, esp_after;
    __asm__ volatile("movl %%esp, %0" : "=r"(esp_before));
    __asm__ volatile("pushl $2\n\tpushl %0\n\tpushl %1\n\t" EXPECT_AT("iret")
                     : : "r"((uint32_t)SMALL_CS), "r"(SMALL_TOP) : "memory");
    __asm__ volatile("movl %%esp, %0" : "=r"(esp_after));
    result("no fault, ESP moved by %d", (int)(esp_after - esp_before));
}

/* TF in the image: the single-step trap comes after the first
 * instruction at the target (SDM 17.3.1.4), in the handler once. */
ATTACK(kiret_tf, "bt-kiret-tf", "all kiret", "native",
       "IRET to the kernel with TF set in the EFLAGS image")
{
    quiet_interrupts();
    extern char kiret_tf_target[], kiret_tf_after[];
    set_gate(1, (uint32_t)single_step_stub, KCODE, 0x8E);
    iret_here(KCODE, 0x2);                          /* one without TF first: translated */
    __asm__ volatile("pushl $0x102\n\tpushl $0x08\n\tpushl $kiret_tf_target\n\tiret\n"
                     "kiret_tf_target:\n\tnop\n"
                     "kiret_tf_after:\n\tnop\n\tcli" : : : "memory");
    result("%u #DB, %s", (unsigned)db_count,
           db_eip == (uint32_t)kiret_tf_after ? "after the first instruction"
           : db_eip == (uint32_t)kiret_tf_target ? "at the target" : "elsewhere");
}

/* NT, ID and RF in the image: the CPU at ring 0 loads them all (IOPL is
 * left out: the hypervisor keeps the guest's IOPL 0 at its IRETs, a
 * known gap, hv/containment.md). */
ATTACK(kiret_loaded_flags, "bt-kiret-loaded-flags", "all kiret",
       "native; depriv: result NT: 0x4202, ID: 0x200202, RF: 0x202",
       "IRET to the kernel with NT, then ID, then RF in the EFLAGS image: what PUSHF shows")
{
    quiet_interrupts();
    iret_here(KCODE, 0x2);                          /* one with none of them first: translated */
    uint32_t nt = iret_here(KCODE, 0x4002);
    __asm__ volatile("pushfl\n\tandl $~0x4000, (%%esp)\n\tpopfl" : : : "memory", "cc");
    uint32_t id = iret_here(KCODE, 0x200002);
    uint32_t rf = iret_here(KCODE, 0x10002);        /* RF: gone after one instruction */
    result("NT: 0x%x, ID: 0x%x, RF: 0x%x", nt, id, rf);
}
