/*
 * balloon_targets.h: the balloon= option (lab 5, cpu=pv): the memory the
 * hypervisor asks each VM's balloon driver to hold, and when it changes,
 * so that a run shows a balloon going down and up (lib/pv_abi.h section 8:
 * the hypervisor writes each target to shared_info.balloon_target with a
 * PV_VIRQ_BALLOON event).
 *
 *   balloon=VM[/VM...]       one VM's targets per '/', VM 0 first
 *   VM = STEP[,STEP...] | -  '-': no target for that VM
 *   STEP = MiB[@ms]          the target from that time of the VM's (ms of
 *                            its system time; no '@': from its start)
 *
 * For example balloon=8,16@200 asks VM 0 for 8 MiB from its start and for
 * 16 MiB from 200 ms; balloon=-/12 asks only VM 1, for 12 MiB. Each VM's
 * times increase from step to step.
 *
 * Pure (any mode, also the host unit tests and the fuzzer): the options
 * parser calls it.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define BALLOON_VMS_MAX   4          /* OPTIONS_VMS_MAX */
#define BALLOON_STEPS_MAX 4
#define BALLOON_MIB_MAX   1024       /* guestmem='s largest */

struct balloon_step {
    unsigned mib;
    unsigned at_ms;
};

struct balloon_targets {
    unsigned steps[BALLOON_VMS_MAX];                   /* 0: no target for the VM */
    struct balloon_step step[BALLOON_VMS_MAX][BALLOON_STEPS_MAX];
};

/* value[0..len) into *out; false (and *out cleared) if it breaks the
 * grammar or a limit above. */
bool balloon_targets_parse(const char *value, size_t len, struct balloon_targets *out);

/* A VM's target at ms of its time: 0 before its first step, or if it has
 * none; *next_ms the next step's time (UINT_MAX: none left). */
unsigned balloon_target_mib(const struct balloon_targets *t, unsigned vm, unsigned ms, unsigned *next_ms);
