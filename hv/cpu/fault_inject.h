/*
 * fault_inject.h: deliberate failures, chosen by the fault= option (64-bit, ring 0).
 * Each one ends the run the way a real bug would, so the kit's tests can
 * prove that the runner recognises every outcome and names its cause.
 */
#pragma once
#include "boot/options.h"

/* Does nothing for FAULT_NONE; otherwise never returns. */
void fault_inject(enum fault_kind kind);
