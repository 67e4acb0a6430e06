/*
 * inject.h: event injection, delivering an exception or interrupt to the
 * guest on the next VM entry as if the guest's own CPU had raised it (SDM
 * vol. 3, 27.6 "Event Injection"; the VM-entry interruption-information
 * field, 25.8.3).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_UD = 6, VEC_DF = 8,
    VEC_GP = 13, VEC_PF = 14, VEC_MC = 18,
};

/* Interruption types (bits 10:8 of the interruption information). */
enum {
    EVENT_EXTERNAL_INTERRUPT = 0, EVENT_NMI = 2, EVENT_HARDWARE_EXCEPTION = 3,
    EVENT_SOFTWARE_INTERRUPT = 4, EVENT_PRIVILEGED_SOFTWARE_EXCEPTION = 5,
    EVENT_SOFTWARE_EXCEPTION = 6,
};

/* The interruption-information format the VM-exit, IDT-vectoring and
 * VM-entry fields share (SDM 25.8.3 and 25.9.2): vector, type, whether an
 * error code goes with it, valid. */
#define INFO_VALID          (1u << 31)
#define INFO_VECTOR(i)      ((i) & 0xFF)
#define INFO_TYPE(i)        (((i) >> 8) & 7)
#define INFO_HAS_ERROR(i)   (((i) >> 11) & 1)
#define INFO_ERROR_CODE     (1u << 11)

/* Inject a hardware exception; the error code is delivered for the vectors
 * that have one (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
void inject_exception(unsigned vector, uint32_t error_code);

void inject_nmi(void);

/* Inject a software exception (#BP from INT3, #OF from INTO) the way the
 * guest's INT3 would have raised it: the CPU pushes the address after the
 * instruction, so VM entry needs its length (SDM 25.8.3, 27.6.1.1). */
void inject_software_exception(unsigned vector, uint32_t instruction_length);
