/*
 * gdb_hv.c: the hypervisor as gdb's target (gdb=hv; 64-bit, ring 0,
 * interrupts off).
 *
 * The hypervisor stops only inside its own exception handlers: a
 * breakpoint is an INT3 byte (0xCC) written over the first byte of an
 * instruction, which raises #BP (vector 3) with RIP just after it; a single
 * step sets RFLAGS.TF in the interrupted context, and the CPU raises #DB
 * (vector 1) after one instruction (SDM vol. 3, 18.3.1.4 "Single-Step
 * Exception Condition"). trap.c hands both to gdb_hv_trap, which
 * gdb_hv_start registers as trap.h's trap_debug_hook, whose trap frame
 * holds every register gdb asks for; the IRETQ at the end of isr.S resumes
 * the code with whatever gdb changed. Stops that do not come from an
 * instruction (the first stop, Ctrl-C, `monitor break-on-exit`) execute an
 * INT3 of their own, in gdb_hv_break.
 *
 * One thing a single step cannot do: step over VMLAUNCH/VMRESUME. A VM
 * entry that succeeds leaves the host context, and the VM exit loads
 * RFLAGS = 2 (SDM 28.5.3 "Loading Host RIP, RSP, SSP, and RFLAGS"), so TF
 * is gone and no #DB comes. The stub notices at the next VM exit and stops
 * there instead: `stepi` on VMRESUME lands just after the exit.
 */
#include "gdb/gdb_stub.h"
#include "gdb/gdb_target.h"
#include "printf.h"
#include "string.h"
#include "cpu/trap.h"
#include "x86/x86.h"

/* What the hypervisor can read and write without a fault: its identity map
 * of 0-4 GiB, page 0 excepted (boot.S). */
#define MAPPED_START 0x1000ull
#define MAPPED_END   0x100000000ull

/* GDB's amd64 core registers ("Target Descriptions", i386 features:
 * org.gnu.gdb.i386.core). gdb insists on the x87 registers being described;
 * the 'g' reply stops before them, so gdb shows them as unavailable. */
static const char target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    GDB_XML_EFLAGS_TYPE
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/><reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/><reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/><reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/><reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/><reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/><reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/><reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/><reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    GDB_XML_EFLAGS_SEGMENTS_X87
    "</feature></target>";

static struct trap_frame *frame;   /* the stopped context, while stopped */
static bool step_pending;          /* resumed with TF: a #DB should follow */
static int break_signal;           /* of the stop gdb_hv_break makes */

/* The INT3 of gdb_hv_break, a label inside it: a #BP just after it is a
 * stop the stub asked for, not a breakpoint gdb set. */
extern const char gdb_hv_break_insn[];

/* Stop here with signal sig. noclone: the label must exist exactly once. */
__attribute__((noinline, noclone)) static void gdb_hv_break(int sig)
{
    break_signal = sig;
    __asm__ volatile(".globl gdb_hv_break_insn\ngdb_hv_break_insn: int3" ::: "memory");
}

static uint16_t read_selector(int which)
{
    uint16_t s = 0;
    switch (which) {
    case 0: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case 1: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case 2: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    default: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    }
    return s;
}

/* The amd64 'g' order: rax rbx rcx rdx rsi rdi rbp rsp r8-r15 (8 bytes
 * each), rip (8), eflags cs ss ds es fs gs (4 each). */
static uint64_t *gpr_slot(struct trap_frame *tf, unsigned i)
{
    uint64_t *slots[17] = { &tf->rax, &tf->rbx, &tf->rcx, &tf->rdx, &tf->rsi, &tf->rdi,
                            &tf->rbp, &tf->rsp, &tf->r8, &tf->r9, &tf->r10, &tf->r11,
                            &tf->r12, &tf->r13, &tf->r14, &tf->r15, &tf->rip };
    return slots[i];
}

static size_t read_registers(uint8_t *buf, size_t size)
{
    uint32_t small[7] = { (uint32_t)frame->rflags, (uint32_t)frame->cs, (uint32_t)frame->ss,
                          read_selector(0), read_selector(1), read_selector(2), read_selector(3) };
    if (size < 17 * 8 + sizeof(small))
        return 0;
    for (unsigned i = 0; i < 17; i++)
        memcpy(buf + 8 * i, gpr_slot(frame, i), 8);
    memcpy(buf + 17 * 8, small, sizeof(small));
    return 17 * 8 + sizeof(small);
}

/* The general registers, RIP and RFLAGS can change; the segment registers
 * are the hypervisor's own and stay. */
static void write_registers(const uint8_t *buf, size_t len)
{
    for (unsigned i = 0; i < 17 && 8 * (i + 1) <= len; i++)
        memcpy(gpr_slot(frame, i), buf + 8 * i, 8);
    if (len >= 17 * 8 + 4) {
        uint32_t flags;
        memcpy(&flags, buf + 17 * 8, 4);
        frame->rflags = (flags & 0x3F7FD5u) | 2;   /* only bits that exist; bit 1 is 1 */
    }
}

static bool mapped(uint64_t addr, size_t len)
{
    return addr >= MAPPED_START && addr < MAPPED_END && len <= MAPPED_END - addr;
}

static bool read_memory(uint64_t addr, void *buf, size_t len)
{
    if (!mapped(addr, len))
        return false;
    memcpy(buf, (const void *)(uintptr_t)addr, len);
    return true;
}

static bool write_memory(uint64_t addr, const void *buf, size_t len)
{
    if (!mapped(addr, len))
        return false;
    memcpy((void *)(uintptr_t)addr, buf, len);
    return true;
}

static void set_pc(uint64_t pc)
{
    frame->rip = pc;
}

static const struct gdb_target hv_target = {
    .xml = target_xml,
    .read_registers = read_registers,
    .write_registers = write_registers,
    .read_memory = read_memory,
    .write_memory = write_memory,
    .set_pc = set_pc,
    .monitor = gdb_monitor,
};

static bool active;   /* a trap inside the stub itself is a bug, not a stop */

/* trap_debug_hook: #BP and #DB in the hypervisor. True if they were the
 * debugger's: the trapped code then resumes. */
static bool gdb_hv_trap(struct trap_frame *tf)
{
    bool swbreak = false;
    int sig = GDB_SIGTRAP;
    if (gdb_mode != GDB_HV || active || !gdb_stub_connected())
        return false;
    if (tf->vector == VEC_BP) {
        uint64_t at = tf->rip - 1;
        if (at == (uint64_t)(uintptr_t)gdb_hv_break_insn) {
            sig = break_signal;                /* report the PC after the INT3 */
        } else if (gdb_stub_is_breakpoint(at)) {
            tf->rip = at;                      /* gdb expects the breakpoint's address */
            swbreak = true;
        } else {
            return false;                      /* an INT3 nobody placed: a bug, panic */
        }
    } else if (tf->vector == VEC_DB && (tf->rflags & RFLAGS_TF)) {
        tf->rflags &= ~(uint64_t)RFLAGS_TF;    /* the step is done */
    } else {
        return false;
    }
    step_pending = false;
    active = true;
    frame = tf;
    enum gdb_resume how = gdb_stub_stop(sig, swbreak);
    frame = NULL;
    active = false;
    if (how == GDB_RESUME_STEP) {
        tf->rflags |= RFLAGS_TF;
        step_pending = true;
    }
    return true;
}

void gdb_hv_start(void)
{
    gdb_stub_init(&hv_target);
    trap_debug_hook = gdb_hv_trap;
    printf("hv: gdb: the stub debugs the hypervisor (amd64) on COM2: waiting for gdb\n");
    gdb_hv_break(GDB_SIGTRAP);
}

/* At every VM exit: a step that went into the guest ends here; Ctrl-C and
 * `monitor break-on-exit` stop here too. Never handles the exit itself. */
bool gdb_hv_exit(struct vcpu *v)
{
    if (!gdb_stub_connected()) {
        if (gdb_stub_poll())                  /* another gdb connected: stop for it */
            gdb_hv_break(GDB_SIGTRAP);
        return false;
    }
    int sig;
    if (step_pending) {
        step_pending = false;
        gdb_hv_break(GDB_SIGTRAP);
    } else if ((sig = gdb_stub_poll())) {
        gdb_hv_break(sig);
    } else if (gdb_break_on_exit(v->exit_reason & 0xFFFF)) {
        gdb_hv_break(GDB_SIGTRAP);
    }
    return false;
}
