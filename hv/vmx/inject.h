/*
 * inject.h: event injection, delivering an exception or interrupt to the
 * guest on the next VM entry as if the guest's own CPU had raised it (SDM
 * vol. 3, 27.6 "Event Injection"; the VM-entry interruption-information
 * field, 25.8.3).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmx/vmx.h" /* the interruption-information format, the event types */
#include "x86/x86.h" /* the exception vectors */

/* Inject a hardware exception; the error code is delivered where the
 * guest's CPU would push it: for the vectors that have one (#DF, #TS, #NP,
 * #SS, #GP, #PF, #AC, #CP) in protected mode, never in real mode (the rule
 * of SDM 27.2.1.3, cpu_rules.c). */
void inject_exception(unsigned vector, uint32_t error_code);

void inject_nmi(void);

/* Inject an external interrupt with this vector, as if the guest's CPU had
 * taken it from its interrupt controller's INTA cycle (event type 0). The
 * guest must be able to take one: RFLAGS.IF = 1 and no blocking by STI or
 * MOV SS (SDM 27.3.1.5 checks it). */
void inject_external_interrupt(unsigned vector);

/* Inject a software exception (#BP from INT3, #OF from INTO) the way the
 * guest's INT3 would have raised it: the CPU pushes the address after the
 * instruction, so VM entry needs its length (SDM 25.8.3, 27.6.1.1). */
void inject_software_exception(unsigned vector, uint32_t instruction_length);

/* A #DB that exits writes neither DR6 nor DR7 (SDM 28.1): its exit
 * qualification holds the DR6 bits it would have set (B0-B3, BD, BS;
 * table 28-1). Before the #DB reaches the guest, do what the CPU's own
 * delivery does: DR6 from the qualification, and DR7.GD cleared so that
 * the guest's handler may use the debug registers (SDM 18.2.4). The
 * hypervisor never uses the debug registers itself. */
/* The single-step #DB of an instruction the hypervisor completed for the
 * guest: BS in the pending debug exceptions (SDM 25.4.2), delivered right
 * after the VM entry (SDM 27.7.3). */
void make_single_step_pending(void);

#define DR7_GD (1u << 13)                   /* general detect */
#define DR6_BD (1u << 13)                   /* a MOV DR under DR7.GD caused the #DB */
#define DR6_BS (1u << 14)                   /* a single step caused the #DB */
void debug_exception_exited(uint64_t qualification);
