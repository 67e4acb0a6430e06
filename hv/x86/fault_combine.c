/*
 * fault_combine.c: two exceptions, one while delivering the other (SDM
 * vol. 3, 6.15, tables 6-4 and 6-5).
 */
#include "x86/fault_combine.h"
#include "x86/x86.h"

/* Table 6-4: #DE, #TS, #NP, #SS and #GP are contributory; #PF is a class
 * of its own; every other exception, and every interrupt, is benign. */
static bool contributory(unsigned vector)
{
    return vector == VEC_DE || (vector >= VEC_TS && vector <= VEC_GP);
}

enum fault_combination fault_combine(unsigned first, bool first_exception, unsigned second)
{
    if (!first_exception)
        return FAULT_SERIAL;
    if (first == VEC_DF)
        return FAULT_SHUTDOWN;
    /* Table 6-5: contributory then contributory; #PF then #PF or
     * contributory. A #PF after a contributory, or anything after a benign
     * one, is handled serially. */
    if (contributory(first) && contributory(second))
        return FAULT_DOUBLE;
    if (first == VEC_PF && (second == VEC_PF || contributory(second)))
        return FAULT_DOUBLE;
    return FAULT_SERIAL;
}
