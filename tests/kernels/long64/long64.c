/*
 * long64.c: the long64 test kernel's checks, in 64-bit mode (entry.S got
 * it there). Each prints one line over COM1, the same natively under QEMU
 * (its -kernel loader) and under the hypervisor with EPT: what a 64-bit PC
 * kernel needs of the CPU (SDM vol. 3, 10.8.5; 6.14 64-bit interrupts;
 * 5.8.8 SYSCALL and SYSRET; vol. 4 table 2-2 for the MSRs). Any check that
 * fails says so and the kernel powers off with status 1; all passed: 0.
 */
#include <stdbool.h>
#include <stdint.h>
#include "cpu.h"
#include "long_mode_msr_numbers.h"
#include "multiboot.h"
#include "poweroff.h"
#include "printf.h"
#include "probe_mmio.h"
#include "probe_strio.h"
#include "serial.h"
#include "string.h"
#include "x86io.h"

#define MSR_EFER            0xC0000080
#define EFER_SCE            (1u << 0)
#define EFER_LMA            (1u << 10)
#define RFLAGS_IF           (1u << 9)
#define RFLAGS_TF           (1u << 8)
#define NON_CANONICAL       0x0000800000000000ull   /* bit 47 set, 63:48 clear */
#define UNMAPPED            0x40000000ull           /* entry.S maps the first GiB */

/* entry.S */
long try_call(void (*fn)(void));
long ring3_call(uint64_t rip, uint64_t rsp);
extern char fault_0[], fault_6[], fault_8[], fault_13[], fault_14[], irq_timer[];
extern char syscall_entry[], user_code[], user_after_syscall[];
extern volatile uint64_t ticks, fault_error, fault_cr2, fault_rip;
extern uint64_t sys_rflags, sys_rcx, sys_r11, sys_rdi, sys_rsi;
extern uint16_t sys_cs, sys_ss;

static unsigned failures;

static void check(bool ok, const char *what)
{
    if (!ok)
        failures++;
    printf("long64: %s: %s\n", what, ok ? "ok" : "FAILED");
}

/* ---- the 64-bit IDT (SDM 6.14.1: 16-byte gates) ---- */
struct gate {
    uint16_t offset0, selector;
    uint8_t ist, type;
    uint16_t offset1;
    uint32_t offset2, zero;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, void *handler)
{
    uint64_t a = (uint64_t)handler;
    idt[vector] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static void load_idt(void)
{
    set_gate(0, fault_0);
    set_gate(6, fault_6);
    set_gate(8, fault_8);
    set_gate(13, fault_13);
    set_gate(14, fault_14);
    set_gate(0x20, irq_timer);
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } p = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void unexpected_fault(uint64_t vector);
void unexpected_fault(uint64_t vector)
{
    printf("long64: unexpected exception %lu error=0x%lx rip=0x%lx cr2=0x%lx\n", vector, fault_error,
           fault_rip, fault_cr2);
    poweroff(POWEROFF_FAIL);
}

/* ---- the faults a 64-bit kernel relies on ---- */
static void read_non_canonical(void) { (void)*(volatile uint64_t *)NON_CANONICAL; }
static void read_unmapped(void) { (void)*(volatile uint64_t *)UNMAPPED; }
static void fs_base_non_canonical(void) { wrmsr(MSR_FS_BASE, NON_CANONICAL); }
static void lstar_non_canonical(void) { wrmsr(MSR_LSTAR, NON_CANONICAL); }

static bool checked_on_hvlab_only(const char *what);

/* Leaving long mode the ways a CPU refuses (SDM 10.8.5.4; vol. 2 MOV CR
 * and WRMSR): CR0.PG cleared in 64-bit mode (with NE cleared too, a bit a
 * hypervisor owns, so that the MOV exits there and is emulated), CR4.PAE
 * cleared in IA-32e mode, EFER.LME cleared while paging is on. */
static void clear_pg_in_64bit_mode(void)
{
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 &= ~((1ull << 31) | (1ull << 5));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

static void clear_pae_in_long_mode(void)
{
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~(1ull << 5)) : "memory");
}

static void clear_lme_while_paging(void) { wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(1ull << 8)); }

/* RIP run into a non-canonical address: the jump faults (#GP(0), vol. 2 JMP). */
static void jump_non_canonical(void)
{
    __asm__ volatile("jmp *%0" : : "r"(NON_CANONICAL));
}

static void far_jump_long_and_db(void)
{
    static const struct __attribute__((packed)) { uint32_t offset; uint16_t selector; } target = { 0, 0x30 };
    __asm__ volatile("ljmpl *%0" : : "m"(target));
}

static void check_faults(void)
{
    long r = try_call(read_non_canonical);
    check(r == 1 + 13 && fault_error == 0, "a non-canonical access is #GP(0)");
    r = try_call(read_unmapped);
    check(r == 1 + 14 && fault_cr2 == UNMAPPED && fault_error == 0,
          "an access to an unmapped page is #PF, CR2 its address, error code 0");
    r = try_call(jump_non_canonical);
    check(r == 1 + 13 && fault_error == 0, "a jump to a non-canonical address is #GP(0)");
    if (checked_on_hvlab_only("a far jump to a CS with L=1 and D=1")) {
        r = try_call(far_jump_long_and_db);
        check(r == 1 + 13 && fault_error == 0x30, "a far jump to a CS with L=1 and D=1 is #GP(0x30)");
    }
    if (checked_on_hvlab_only("MOV to CR0 clearing PG in 64-bit mode")) {
        r = try_call(clear_pg_in_64bit_mode);
        check(r == 1 + 13 && fault_error == 0, "MOV to CR0 clearing PG in 64-bit mode is #GP(0)");
    }
    if (checked_on_hvlab_only("MOV to CR4 clearing PAE in IA-32e mode")) {
        r = try_call(clear_pae_in_long_mode);
        check(r == 1 + 13 && fault_error == 0, "MOV to CR4 clearing PAE in IA-32e mode is #GP(0)");
    }
    if (checked_on_hvlab_only("WRMSR clearing EFER.LME while paging is on")) {
        r = try_call(clear_lme_while_paging);
        check(r == 1 + 13 && fault_error == 0 && (rdmsr(MSR_EFER) & EFER_LMA),
              "WRMSR clearing EFER.LME while paging is on is #GP(0), long mode stays");
    }
}

/* Where QEMU's TCG is not the CPU: it takes a non-canonical address in
 * these MSRs, which a CPU refuses with #GP(0) (SDM vol. 4, table 2-2; vol.
 * 2 WRMSR), as Bochs and the hypervisor do; and it clears CR0.PG in 64-bit
 * mode and CR4.PAE in IA-32e mode, which a CPU refuses (vol. 2 MOV CR), and
 * then stops on an assertion of its own or a triple fault; it loads a CS
 * with L=1 and D=1, reserved (SDM 5.2.1), on a far jump; and it lets
 * WRMSR change EFER.LME while paging is on (#GP(0) on a CPU, SDM 10.8.5). Natively under QEMU those checks are left out and the line
 * says so; under the hypervisor (leaf 0x40000000 names it) they are made:
 * there they matter, where a non-canonical base would fail the VM entry. */
static bool checked_on_hvlab_only(const char *what)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u), "c"(0));
    bool hvlab = b == 0x616c7668u && c == 0x6c766862u && d == 0x76686261u;   /* "hvlabhvlabhv" */
    if (!hvlab)
        printf("long64: %s: not checked off hvlab (QEMU's TCG takes it)\n", what);
    return hvlab;
}

/* ---- FS, GS and SWAPGS ---- */
static uint64_t fs_data = 0x1111222233334444ull, gs_data = 0x5555666677778888ull,
                kernel_gs_data = 0x9999aaaabbbbccccull;

static uint64_t read_fs0(void) { uint64_t v; __asm__ volatile("mov %%fs:0, %0" : "=r"(v)); return v; }
static uint64_t read_gs0(void) { uint64_t v; __asm__ volatile("mov %%gs:0, %0" : "=r"(v)); return v; }

static void check_segment_bases(void)
{
    wrmsr(MSR_FS_BASE, (uint64_t)&fs_data);
    wrmsr(MSR_GS_BASE, (uint64_t)&gs_data);
    wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&kernel_gs_data);
    check(rdmsr(MSR_FS_BASE) == (uint64_t)&fs_data && read_fs0() == fs_data,
          "FS_BASE written by WRMSR reads back and is FS's base");
    check(rdmsr(MSR_GS_BASE) == (uint64_t)&gs_data && read_gs0() == gs_data,
          "GS_BASE written by WRMSR reads back and is GS's base");
    __asm__ volatile("swapgs" ::: "memory");
    bool swapped = read_gs0() == kernel_gs_data && rdmsr(MSR_GS_BASE) == (uint64_t)&kernel_gs_data &&
                   rdmsr(MSR_KERNEL_GS_BASE) == (uint64_t)&gs_data;
    __asm__ volatile("swapgs" ::: "memory");
    check(swapped && read_gs0() == gs_data, "SWAPGS exchanges GS_BASE and KERNEL_GS_BASE");
    if (checked_on_hvlab_only("WRMSR of a non-canonical FS_BASE")) {
        long r = try_call(fs_base_non_canonical);
        check(r == 1 + 13 && rdmsr(MSR_FS_BASE) == (uint64_t)&fs_data,
              "WRMSR of a non-canonical FS_BASE is #GP(0) and changes nothing");
    }
}

/* ---- SYSCALL and SYSRET ---- */
static uint8_t user_stack[4096] __attribute__((aligned(16)));

static void check_syscall(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* SYSCALL: CS 0x08, SS 0x10; SYSRET to 64-bit: CS 0x18+16, SS 0x18+8, RPL 3. */
    wrmsr(MSR_STAR, (uint64_t)0x001B0008 << 32);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_TF);
    check(rdmsr(MSR_STAR) == (uint64_t)0x001B0008 << 32 && rdmsr(MSR_LSTAR) == (uint64_t)syscall_entry &&
          rdmsr(MSR_SFMASK) == (RFLAGS_IF | RFLAGS_TF), "STAR, LSTAR and SFMASK read back");
    long cs_after = ring3_call((uint64_t)user_code, (uint64_t)(user_stack + sizeof(user_stack)));
    check(sys_rdi == 0x2B && sys_rsi == 0x23, "SYSRET entered ring 3 with STAR's selectors (CS 0x2b, SS 0x23)");
    check(sys_cs == 0x08 && sys_ss == 0x10 && sys_rcx == (uint64_t)user_after_syscall,
          "SYSCALL reached LSTAR at ring 0 with STAR's selectors, RCX the return address");
    check((sys_r11 & RFLAGS_IF) && !(sys_rflags & RFLAGS_IF),
          "SYSCALL saved RFLAGS in R11 (IF=1) and SFMASK cleared IF");
    check(cs_after == 0x2B, "SYSRET returned to ring 3 and SYSCALL came back");
    if (checked_on_hvlab_only("WRMSR of a non-canonical LSTAR")) {
        long r = try_call(lstar_non_canonical);
        check(r == 1 + 13 && rdmsr(MSR_LSTAR) == (uint64_t)syscall_entry,
              "WRMSR of a non-canonical LSTAR is #GP(0) and changes nothing");
    }
}

/* ---- an interrupt in 64-bit mode: the PIT's IRQ 0 through the PIC ---- */
static void check_interrupts(void)
{
    /* The 8259A pair: ICW1-4 (vectors 0x20 and 0x28, cascade on IR2,
     * 8086 mode), everything masked but IRQ 0 (8259A data sheet). */
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xA0, 0x11); outb(0xA1, 0x28); outb(0xA1, 0x02); outb(0xA1, 0x01);
    outb(0x21, 0xFE); outb(0xA1, 0xFF);
    /* The 8254's counter 0, mode 2, 100 Hz (1193182 / 11932). */
    outb(0x43, 0x34); outb(0x40, 11932 & 0xFF); outb(0x40, 11932 >> 8);
    __asm__ volatile("sti");
    while (ticks < 3)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    outb(0x21, 0xFF);
    check(ticks >= 3, "the PIT's IRQ 0 through the PIC reached its 64-bit gate 3 times");
}

/* probe=lapic on the command line: read the local APIC's version register
 * (SDM 11.4.8) from 64-bit code and power off, nothing else: the same
 * natively and under the hypervisor, whose MMIO emulation decodes the MOV
 * (long_mode_cases.py; probe_mmio.c tries every form). */
bool probe_asked(uint32_t magic, uint32_t info, const char *probe)
{
    const struct multiboot_info *mbi = (const struct multiboot_info *)(uint64_t)info;
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !(mbi->flags & MULTIBOOT_INFO_CMDLINE))
        return false;
    size_t n = strlen(probe);
    for (const char *c = (const char *)(uint64_t)mbi->cmdline; *c; c++)
        if (strncmp(c, probe, n) == 0)
            return true;
    return false;
}

void long64_main(uint32_t magic, uint32_t info);
void long64_main(uint32_t magic, uint32_t info)
{
    (void)info;
    serial_init();
    /* Every IRQ masked until check_interrupts: ring 3 runs with IF=1 and
     * this kernel has no TSS to take an interrupt there (SDM 6.14.4). */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    load_idt();
    printf("long64: in 64-bit mode, multiboot magic %s\n", magic == MULTIBOOT_BOOTLOADER_MAGIC ? "ok" : "BAD");
    if (probe_asked(magic, info, "probe=lapic")) {
        uint32_t version = *(volatile uint32_t *)0xFEE00030ull;
        printf("long64: local APIC version register read: 0x%x\n", version);
        poweroff(POWEROFF_OK);
    }
    if (probe_asked(magic, info, "probe=mmio"))
        poweroff(probe_mmio(probe_asked(magic, info, "mmio=wide"), probe_asked(magic, info, "mmio=outside"))
                 ? POWEROFF_OK : POWEROFF_FAIL);
    if (probe_asked(magic, info, "probe=strio"))
        poweroff(probe_strio(magic, info) ? POWEROFF_OK : POWEROFF_FAIL);
    check(rdmsr(MSR_EFER) & EFER_LMA, "IA32_EFER.LMA reads 1");
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
    check(d & (1u << 29), "CPUID 0x80000001 EDX says long mode (bit 29)");
    check(d & (1u << 11), "CPUID 0x80000001 EDX says SYSCALL (bit 11)");
    check_faults();
    check_segment_bases();
    check_syscall();
    check_interrupts();
    printf("long64: %s\n", failures ? "some checks FAILED" : "all checks passed");
    poweroff(failures ? POWEROFF_FAIL : POWEROFF_OK);
}
