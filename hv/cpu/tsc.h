/*
 * tsc.h: the time-stamp counter's rate, measured once at boot against the
 * machine's 8254 PIT (64-bit, VMX root operation, before any guest runs).
 *
 * A VM's virtual time is the TSC (lab 4: the virtual PIT counts its clock
 * from it), so the hypervisor must know how many TSC ticks make a second.
 * Under Bochs with `clock: sync=none` the TSC counts emulated instructions
 * and the PIT counts the emulated machine's time (`ips` instructions a
 * second), so the figure is that of the emulated machine, the same at every
 * run.
 */
#pragma once
#include <stdint.h>

/* TSC ticks per second, measured over 50 ms of the PIT's counter 2 (which
 * only the PC speaker uses). Panics if the PIT never counts down. */
uint64_t tsc_measure_hz(void);
