/*
 * gdb_target.h: the debugger's parts, for each other (64-bit, VMX root).
 * Outside hv/gdb/, include gdb/gdb.h instead.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/guest.h"
#include "boot/options.h"
#include "guest/vcpu.h"

/* GDB_OFF unless gdb= said otherwise and COM2 exists (set by gdb_init). */
extern enum gdb_mode gdb_mode;

/* The vCPU whose VMCS is current, from its first VM exit (or gdb=guest's
 * first stop) on; NULL before: the VMCS monitor commands need it. */
extern struct vcpu *gdb_vcpu;

/* The VMs (main.c's, gdb_set_vms), and the one `monitor vm N` chose for
 * the commands that read a VM's own state (exits, trace, pic, pit, lapic):
 * -1 for the one gdb stopped in. gdb_view_vcpu: that VM's vCPU (gdb_vcpu
 * when none is chosen, which may be NULL before the first exit). */
struct vm;
extern struct vm *const *gdb_vms;
extern unsigned gdb_nvms;
extern int gdb_chosen_vm;
struct vcpu *gdb_view_vcpu(void);

/* The parts of the two targets' descriptions (target.xml, GDB manual
 * "Target Descriptions", feature org.gnu.gdb.i386.core) that are the same
 * for the 32-bit guest and the 64-bit hypervisor: the EFLAGS type, and the
 * registers that follow the GPRs and the PC in gdb's order. */
#define GDB_XML_EFLAGS_TYPE \
    "<flags id=\"i386_eflags\" size=\"4\">" \
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>" \
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>" \
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>" \
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>" \
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>" \
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>" \
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>" \
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>" \
    "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>"

#define GDB_XML_EFLAGS_SEGMENTS_X87 \
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>" \
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/><reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/><reg name=\"es\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/><reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>"

void gdb_hv_start(void);                 /* gdb_hv.c */
bool gdb_hv_exit(struct vcpu *v);
void gdb_guest_init(void);               /* gdb_guest.c */
void gdb_guest_first_stop(struct vcpu *v);   /* gdb_guest_start, with gdb=guest */
bool gdb_guest_exit(struct vcpu *v);
void gdb_guest_exit_begin(struct vcpu *v);     /* bt=1: before the translator's exit (gdb_exit_begin) */
void gdb_guest_before_entry(struct vcpu *v);   /* cpu=deprivileged (gdb_before_entry) */

/* gdb_hwbreak.c: the guest's debug registers as four breakpoint slots. */
void gdb_hwbreak_init(const struct vmx_caps *caps);   /* before the first VM entry */
bool gdb_hwbreak_set(unsigned type, uint64_t addr, unsigned len, bool on);   /* GDB_HW_* */
/* A #DB exit: one of ours? Then which kind, at which address. */
bool gdb_hwbreak_hit(uint64_t qualification, unsigned *type, uint64_t *addr);
void gdb_hwbreak_resume_past(void);      /* RFLAGS.RF: run the instruction it stopped on */

/* gdb_monitor.c: run one `monitor` command (output through printf), and
 * whether `monitor break-on-exit` chose this basic exit reason. */
void gdb_monitor(const char *command);
bool gdb_break_on_exit(unsigned reason);

