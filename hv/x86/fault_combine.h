/*
 * fault_combine.h: how a fault raised while an event is delivered combines
 * with that event (a pure module: any mode, and the host unit test
 * tests/unit/test_fault_combine.c). SDM vol. 3, 6.15, "Interrupt 8 -
 * Double Fault Exception (#DF)": tables 6-4 (the classes) and 6-5 (the
 * conditions for a double fault).
 */
#pragma once
#include <stdbool.h>

enum fault_combination {
    FAULT_SERIAL,           /* the second is delivered as it is */
    FAULT_DOUBLE,           /* a #DF, error code 0, is delivered instead */
    FAULT_SHUTDOWN,         /* a fault delivering #DF: the CPU shuts down */
};

/* first: the vector being delivered; first_exception: it is an exception
 * the CPU raised (not an external interrupt or NMI, not INT n, INT3 or
 * INTO: those are benign whatever their vector). second: the exception its
 * delivery raised. */
enum fault_combination fault_combine(unsigned first, bool first_exception, unsigned second);
