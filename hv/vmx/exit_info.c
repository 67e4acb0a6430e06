/*
 * exit_info.c: the exit qualifications and the interruption information in
 * words, for gdb's `monitor qual` and the hypervisor's reports (pure; the
 * decoding itself is exit_info.h's; SDM vol. 3, 28.2.1 and 25.9).
 */
#include "vmx/exit_info.h"
#include "fmt.h"

const char *gpr_name(unsigned n)
{
    static const char *const names[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                           "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    return names[n & 15];
}

const char *task_switch_source_name(unsigned source)
{
    static const char *const names[4] = { "CALL", "IRET", "JMP", "a task gate in the IDT" };
    return names[source & 3];
}

const char *segment_name(unsigned segment)
{
    static const char *const names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "seg6", "seg7" };
    return names[segment & 7];
}

const char *apic_access_type_name(unsigned type)
{
    switch (type) {
    case APIC_LINEAR_READ:          return "a data read (linear)";
    case APIC_LINEAR_WRITE:         return "a data write (linear)";
    case APIC_LINEAR_FETCH:         return "an instruction fetch (linear)";
    case APIC_LINEAR_EVENT:         return "an access during event delivery (linear)";
    case APIC_PHYSICAL_EVENT:       return "an access during event delivery (guest-physical)";
    case APIC_PHYSICAL_INSTRUCTION: return "an instruction fetch or execution (guest-physical)";
    default:                        return "a reserved access type";
    }
}

const char *event_type_name(unsigned type)
{
    static const char *const names[8] = { "external interrupt", "reserved type 1", "NMI",
                                          "hardware exception", "software interrupt",
                                          "privileged software exception", "software exception",
                                          "other event" };
    return names[type & 7];
}

const char *ept_access_verb(struct ept_qual e)
{
    return e.fetch ? "fetched from" : e.write ? "wrote to" : "read from";
}

/* IN of 1 byte from port 0x3fd (port in DX) */
int io_qual_describe(char *buf, size_t size, struct io_qual io)
{
    return snprintf(buf, size, "%s%s of %u byte%s %s port 0x%x (%s)%s", io.in ? "IN" : "OUT",
                    io.string ? "S (string)" : "", io.size, io.size > 1 ? "s" : "",
                    io.in ? "from" : "to", io.port, io.immediate ? "immediate port" : "port in DX",
                    io.rep ? ", with a REP prefix" : "");
}

/* MOV to CR4, register eax; CLTS (CR0); LMSW (CR0), source data 0x1 from memory */
int cr_qual_describe(char *buf, size_t size, struct cr_qual a)
{
    switch (a.type) {
    case CR_MOV_TO:
    case CR_MOV_FROM:
        return snprintf(buf, size, "MOV %s CR%u, register %s", a.type == CR_MOV_TO ? "to" : "from",
                        a.cr, gpr_name(a.gpr));
    case CR_CLTS:
        return snprintf(buf, size, "CLTS (CR%u)", a.cr);
    default:
        return snprintf(buf, size, "LMSW (CR%u), source data 0x%x from %s", a.cr, a.lmsw_source,
                        a.lmsw_memory ? "memory" : "a register");
    }
}

/* a write; the EPT allowed r-x; guest linear address valid (its translation) */
int ept_qual_describe(char *buf, size_t size, struct ept_qual e)
{
    const char *access = e.write && e.read ? "a read and write" : e.write ? "a write"
                         : e.fetch ? "an instruction fetch" : "a read";
    return snprintf(buf, size, "%s; the EPT allowed %c%c%c%s; %s%s", access,
                    e.readable ? 'r' : '-', e.writable ? 'w' : '-', e.executable ? 'x' : '-',
                    e.user_executable ? " (user-mode x)" : "",
                    !e.linear_valid ? "no guest linear address"
                    : e.translation ? "guest linear address valid (its translation)"
                    : "guest linear address valid (while walking the guest's page tables)",
                    e.nmi_unblocking ? "; NMI unblocking due to IRET" : "");
}

/* debug: B0-B3=1 BD=0 BS=0 */
int debug_qual_describe(char *buf, size_t size, struct debug_qual d)
{
    return snprintf(buf, size, "debug: B0-B3=%x BD=%d BS=%d", d.b0_3, d.bd, d.bs);
}

/* MOV to DR7, register eax */
int dr_qual_describe(char *buf, size_t size, struct dr_qual d)
{
    return snprintf(buf, size, "MOV %s DR%u, register %s", d.from ? "from" : "to", d.dr, gpr_name(d.gpr));
}

/* a data write (linear) at offset 0xb0 of the APIC page */
int apic_qual_describe(char *buf, size_t size, struct apic_qual a)
{
    char at[40] = "";
    if (a.type <= APIC_LINEAR_EVENT)   /* the offset is defined for the linear accesses */
        snprintf(at, sizeof(at), " at offset 0x%x of the APIC page", a.offset);
    return snprintf(buf, size, "%s%s%s", apic_access_type_name(a.type), at,
                    a.asynchronous ? ", asynchronous to instruction execution" : "");
}

/* ds:[ebx + esi*4 + 0x10] (32-bit address); register eax */
int instr_info_describe(char *buf, size_t size, struct instr_info ii, uint64_t displacement)
{
    static const char *const sizes[4] = { "16-bit", "32-bit", "64-bit", "reserved-size" };
    if (ii.is_register)
        return snprintf(buf, size, "register %s", gpr_name(ii.reg1));
    char index[16] = "";
    if (ii.index_valid)
        snprintf(index, sizeof(index), "%s%s*%u", ii.base_valid ? " + " : "", gpr_name(ii.index),
                 1u << ii.scale);
    /* The displacement is sign-extended: -8 reads better than 0xff..f8. */
    bool negative = (int64_t)displacement < 0;
    uint64_t magnitude = negative ? -displacement : displacement;
    const char *sign = !ii.base_valid && !ii.index_valid ? (negative ? "-" : "") : negative ? " - " : " + ";
    return snprintf(buf, size, "%s:[%s%s%s0x%lx] (%s address)", segment_name(ii.segment),
                    ii.base_valid ? gpr_name(ii.base) : "", index, sign, magnitude,
                    sizes[ii.address_size & 3]);
}

/* vector 14, hardware exception, error code 0x2 */
int event_info_describe(char *buf, size_t size, struct event_info e, uint32_t error_code)
{
    if (!e.valid)
        return snprintf(buf, size, "no event (not valid)");
    if (e.has_error_code)
        return snprintf(buf, size, "vector %u, %s, error code 0x%x%s", e.vector,
                        event_type_name(e.type), error_code,
                        e.nmi_unblocking ? ", NMI unblocking due to IRET" : "");
    return snprintf(buf, size, "vector %u, %s%s", e.vector, event_type_name(e.type),
                    e.nmi_unblocking ? ", NMI unblocking due to IRET" : "");
}
