/*
 * gdb_hwbreak.c: hardware breakpoints and watchpoints in the guest
 * (gdb=guest; 64-bit, VMX root operation, between VM exits).
 *
 * The debug registers hold up to four linear addresses (DR0-DR3), and DR7
 * makes each an instruction breakpoint (R/W 00, LEN 00), or a data
 * breakpoint on writes (R/W 01) or on any access (R/W 11) of 1, 2 or 4
 * aligned bytes (LEN 00, 01, 11), each enabled by its L bit (SDM vol. 3,
 * 18.2 "Debug Registers"). No byte is written into the guest, so an
 * instruction breakpoint works where an INT3 cannot be placed yet: on a
 * page the guest has not mapped (gdb's `break` falls back to one,
 * gdb_stub.c), and on anything gdb asks with `hbreak`; `watch` and `awatch`
 * are data breakpoints.
 *
 * DR0-DR3 are not in the VMCS: the guest runs with whatever the hypervisor
 * left in them, and the hypervisor never uses them itself. DR7 is: VM entry
 * loads GUEST_DR7 with "load debug controls", and VM exit saves it with
 * "save debug controls" (SDM 25.7.1, 25.8.1). A hit is a #DB, which exits
 * (gdb_guest.c sets its bit in the exception bitmap) with the slot's B bit
 * in the exit qualification (SDM 28.2.1, table 28-1). An instruction
 * breakpoint is a fault: RIP is on the instruction, and the guest resumes
 * with RFLAGS.RF set, which lets that one instruction run (SDM 18.3.1.1).
 * A data breakpoint is a trap: RIP is past the access already.
 *
 * The guest's own use of the debug registers is not virtualised while gdb
 * has slots in use: hvlab's guest OS has none.
 */
#include "vmx/exit_info.h"
#include "gdb/gdb_stub.h"
#include "gdb/gdb_target.h"
#include "printf.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_caps.h"
#include "x86/control_regs.h"


#define SLOTS        4
#define DR7_FIXED    0x400u           /* bit 10 reads as 1 */

static uint64_t slot_addr[SLOTS];
static unsigned slot_type[SLOTS], slot_len[SLOTS];
static bool slot_used[SLOTS];
static bool available;

/* DR7's R/W and LEN fields for a slot (SDM 18.2.4). */
static uint64_t dr7_fields(unsigned type, unsigned len)
{
    uint64_t rw = type == GDB_HW_WRITE ? 1 : type == GDB_HW_ACCESS ? 3 : 0;
    uint64_t size = len == 2 ? 1 : len == 4 ? 3 : 0;
    return rw | size << 2;
}

static void write_dr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
    default: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
    }
}

/* DR0-DR3 and the guest's DR7 as the slots say. */
static void load_debug_registers(void)
{
    uint64_t dr7 = DR7_FIXED;
    for (unsigned i = 0; i < SLOTS; i++) {
        write_dr(i, slot_used[i] ? slot_addr[i] : 0);
        if (slot_used[i])
            dr7 |= 1u << (2 * i) | dr7_fields(slot_type[i], slot_len[i]) << (16 + 4 * i);
    }
    vmcs_write(VMCS_GUEST_DR7, dr7);
}

void gdb_hwbreak_init(const struct vmx_caps *c)
{
    available = vmx_ctl_supported(c->entry, ENTRY_LOAD_DEBUG_CONTROLS) &&
                vmx_ctl_supported(c->exit, EXIT_SAVE_DEBUG_CONTROLS);
    if (!available) {
        printf("hv: gdb: hardware breakpoints: this CPU cannot load the guest's DR7 on VM entry\n");
        return;
    }
    vmcs_write(VMCS_VM_ENTRY_CONTROLS, vmcs_read(VMCS_VM_ENTRY_CONTROLS) | ENTRY_LOAD_DEBUG_CONTROLS);
    vmcs_write(VMCS_VM_EXIT_CONTROLS, vmcs_read(VMCS_VM_EXIT_CONTROLS) | EXIT_SAVE_DEBUG_CONTROLS);
    load_debug_registers();
}

bool gdb_hwbreak_set(unsigned type, uint64_t addr, unsigned len, bool on)
{
    if (type == GDB_HW_EXEC)
        len = 1;
    if (!available || (len != 1 && len != 2 && len != 4) || (addr & (len - 1)))
        return false;                 /* data breakpoints cover aligned 1, 2 or 4 bytes */
    for (unsigned i = 0; i < SLOTS; i++) {
        bool match = slot_used[i] && slot_addr[i] == addr && slot_type[i] == type;
        if (on ? !slot_used[i] : match) {
            slot_used[i] = on;
            slot_addr[i] = addr;
            slot_type[i] = type;
            slot_len[i] = len;
            load_debug_registers();
            return true;
        }
    }
    return false;
}

bool gdb_hwbreak_hit(uint64_t qualification, unsigned *type, uint64_t *addr)
{
    unsigned met = debug_qual_decode(qualification).b0_3;   /* B0-B3 (SDM 28.2.1, table 28-1) */
    for (unsigned i = 0; i < SLOTS; i++)
        if (slot_used[i] && (met & (1u << i))) {
            *type = slot_type[i];
            *addr = slot_addr[i];
            return true;
        }
    return false;
}

void gdb_hwbreak_resume_past(void)
{
    vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
}
