/*
 * gdb_monitor.c: gdb's `monitor` commands (qRcmd), in both modes (64-bit,
 * VMX root operation). Their output is printf's, which the stub turns into
 * O packets, so each command is also an ordinary printer:
 *
 *   exits                  the exit statistics of the vCPU gdb looks at (exit_stats.c)
 *   trace                  its last VM exits
 *   vmcs [FIELD]           the current VMCS, decoded (vmcs_fields.h), or one field
 *   qual                   the current exit's qualification, decoded (SDM 28.2.1),
 *                          and the operand the instruction information names (28.2.5)
 *   walk ADDR              the guest's page-table walk for a linear address
 *   break-on-exit R|all|none  stop at every VM exit of reason R (a name from
 *                          exit_reasons.h such as cpuid or io_instruction, io,
 *                          cr, msr, ept, or a number), or all, or none
 *   pic, pit, lapic, ioapic  the VM's devices, with devices=virtual (vm_devices_show.c)
 *   vm [N|-]               the VMs; N: the one exits, trace, pic, pit and lapic
 *                          look at (ioapic too), -: the one gdb stops in
 *   balloon N MiB          cpu=pv: VM N's balloon target (pv/balloon.h), as a
 *                          balloon= step would set it, from now
 *   depriv                 cpu=deprivileged: what the hypervisor keeps for the
 *                          ring-1 guest (its IF, IOPL, real ring, waiting events;
 *                          depriv_view.c)
 */
#include "guest/vcpu.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "guest/exit_stats.h"
#include "gdb/gdb_packet.h"
#include "gdb/gdb_target.h"
#include "guest/guest.h"
#include "guest/guest_linear.h"
#include "exit/vm_devices_show.h"
#include "vmx/inject.h"
#include "printf.h"
#include "string.h"
#include "guest/vm.h"
#include "pv/balloon.h"
#include "depriv/depriv.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

static uint64_t break_reasons[(EXIT_REASON_COUNT + 63) / 64];

bool gdb_break_on_exit(unsigned reason)
{
    return reason < EXIT_REASON_COUNT && (break_reasons[reason / 64] >> (reason % 64) & 1);
}

/* ---- names ---- */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_name(const char *a, const char *b)
{
    while (*a && lower(*a) == lower(*b))
        a++, b++;
    return !*a && !*b;
}

static const struct { const char *name; unsigned reason; } reason_names[] = {
#define REASON_NAME(ident, num, text) { #ident, num },
    EXIT_REASON_LIST(REASON_NAME)
#undef REASON_NAME
    /* short names for the exits lab 1 handles */
    { "io", EXIT_IO_INSTRUCTION }, { "cr", EXIT_CR_ACCESS }, { "msr", EXIT_RDMSR },
    { "msr", EXIT_WRMSR }, { "ept", EXIT_EPT_VIOLATION }, { "exception", EXIT_EXCEPTION_NMI },
};

static const struct { const char *name; unsigned encoding; } field_names[] = {
#define FIELD_NAME(name, enc) { #name, enc },
    VMCS_FIELD_LIST(FIELD_NAME)
#undef FIELD_NAME
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the commands ---- */

static bool have_vmcs(void)
{
    if (gdb_vcpu)
        return true;
    printf("no VMCS yet: VMX is not on, or the guest has not run (try again after a VM exit)\n");
    return false;
}

/* The vCPU of the VM `monitor vm` chose, or the one gdb stopped in. */
static struct vcpu *viewed(void)
{
    return have_vmcs() ? gdb_view_vcpu() : NULL;
}

/* monitor vm: the VMs, and which one gdb stopped in; monitor vm N: the VM
 * exits, trace, pic, pit and lapic look at from now on (vm -: the one gdb
 * stops in, as before). The VMCS commands (vmcs, qual, walk) read the
 * current VMCS, the stopped VM's, whatever is chosen. */
static void choose_vm(const char *arg)
{
    if (!gdb_nvms) {
        printf("no VM made yet\n");
        return;
    }
    if (*arg == '-') {
        gdb_chosen_vm = -1;
    } else if (*arg >= '0' && *arg <= '9') {
        unsigned n = (unsigned)(*arg - '0');
        if (n >= gdb_nvms || arg[1]) {
            printf("no vm%s: there %s %u (vm0%s)\n", arg, gdb_nvms == 1 ? "is" : "are", gdb_nvms,
                   gdb_nvms > 1 ? "..." : "");
            return;
        }
        gdb_chosen_vm = (int)n;
    }
    for (unsigned i = 0; i < gdb_nvms; i++) {
        const struct vcpu *v = &gdb_vms[i]->vcpu;
        printf("vm%u: %s", i, v->stopped ? "stopped" : "running");
        if (v->stopped)
            printf(" (status %d)", v->stop_status);
        if (v == gdb_vcpu)
            printf(", gdb stopped in it (its VMCS is current: vmcs, qual, walk)");
        if (v == gdb_view_vcpu())
            printf(", shown by exits, trace, pic, pit, lapic");
        printf("\n");
    }
}

/* A decimal number at *p, *p moved past it; false if there is none. */
static bool parse_decimal(const char **p, unsigned *out)
{
    const char *s = *p;
    unsigned n = 0;
    while (*s >= '0' && *s <= '9' && n < 100000000u)
        n = n * 10 + (unsigned)(*s++ - '0');
    if (s == *p)
        return false;
    *p = s;
    *out = n;
    return true;
}

/* monitor balloon N MiB: VM N's balloon target (cpu=pv, lab 5). */
static void set_balloon(const char *arg)
{
    unsigned n, mib;
    if (!parse_decimal(&arg, &n) || *arg++ != ' ' || !parse_decimal(&arg, &mib) || *arg) {
        printf("usage: monitor balloon VM MiB (balloon 1 24: vm1's balloon asked to hold 24 MiB)\n");
        return;
    }
    if (n >= gdb_nvms) {
        printf("no vm%u: there %s %u\n", n, gdb_nvms == 1 ? "is" : "are", gdb_nvms);
        return;
    }
    if (!gdb_vms[n]->pv)
        printf("vm%u is not a PV guest (cpu=pv): it has no balloon driver\n", n);
    else if (!pv_balloon_ask(gdb_vms[n], mib))
        printf("vm%u: no balloon target of %u MiB: 1 to %u\n", n, mib, BALLOON_MIB_MAX);
    else
        printf("vm%u: balloon target %u MiB\n", n, mib);
}

/* The exit statistics, or the last exits, of the vCPU gdb looks at. */
static void show_exits(bool trace)
{
    struct vcpu *v = viewed();
    if (!v)
        return;
    if (trace)
        exit_trace_print(&v->stats, v->guest->tag);
    else
        exit_stats_print(&v->stats, v->guest->tag);
}

static void print_field(unsigned encoding, const char *name)
{
    uint64_t value;
    if (vmread_checked(encoding, &value) == VMX_OK)
        printf("%-32s 0x%lx\n", name, value);
    else
        printf("%-32s (not supported by this CPU)\n", name);
}

static void show_vmcs(const char *arg)
{
    if (!have_vmcs())
        return;
    for (unsigned i = 0; i < COUNT(field_names); i++) {
        const char *name = field_names[i].name;
        bool match = !*arg || same_name(arg, name) ||
                     (!strncmp(arg, "VMCS_", 5) && same_name(arg + 5, name));
        if (match)
            print_field(field_names[i].encoding, name);
        if (match && *arg)
            return;
    }
    if (*arg)
        printf("no VMCS field '%s' (the names are those of hv/vmx/vmcs_fields.h, e.g. GUEST_RIP)\n", arg);
}

/* The current exit's qualification and event information, decoded by
 * exit_info.h and put in words by exit_info.c (SDM 28.2.1, 25.9.2). */
static char line[160];

static void show_ept(uint64_t q)
{
    struct ept_qual e = ept_qual_decode(q);
    ept_qual_describe(line, sizeof(line), e);
    printf("  guest-physical 0x%lx", vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS));
    if (e.linear_valid)
        printf(", guest linear 0x%lx", vmcs_read(VMCS_GUEST_LINEAR_ADDRESS));
    printf(": %s\n", line);
}

static void show_exception(uint64_t q)
{
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    uint32_t error = e.has_error_code ? (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE) : 0;
    event_info_describe(line, sizeof(line), e, error);
    printf("  %s\n", line);
    if (e.vector == VEC_PF)
        printf("  page-fault address 0x%lx\n", q);
    if (e.vector == VEC_DB) {
        debug_qual_describe(line, sizeof(line), debug_qual_decode(q));
        printf("  %s\n", line);
    }
}

static void show_idt_vectoring(void)
{
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO));
    if (!e.valid)
        return;
    uint32_t error = e.has_error_code ? (uint32_t)vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE) : 0;
    event_info_describe(line, sizeof(line), e, error);
    printf("  while delivering: %s (IDT-vectoring information, SDM 28.2.4)\n", line);
}

/* The operand the instruction information names, and for a memory operand
 * its linear address and the bytes there (read as an observer). */
static void show_operand(uint64_t q)
{
    struct instr_info ii = instr_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_INFO));
    instr_info_describe(line, sizeof(line), ii, q);
    if (ii.is_register) {
        printf("  operand: %s = 0x%lx\n", line, guest_gpr(gdb_vcpu, ii.reg1));
        return;
    }
    uint64_t linear = vcpu_operand_address(gdb_vcpu, ii);
    uint8_t bytes[8];
    size_t n = guest_linear_read(gdb_vcpu->guest, linear, bytes, sizeof(bytes));
    printf("  operand: %s, linear 0x%lx:", line, linear);
    for (size_t i = 0; i < n; i++)
        printf(" %02x", bytes[i]);
    printf(n ? "\n" : " (not mapped)\n");
}

static void show_qualification(void)
{
    if (!have_vmcs())
        return;
    unsigned reason = gdb_vcpu->exit_reason & 0xFFFF;
    uint64_t q = gdb_vcpu->exit_qualification;
    printf("exit reason %u (%s) at guest rip 0x%lx, qualification 0x%lx\n", reason,
           exit_reason_name(reason), gdb_vcpu->rip, q);
    int decoded = -1;   /* the length of the one line a qualification decodes to */
    switch (reason) {
    case EXIT_IO_INSTRUCTION: decoded = io_qual_describe(line, sizeof(line), io_qual_decode(q)); break;
    case EXIT_CR_ACCESS:      decoded = cr_qual_describe(line, sizeof(line), cr_qual_decode(q)); break;
    case EXIT_DR_ACCESS:      decoded = dr_qual_describe(line, sizeof(line), dr_qual_decode(q)); break;
    case EXIT_APIC_ACCESS:    decoded = apic_qual_describe(line, sizeof(line), apic_qual_decode(q)); break;
    /* The exits whose operand the instruction information names (28.2.5). */
    case EXIT_GDTR_IDTR_ACCESS: case EXIT_LDTR_TR_ACCESS: case EXIT_VMCLEAR: case EXIT_VMPTRLD:
    case EXIT_VMPTRST: case EXIT_VMREAD: case EXIT_VMWRITE: case EXIT_VMXON: case EXIT_INVEPT:
    case EXIT_INVVPID: case EXIT_INVPCID: case EXIT_RDRAND: case EXIT_RDSEED:
        show_operand(q);
        break;
    case EXIT_EPT_VIOLATION:  show_ept(q); break;
    case EXIT_EXCEPTION_NMI:  show_exception(q); break;
    default: printf("  (this exit reason has no qualification to decode)\n"); break;
    }
    if (decoded >= 0)
        printf("  %s\n", line);
    show_idt_vectoring();
}

static void show_walk(const char *arg)
{
    uint64_t linear;
    if (!gdb_parse_hex(&arg, &linear) && !(arg[0] == '0' && arg[1] == 'x' &&
                                          (arg += 2, gdb_parse_hex(&arg, &linear)))) {
        printf("usage: monitor walk ADDRESS (hex)\n");
        return;
    }
    if (!have_vmcs())
        return;
    const struct guest *g = gdb_vcpu->guest;
    uint64_t cr0 = guest_cr0_view(g), cr3 = guest_cr3_view(g), cr4 = guest_cr4_view(g);
    struct linear_walk w;
    bool ok = guest_linear_walk(g, linear, &w);
    printf("guest linear 0x%lx: CR0.PG=%d CR3=0x%lx CR4.PSE=%d CR4.PAE=%d\n", linear,
           (cr0 & CR0_PG) != 0, cr3, (cr4 & CR4_PSE) != 0, (cr4 & CR4_PAE) != 0);
    /* Each level's entry and index (SDM 4.3-4.5): the index is 10 bits
     * with 4-byte entries, 9 with 8-byte ones (PAE's PDPTE: 2). */
    static const char *const names[] = { "PML4E", "PDPTE", "PDE", "PTE" };
    for (unsigned i = 0; i < w.used; i++) {
        unsigned level = w.levels - i, bits = w.levels == 2 ? 10 : 9;
        unsigned shift = 12 + bits * (level - 1);
        uint64_t index = (linear >> shift) & ((w.levels == 3 && level == 3) ? 3 : (1u << bits) - 1);
        printf("  %s[%lu] = 0x%0*lx\n", names[4 - level], index, w.levels == 2 ? 8 : 16, w.entry[i]);
    }
    if (ok)
        printf("  -> guest-physical 0x%lx%s\n", w.gpa,
               w.page_size == 4096 || !w.page_size ? "" : w.page_size == 4u << 20 ? " (a 4 MiB page)" :
               w.page_size == 2u << 20 ? " (a 2 MiB page)" : " (a 1 GiB page)");
    else
        printf("  not mapped: %s\n", w.why);
}

static void set_break_on_exit(const char *arg)
{
    bool found = false;
    if (same_name(arg, "all") || same_name(arg, "none")) {
        uint64_t v = same_name(arg, "all") ? ~0ull : 0;
        for (unsigned i = 0; i < COUNT(break_reasons); i++)
            break_reasons[i] = v;
        printf("break-on-exit: %s\n", arg);
        return;
    }
    uint64_t number;
    const char *p = arg;
    bool is_number = gdb_parse_hex(&p, &number) && !*p && arg[0] >= '0' && arg[0] <= '9';
    for (unsigned i = 0; i < COUNT(reason_names); i++)
        if (same_name(arg, reason_names[i].name) ||
            (is_number && reason_names[i].reason == number)) {
            unsigned r = reason_names[i].reason;
            break_reasons[r / 64] |= 1ull << (r % 64);
            printf("break-on-exit: reason %u (%s)\n", r, exit_reason_name(r));
            found = true;
        }
    if (!found)
        printf("unknown exit reason '%s': a name from hv/vmx/exit_reasons.h (cpuid, io_instruction, "
               "hlt, cr_access ...), io, cr, msr, ept, a number, all or none\n", arg);
}

/* The current VMCS's vCPU: the state is half in it (its rings, its real IF). */
static void show_depriv(void)
{
    if (!have_vmcs())
        return;
    struct vcpu *v = gdb_vcpu;
    if (v->depriv.active)
        depriv_show(v);
    else
        printf("depriv: the guest kernel runs at ring 0 (cpu=deprivileged is off)\n");
}

static void help(void)
{
    printf("monitor commands: exits, trace, vmcs [FIELD], qual, walk ADDR,\n"
           "  break-on-exit REASON|all|none, pic, pit, lapic, ioapic, vm [N|-], balloon VM MiB, depriv\n"
           "  (hv/gdb/gdb_monitor.c)\n");
}

void gdb_monitor(const char *command)
{
    static char word[32];
    while (*command == ' ')
        command++;
    size_t n = 0;
    while (command[n] && command[n] != ' ' && n < sizeof(word) - 1) {
        word[n] = command[n];
        n++;
    }
    word[n] = '\0';
    const char *arg = command + n;
    while (*arg == ' ')
        arg++;
    if (same_name(word, "exits"))
        show_exits(false);
    else if (same_name(word, "trace"))
        show_exits(true);
    else if (same_name(word, "vmcs"))
        show_vmcs(arg);
    else if (same_name(word, "qual"))
        show_qualification();
    else if (same_name(word, "walk"))
        show_walk(arg);
    else if (same_name(word, "break-on-exit"))
        set_break_on_exit(arg);
    else if (same_name(word, "pic") && viewed())
        vm_devices_show_pic(viewed());
    else if (same_name(word, "pit") && viewed())
        vm_devices_show_pit(viewed());
    else if (same_name(word, "lapic") && viewed())
        vm_devices_show_lapic(viewed());
    else if (same_name(word, "ioapic") && viewed())
        vm_devices_show_ioapic(viewed());
    else if (same_name(word, "vm"))
        choose_vm(arg);
    else if (same_name(word, "balloon"))
        set_balloon(arg);
    else if (same_name(word, "depriv"))
        show_depriv();
    else
        help();
}
