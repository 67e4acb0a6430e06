/*
 * cases_hv.c: the PV mode itself, its start of day and the hypercall path
 * (lib/pv_abi.h sections 1-3, 7's console_io, 9; hv/pv/).
 */
#include "cpu.h"
#include "pvtest.h"

PV_CASE(boot, "boot", "the start of day: registers, control registers, the direct map")
{
    result("booted");
}
