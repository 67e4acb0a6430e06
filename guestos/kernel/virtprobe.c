/*
 * virtprobe.c: probes of the kernel's privilege, run at the kernel's own
 * privilege level (system call SYS_virtprobe, for the virtcheck test).
 *
 * On real hardware, or under VT-x with the kernel at ring 0, each probe
 * reads what the kernel set up. When a hypervisor runs the kernel at ring 1
 * (pre-VT trap-and-emulate), these instructions do not trap and give the
 * truth instead: POPF ignores IF, PUSHF shows the real IF, CS/SS show RPL 1,
 * SGDT/SIDT/STR show the hypervisor's shadow tables, and LAR/LSL the
 * descriptors as the hypervisor rewrote them.
 */
#include "defs.h"
#include "mmu.h"
#include "virtprobe.h"
#include "plat.h"

struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));

/* Let IF be set, then POPF flags with IF clear, and read IF back. Also
 * read IF with PUSHF just after a CLI. Both are 0 natively. */
static void probe_interrupt_flag(struct virtprobe *out, uint32_t flags)
{
    uint32_t on = flags | EFLAGS_IF, off = flags & ~EFLAGS_IF, after;
    __asm__ volatile("push %1; popf; push %2; popf; pushf; pop %0"
                     : "=r"(after) : "r"(on), "r"(off) : "memory", "cc");
    out->popf_if = !!(after & EFLAGS_IF);
    __asm__ volatile("cli; pushf; pop %0" : "=r"(after) : : "memory");
    out->pushf_if = !!(after & EFLAGS_IF);
}

static void probe_descriptor_tables(struct virtprobe *out)
{
    struct dtr gdtr, idtr;
    uint16_t ldt, tr, msw;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    __asm__ volatile("sldt %0; str %1; smsw %2" : "=r"(ldt), "=r"(tr), "=r"(msw));
    out->gdt_base = gdtr.base, out->gdt_limit = gdtr.limit;
    out->idt_base = idtr.base, out->idt_limit = idtr.limit;
    out->ldt = ldt, out->tr = tr, out->msw = msw;
}

/* LAR and LSL read a descriptor as the CPU holds it: the DPL of the
 * kernel's code segment (access rights bits 14:13) and the limit of its
 * data segment, flat natively. A hypervisor that compresses rings or
 * truncates segments to hide itself (lab 3) shows through both. */
static void probe_segments(struct virtprobe *out)
{
    uint32_t rights, limit;
    __asm__ volatile("lar %2, %0; lsl %3, %1" : "=&r"(rights), "=&r"(limit)
                     : "r"((uint32_t)SEG_KCODE), "r"((uint32_t)SEG_KDATA) : "cc");
    out->lar_kcode_dpl = (rights >> 13) & 3;
    out->lsl_kdata = limit;
}

/* With interrupts off nothing should come between two RDTSCs: a big step
 * is time the CPU spent elsewhere (a VM exit, or the host's scheduler). */
static void probe_tsc(struct virtprobe *out)
{
    const uint32_t reads = 20000;
    uint64_t prev = rdtsc(), max = 0;
    for (uint32_t i = 0; i < reads; i++) {
        uint64_t now = rdtsc();
        if (now - prev > max)
            max = now - prev;
        prev = now;
    }
    out->tsc_max_gap = max > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)max;
    out->tsc_reads = reads;
}

void run_virtprobe(struct virtprobe *out)
{
    uint32_t flags = irq_save();
    probe_interrupt_flag(out, read_eflags());
    uint32_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    out->cs = cs & 0xFFFF, out->ss = ss & 0xFFFF;
    probe_descriptor_tables(out);
    probe_segments(out);
    out->cr0 = read_cr0();
    out->cr4 = read_cr4();
    probe_tsc(out);
    irq_restore(flags);
    out->my_gdt_base = gdt_address(), out->my_gdt_limit = 6 * 8 - 1;
    out->my_idt_base = idt_address(), out->my_idt_limit = 256 * 8 - 1;
    out->my_tr = SEG_TSS;
}
