/*
 * poweroff.h: end the run. The console protocol's last line of every run is
 * "POWEROFF <status>" (0 = success); the runner (tools/hvrun) reads it.
 */
#pragma once

/* Exit statuses that components pass to poweroff(). */
enum {
    POWEROFF_OK = 0,
    POWEROFF_FAIL = 1,   /* the run finished, but something it checked failed */
    POWEROFF_PANIC = 3,  /* printed a "PANIC ..." line first */
    POWEROFF_GUEST_STOPPED = 4,  /* the hypervisor stopped a guest that misbehaved */
};

_Noreturn void poweroff(int status);
