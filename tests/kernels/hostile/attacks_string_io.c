/*
 * attacks_string_io.c: string I/O, INS and OUTS with and without REP, which
 * the hypervisor emulates element by element through the same path as IN
 * and OUT (hv/exit/exit_io_string.c): each element one port access, its
 * memory through the guest's own segments and page tables. What the bare
 * CPU does (SDM vol. 2A INS, vol. 2B OUTS and REP) is the answer wherever
 * Bochs's own devices give the same bytes ("native"): the registers after
 * a REP, DF=1, a 16-bit address size, a fault in the middle of a REP with
 * the registers as after the elements done and EIP on the instruction, so
 * that running it again finishes it. Contained: a REP INS into memory the
 * guest does not have, and one whose count would hold the hypervisor for
 * minutes (each exit does a bounded part; the guest's timer ticks between).
 */
#include <stdbool.h>
#include "attack.h"
#include "poweroff.h"
#include "serial.h"
#include "string.h"

enum { COM1_DATA = 0x3F8, COM1_LSR = 0x3FD, LSR_THR_EMPTY = 1 << 5 };
enum { PIC1_DATA = 0x21, CMOS_INDEX = 0x70, CMOS_DATA = 0x71 };
enum { NO_DEVICE = 0x2F0 };     /* no device behind it, natively or under the hypervisor */

/* The registers a string instruction leaves. */
struct after { uint32_t ecx, esi, edi; };

static struct after rep_insb(uint16_t port, void *dst, uint32_t count, bool down)
{
    struct after a;
    __asm__ volatile("pushf\n\t"
                     "cmpb $0, %b[down]\n\tje 1f\n\tstd\n"
                     "1: rep insb\n\t"
                     "popf"
                     : "=c"(a.ecx), "=D"(a.edi)
                     : "c"(count), "D"(dst), "d"(port), [down] "q"(down)
                     : "memory", "cc");
    a.esi = 0;
    return a;
}

/* A line on COM1 through REP OUTSB, at most 16 bytes (the 16550's transmit
 * FIFO, which serial_init enabled) each time the FIFO is empty, as a driver
 * does: the bytes the console shows are the ones OUTSB read, from DS:ESI,
 * or with through_fs from FS:ESI. Returns ESI after the line. */
static uint32_t outs_line_at(uint32_t esi, uint32_t n, bool through_fs)
{
    while (n) {
        uint32_t chunk = n < 16 ? n : 16;
        n -= chunk;
        for (int i = 0; i < 1000000 && !(inb(COM1_LSR) & LSR_THR_EMPTY); i++)
            ;
        if (through_fs)
            __asm__ volatile("cld; rep outsb %%fs:(%%esi), (%%dx)" : "+S"(esi), "+c"(chunk)
                             : "d"(COM1_DATA) : "memory");
        else
            __asm__ volatile("cld; rep outsb" : "+S"(esi), "+c"(chunk) : "d"(COM1_DATA) : "memory");
    }
    return esi;
}

static void outs_line(const char *s)
{
    outs_line_at((uint32_t)s, strlen(s), false);
}

/* The attack's result line, written with REP OUTSB: the verdict itself
 * passes through the emulation. */
static _Noreturn void outs_result(const char *line)
{
    outs_line(line);
    serial_drain();
    poweroff(POWEROFF_OK);
}

ATTACK(strio_outsb_com1, "strio-outsb-com1", "all virtual vshadow vdepriv", "native",
       "the result line written to COM1 with REP OUTSB, 16 bytes at a time")
{
    outs_result("hostile: result written with rep outsb, 16 bytes at a time\n");
}

/* OUTS through a segment override: FS's base is the line, DS's is 0, so
 * the wrong segment would print the bytes at address 0. */
ATTACK(strio_outs_override, "strio-outs-fs-override", "all virtual vshadow vdepriv", "native",
       "REP OUTSB with an FS override, FS's base at the line and ESI 0")
{
    static const char line[] = "hostile: result printed through FS\n";
    gdt_set(GDT_FREE, seg_desc((uint32_t)line, sizeof(line) - 1, 0x93, 0x4));
    gdt_reload();
    __asm__ volatile("movw %w0, %%fs" : : "r"(GDT_FREE << 3));
    uint32_t esi = outs_line_at(0, sizeof(line) - 1, true);
    __asm__ volatile("movw %w0, %%fs" : : "r"(KDATA));
    serial_drain();
    if (esi != sizeof(line) - 1)
        result("esi=%u after the line", esi);
    poweroff(POWEROFF_OK);
}

/* The PIC's mask register read 8 times by REP INSB, DF=0 then DF=1: each
 * byte the single IN's, the registers past the buffer's end (start). */
ATTACK(strio_insb_pic, "strio-insb-pic-df", "all virtual vshadow vdepriv", "native",
       "REP INSB from the PIC's IMR, 8 bytes up (DF=0), then down (DF=1)")
{
    static uint8_t buf[24];
    uint8_t mask = inb(PIC1_DATA);
    outb(PIC1_DATA, 0xB5);
    uint8_t single = inb(PIC1_DATA);
    memset(buf, 0, sizeof(buf));
    struct after up = rep_insb(PIC1_DATA, buf + 4, 8, false);
    struct after down = rep_insb(PIC1_DATA, buf + 20, 8, true);
    outb(PIC1_DATA, mask);
    unsigned equal = 0;
    for (unsigned i = 0; i < sizeof(buf); i++)
        equal += buf[i] == single;
    result("IN 0x%02x, %u bytes equal (4-11 and 13-20), up: ecx=%u edi=buf+%d, down: ecx=%u edi=buf+%d",
           single, equal, up.ecx, (int)(up.edi - (uint32_t)buf), down.ecx, (int)(down.edi - (uint32_t)buf));
}

/* The CMOS's base-memory register (0x15, 0x16: 640 KiB) read with INSB,
 * INSB with REP, and IN: the same bytes. */
ATTACK(strio_insb_cmos, "strio-insb-cmos", "virtual vshadow vdepriv", "native",
       "REP INSB from the CMOS's data port, after the index of the base memory's size")
{
    uint8_t one[2], rep[2][6];
    for (unsigned r = 0; r < 2; r++) {
        outb(CMOS_INDEX, 0x15 + r);
        one[r] = inb(CMOS_DATA);
        rep_insb(CMOS_DATA, rep[r], 6, false);
    }
    unsigned equal = 0;
    for (unsigned r = 0; r < 2; r++)
        for (unsigned i = 0; i < 6; i++)
            equal += rep[r][i] == one[r];
    result("base memory %u KiB, %u of 12 INSB bytes equal IN's", one[0] | one[1] << 8, equal);
}

/* REP with ECX = 0 does nothing, and a 16-bit address size counts CX and
 * steps DI alone, DI wrapping at 64 KiB: bits 31:16 of ECX and EDI stay
 * (SDM vol. 2B, REP). ES's base is a 64 KiB buffer: offsets 0xFFFE,
 * 0xFFFF, then 0x0000. */
static uint8_t wrap[0x10000];

ATTACK(strio_counts, "strio-count-zero-and-addr16", "all virtual vshadow vdepriv", "native",
       "REP INSB with ECX 0; ADDR16 REP INSB with CX 3 and DI wrapping from 0xFFFE")
{
    memset(wrap, 0x5A, sizeof(wrap));
    struct after zero = rep_insb(NO_DEVICE, wrap, 0, false);
    gdt_set(GDT_FREE, seg_desc((uint32_t)wrap, 0xFFFF, 0x93, 0x4));
    gdt_reload();
    uint32_t ecx = 0x12340003, edi = 0xABCDFFFE;
    __asm__ volatile("movw %w[sel], %%es\n\t"
                     "cld; addr16 rep insb\n\t"
                     "movw %w[kdata], %%es"
                     : "+c"(ecx), "+D"(edi)
                     : "d"(NO_DEVICE), [sel] "r"(GDT_FREE << 3), [kdata] "r"(KDATA)
                     : "memory");
    result("ecx 0: ecx=%u edi=wrap+%d byte 0x%02x; addr16: ecx=0x%08x edi=0x%08x bytes %02x %02x %02x %02x",
           zero.ecx, (int)(zero.edi - (uint32_t)wrap), wrap[0], ecx, edi, wrap[0xFFFE], wrap[0xFFFF],
           wrap[0], wrap[1]);
}

/* ---- A fault in the middle of a REP ---------------------------------------- *
 * The handler records what the CPU left (the frame's EIP, the error code,
 * CR2, ECX, ESI, EDI), lets the attack repair the cause, and IRETs to the
 * faulting instruction, which must then finish the REP from those
 * registers: the CPU's "restartable" string instructions (SDM vol. 2B,
 * REP: a fault leaves the registers as after the elements done). */
struct fault_frame {                    /* PUSHAL's order, then the CPU's */
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error, eip, cs, eflags;
};

static struct { uint32_t count, vector, error, eip, cr2, ecx, esi, edi; } seen;
static void (*repair)(void);

void strio_fault_seen(struct fault_frame *f);
void strio_fault_seen(struct fault_frame *f)
{
    if (seen.count++)
        result("a second fault (vector %u at 0x%08x): the repair did not hold", f->vector, f->eip);
    seen.vector = f->vector, seen.error = f->error, seen.eip = f->eip;
    seen.cr2 = f->vector == 14 ? read_cr2() : 0;
    seen.ecx = f->ecx, seen.esi = f->esi, seen.edi = f->edi;
    repair();
}

void strio_gp_stub(void), strio_pf_stub(void);
__asm__(".text\n"
        "strio_gp_stub:\n    pushl $13\n    jmp strio_fault_common\n"
        "strio_pf_stub:\n    pushl $14\n"
        "strio_fault_common:\n"
        "    pushal\n"
        "    cld\n"                            /* C runs with DF=0; IRET restores it */
        "    pushl %esp\n"
        "    call strio_fault_seen\n"
        "    addl $4, %esp\n"
        "    popal\n"
        "    addl $8, %esp\n"                  /* the vector and the error code */
        "    iret\n");

static void catch_faults(void (*fix)(void))
{
    repair = fix;
    seen.count = 0;
    set_gate(13, (uint32_t)strio_gp_stub, KCODE, 0x8E);
    set_gate(14, (uint32_t)strio_pf_stub, KCODE, 0x8E);
}

/* Two pages: the first mapped, the second as the attack makes it. */
static uint8_t pages[2][4096] __attribute__((aligned(4096)));

static void second_page(uint32_t flags)
{
    uint32_t page = (uint32_t)pages[1];
    low_pt[page >> 12] = page | flags;
    __asm__ volatile("invlpg (%0)" : : "r"(page) : "memory");
}

static void map_second_page(void) { second_page(PG_P | PG_W); }

static int page_offset(uint32_t a) { return (int)(a - (uint32_t)pages[1]); }

/* REP INSB of 16 bytes from 5 before the second page, at linear `second`:
 * 5 elements, then the #PF of the sixth, CR2 the second page, ECX 11 and
 * EDI there, EIP the REP; the handler (fix) maps the page and the REP
 * finishes: 16 bytes. The caller clears pages[] first. */
static void insb_across_at(uint32_t second, void (*fix)(void))
{
    uint8_t mask = inb(PIC1_DATA);
    outb(PIC1_DATA, 0xC3);
    catch_faults(fix);
    uint32_t ecx = 16, edi = second - 5, at;
    __asm__ volatile("movl $1f, %[at]\n\tcld\n1:\trep insb"
                     : "+c"(ecx), "+D"(edi), [at] "=&r"(at) : "d"(PIC1_DATA) : "memory");
    unsigned written = 0;
    for (unsigned i = 4096 - 8; i < 4096 + 16; i++)
        written += ((const uint8_t *)pages)[i] == 0xC3;
    outb(PIC1_DATA, mask);
    result("%u fault: vector %u error 0x%x cr2=page+%d ecx=%u edi=page+%d eip=%s; "
           "after its IRET: ecx=%u edi=page+%d, %u bytes written",
           seen.count, seen.vector, seen.error, (int)(seen.cr2 - second), seen.ecx, (int)(seen.edi - second),
           seen.eip == at ? "the REP" : "elsewhere", ecx, (int)(edi - second), written);
}

static void insb_across(uint32_t flags, uint32_t cr0_set)
{
    paging_on(0);
    write_cr0(read_cr0() | cr0_set);
    memset(pages, 0, sizeof(pages));
    second_page(flags);
    insb_across_at((uint32_t)pages[1], map_second_page);
}

ATTACK(strio_pf_not_present, "strio-rep-insb-pf-not-present", "all virtual vshadow vdepriv", "native",
       "REP INSB into a page that is not present, 5 elements in; the handler maps it and IRETs")
{
    insb_across(0, 0);
}

ATTACK(strio_pf_read_only, "strio-rep-insb-pf-read-only", "all virtual vshadow vdepriv", "native",
       "REP INSB into a read-only page (CR0.WP), 5 elements in; the handler makes it writable")
{
    insb_across(PG_P, CR0_WP);
}

/* REP OUTSB reads: a page that is not present is a #PF with error 0. */
ATTACK(strio_outs_pf, "strio-rep-outsb-pf", "all virtual vshadow vdepriv", "native",
       "REP OUTSB from a page that is not present, 3 elements in; the handler maps it")
{
    paging_on(0);
    second_page(0);
    catch_faults(map_second_page);
    uint32_t ecx = 8, esi = (uint32_t)pages[1] - 3, at;
    __asm__ volatile("movl $1f, %[at]\n\tcld\n1:\trep outsb"
                     : "+c"(ecx), "+S"(esi), [at] "=&r"(at) : "d"(NO_DEVICE) : "memory");
    result("%u fault: vector %u error 0x%x cr2=page+%d ecx=%u esi=page+%d eip=%s; after: ecx=%u esi=page+%d",
           seen.count, seen.vector, seen.error, page_offset(seen.cr2), seen.ecx, page_offset(seen.esi),
           seen.eip == at ? "the REP" : "elsewhere", ecx, page_offset(esi));
}

/* ES with a limit of 0xFFF: REP INSB of 8 from offset 0xFFC writes 4
 * bytes, then the fifth element is beyond the limit: #GP(0), ECX and EDI
 * as after the fourth. The handler loads ES with the same base and a
 * limit of 0x1FFF (the frame holds no ES: the handler's ES is the REP's),
 * and the REP ends in the second page. */
enum { ES_SHORT = GDT_FREE, ES_LONG = GDT_FREE + 1 };

static void longer_es(void)
{
    __asm__ volatile("movw %w0, %%es" : : "r"(ES_LONG << 3));
}

ATTACK(strio_limit, "strio-rep-insb-es-limit", "all virtual vshadow vdepriv", "native",
       "REP INSB of 8 through an ES whose limit ends after 4; the handler gives ES a longer one")
{
    gdt_set(ES_SHORT, seg_desc((uint32_t)pages[0], 0xFFF, 0x93, 0x4));
    gdt_set(ES_LONG, seg_desc((uint32_t)pages[0], 0x1FFF, 0x93, 0x4));
    gdt_reload();
    memset(pages, 0, sizeof(pages));
    catch_faults(longer_es);
    uint32_t ecx = 8, edi = 0xFFC, at;
    __asm__ volatile("movw %w[sel], %%es\n\t"
                     "movl $1f, %[at]\n\tcld\n1:\trep insb\n\t"
                     "movw %w[kdata], %%es"
                     : "+c"(ecx), "+D"(edi), [at] "=&r"(at)
                     : "d"(NO_DEVICE), [sel] "r"(ES_SHORT << 3), [kdata] "r"(KDATA) : "memory");
    unsigned written = 0;
    for (unsigned i = 0xFF8; i < 0x1008; i++)
        written += ((const uint8_t *)pages)[i] == 0xFF;
    result("%u fault: vector %u error 0x%x ecx=%u edi=0x%x eip=%s; after: ecx=%u edi=0x%x, %u bytes written",
           seen.count, seen.vector, seen.error, seen.ecx, seen.edi, seen.eip == at ? "the REP" : "elsewhere",
           ecx, edi, written);
}

/* Memory the guest does not have: past the end of its RAM, with paging
 * off, guest-physical. The hypervisor stops it, as it stops a MOV there. */
ATTACK(strio_outside_ram, "strio-rep-insb-outside-ram", "all virtual vshadow vdepriv",
       "stop outside the guest's RAM",
       "REP INSB to 16 MiB past the end of the guest's RAM")
{
    uint8_t *beyond = (uint8_t *)(uintptr_t)(ram_top + 0x1000000);
    rep_insb(NO_DEVICE, beyond, 64, false);
    result("wrote past its RAM");
}

/* Under cpu=deprivileged no segment reaches the top 64 MiB, the APIC's
 * page among them (hv/depriv/depriv.h): there the limit's #GP(0) comes
 * first. */
ATTACK(strio_apic_page, "strio-rep-insb-apic-page", "virtual vshadow vdepriv",
       "stop outside the guest's RAM; vdepriv: result vector 13 error 0x0 ecx=16",
       "REP INSB into the local APIC's page, which only MOVs reach")
{
    uint32_t ecx = 16, edi = 0xFEE00000u;
    recovered_vector = NO_FAULT;
    TRY("cld; rep insb", : "+c"(ecx), "+D"(edi) : "d"(NO_DEVICE) : "memory");
    result("vector %u error 0x%x ecx=%u", recovered_vector, recovered_error, ecx);
}

/* ACPI's PM1 event block (hv/guest/pc_firmware.h, devices=virtual): word
 * and dword elements. OUTSW writes PM1_STS then PM1_EN... each word to
 * PM1_EN, the last one staying; INSD reads STS and EN in one. */
ATTACK(strio_pm1_words, "strio-pm1-words", "virtual vshadow vdepriv",
       "result en 0x1234, dword 0x12340000, words 1234 1234 1234",
       "REP OUTSW to ACPI's PM1_EN, INSD of PM1_STS and PM1_EN, REP INSW of PM1_EN")
{
    enum { PM1A_EVT = 0x600, PM1_EN = PM1A_EVT + 2 };
    static const uint16_t words[2] = { 0xFFFF, 0x1234 };
    static uint32_t dword;
    static uint16_t back[3];
    const uint16_t *src = words;
    uint32_t n = 2;
    __asm__ volatile("cld; rep outsw" : "+S"(src), "+c"(n) : "d"(PM1_EN) : "memory");
    uint16_t en = inw(PM1_EN);
    void *dst = &dword;
    __asm__ volatile("cld; insl" : "+D"(dst) : "d"(PM1A_EVT) : "memory");
    dst = back, n = 3;
    __asm__ volatile("cld; rep insw" : "+D"(dst), "+c"(n) : "d"(PM1_EN) : "memory");
    outw(PM1_EN, 0);
    result("en 0x%x, dword 0x%08x, words %x %x %x", en, dword, back[0], back[1], back[2]);
}

/* Linear 4-8 MiB: every page the same page, so that a REP INSB of up to
 * 4 MiB writes nothing else. */
static uint32_t alias_pt[1024] __attribute__((aligned(4096)));
static uint8_t alias_page[4096] __attribute__((aligned(4096)));

/* The timer's handler for the long REP: counts, and from the third tick
 * zeroes ECX, the interrupted REP INSB's count, so that it ends. */
void strio_timer_stub(void);
__asm__(".text\n"
        ".globl strio_timer_stub\n"
        "strio_timer_stub:\n"
        "    incl timer_ticks\n"
        "    cmpl $3, timer_ticks\n"
        "    jb 1f\n"
        "    xorl %ecx, %ecx\n"
        "1:  pushl %eax\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"
        "    popl %eax\n"
        "    iret\n");

extern volatile uint32_t timer_ticks;

/* ECX = 0xFFFFFFFF: 4 Gi elements, minutes of the hypervisor's time in one
 * exit if it did them all. It does a bounded part an exit, so the timer
 * ticks in between, as on the bare CPU, whose REP takes interrupts between
 * iterations; the handler ends the REP from the third tick. */
ATTACK(strio_huge_count, "strio-rep-insb-huge-count", "all virtual vshadow vdepriv", "native",
       "REP INSB with ECX 0xFFFFFFFF from a port with no device, while the timer ticks")
{
    for (unsigned i = 0; i < 1024; i++)
        alias_pt[i] = (uint32_t)alias_page | PG_P | PG_W;
    paging_on(0);
    page_dir[1] = (uint32_t)alias_pt | PG_P | PG_W;
    __asm__ volatile("mov %%cr3, %%eax\n\tmov %%eax, %%cr3" : : : "eax", "memory");
    timer_ticks = 0;
    timer_on(1000);
    set_gate(0x20, (uint32_t)strio_timer_stub, KCODE, 0x8E);
    uint32_t ecx = 0xFFFFFFFFu, edi = 0x400000;
    __asm__ volatile("cld; sti; rep insb; cli" : "+c"(ecx), "+D"(edi) : "d"(NO_DEVICE) : "memory");
    timer_off();
    result("ended by the timer's handler: ecx=%u, %s3 ticks, edi in the window: %s", ecx,
           timer_ticks >= 3 ? ">= " : "< ", edi > 0x400000 && edi < 0x800000 ? "yes" : "no");
}

/* Ring 3 with IOPL 0 and no I/O permission map in the TSS: the CPU's
 * #GP(0) before any element (SDM vol. 1, 19.5). Under cpu=deprivileged the
 * hypervisor's TSS lets every port exit, and the guest's own TSS is asked
 * before the string is emulated (depriv_io). */
static void user_outsb(void)
{
    const char *x = "x";
    uint32_t n = 1;
    __asm__ volatile("cld; rep outsb" : "+S"(x), "+c"(n) : "d"(COM1_DATA) : "memory");
}

ATTACK(strio_user, "strio-user-outsb", "all virtual vshadow vdepriv", "native",
       "REP OUTSB to COM1 at ring 3, IOPL 0, no I/O permission map")
{
    run_user(user_outsb);
    result("ring 3 wrote COM1");
}

/* ---- PAE paging (SDM vol. 3, 4.4) ------------------------------------------ *
 * The same string I/O through PAE tables, which the hypervisor walks with
 * guest_paging_pae.c under EPT (shadow paging refuses PAE): the first GiB
 * in 2 MiB pages, and a window at 1 GiB (PDPTE 1) of 4 KiB pages, pages[0]
 * and pages[1]. The four PDPTEs are loaded when CR3 is (4.4.1): the CPU
 * keeps using them until the next load, whatever the table then says. */
#define PAE_WINDOW 0x40000000u
#define CR4_PAE    (1u << 5)
#define PDPTE_RESERVED_BIT 0x2u        /* bit 1: reserved in a PAE PDPTE (table 4-8) */
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd_low[512] __attribute__((aligned(4096)));
static uint64_t pae_pd_window[512] __attribute__((aligned(4096)));
static uint64_t pae_pt[512] __attribute__((aligned(4096)));

static void pae_tables(void)
{
    for (unsigned i = 0; i < 512; i++)
        pae_pd_low[i] = (uint64_t)i << 21 | PG_P | PG_W | PG_PS;
    pae_pdpt[0] = (uint32_t)pae_pd_low | PG_P;
    pae_pdpt[1] = (uint32_t)pae_pd_window | PG_P;
    pae_pd_window[0] = (uint32_t)pae_pt | PG_P | PG_W;
    pae_pt[0] = (uint32_t)pages[0] | PG_P | PG_W;
    pae_pt[1] = (uint32_t)pages[1] | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr3" : : "r"(pae_pdpt) : "memory");
    write_cr4(read_cr4() | CR4_PAE);
}

static void pae_paging_on(void)
{
    pae_tables();
    write_cr0(read_cr0() | CR0_PG);
}

static void pae_map_second(void)
{
    pae_pt[1] = (uint32_t)pages[1] | PG_P | PG_W;
    invlpg(PAE_WINDOW + 0x1000);
}

ATTACK(strio_pae_pf, "strio-pae-rep-insb-pf", "all virtual", "native; shadow depriv patch: stop PAE",
       "PAE paging: REP INSB into a window page that is not present, 5 elements in; the handler maps it")
{
    pae_paging_on();
    memset(pages, 0, sizeof(pages));
    pae_pt[1] = 0;
    invlpg(PAE_WINDOW + 0x1000);
    insb_across_at(PAE_WINDOW + 0x1000, pae_map_second);
}

/* REP OUTSB of 2 bytes to the PIC's mask from the window: what the mask
 * then holds (the last byte), or 0x100 + the vector of the fault that the
 * handler mended (fix) before the REP finished. */
static uint32_t pae_outsb_mask(uint8_t a, uint8_t b, void (*fix)(void))
{
    pages[0][0] = a, pages[0][1] = b;
    catch_faults(fix);
    uint32_t ecx = 2, esi = PAE_WINDOW;
    __asm__ volatile("cld; rep outsb" : "+c"(ecx), "+S"(esi) : "d"(PIC1_DATA) : "memory");
    return seen.count ? 0x100 + seen.vector : inb(PIC1_DATA);
}

/* PDPTE 1 cleared in memory after CR3's load: the CPU still holds it, and
 * the window still reads (under EPT the VMCS's guest PDPTE fields hold the
 * CPU's, SDM 28.3.4; the hypervisor's walk must use them, not the table).
 * CR3 loaded again: now the PDPTE is not present, #PF with error 0; the
 * handler sets it back in the table, and reloads CR3. */
static void pae_pdpte_back(void)
{
    pae_pdpt[1] = (uint32_t)pae_pd_window | PG_P;
    __asm__ volatile("mov %0, %%cr3" : : "r"(pae_pdpt) : "memory");
}

ATTACK(strio_pae_pdpte, "strio-pae-pdpte-loaded", "all virtual", "native; shadow depriv patch: stop PAE",
       "PAE paging: REP OUTSB from the window with its PDPTE cleared in memory, before and after a CR3 load")
{
    pae_paging_on();
    uint8_t mask = inb(PIC1_DATA);
    pae_pdpt[1] = 0;
    uint32_t before = pae_outsb_mask(0xC1, 0xC3, pae_pdpte_back);
    __asm__ volatile("mov %0, %%cr3" : : "r"(pae_pdpt) : "memory");
    uint32_t after = pae_outsb_mask(0xC5, 0xC7, pae_pdpte_back);
    uint32_t error = seen.error, cr2 = seen.cr2;
    uint32_t mended = inb(PIC1_DATA);
    outb(PIC1_DATA, mask);
    result("PDPTE cleared, CR3 not loaded: 0x%x; CR3 loaded: 0x%x (error 0x%x cr2=window+%d), then 0x%x",
           before, after, error, (int)(cr2 - PAE_WINDOW), mended);
}

/* A present PDPTE with a reserved bit: the CPU refuses it where it loads
 * the PDPTEs (SDM 4.4.1): MOV to CR0 setting PG (the hypervisor emulates
 * it under EPT: exit_cr.c's load_pae_pdptes) and MOV to CR3 with PAE
 * paging on: #GP(0), nothing changed. */
ATTACK(pae_pdpte_cr0, "cpu-pae-pdpte-reserved-mov-cr0", "all virtual", "native; shadow depriv patch: stop PAE",
       "PAE: MOV to CR0 setting PG, with a present PDPTE that has reserved bit 1 set")
{
    pae_tables();
    pae_pdpt[2] = (uint32_t)pae_pd_low | PG_P | PDPTE_RESERVED_BIT;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"(read_cr0() | CR0_PG) : "memory");
    result("paging on with a reserved PDPTE bit");
}

ATTACK(pae_pdpte_cr3, "cpu-pae-pdpte-reserved-mov-cr3", "all virtual", "native; shadow depriv patch: stop PAE",
       "PAE paging on: MOV to CR3 of a table whose present PDPTE has reserved bit 1 set")
{
    static uint64_t bad[4] __attribute__((aligned(32)));
    pae_paging_on();
    bad[0] = pae_pdpt[0];
    bad[3] = (uint32_t)pae_pd_low | PG_P | PDPTE_RESERVED_BIT;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr3") : : "r"(bad) : "memory");
    result("CR3 loaded with a reserved PDPTE bit");
}
