/* gdb.c: the debugger's entry points (see gdb.h): which target, and the
 * VM-exit hook that both targets share. */
#include "gdb/gdb.h"
#include "gdb/gdb_stub.h"
#include "gdb/gdb_target.h"
#include "gdb/gdb_uart.h"
#include "printf.h"

bool gdb_enabled;

void gdb_init(enum gdb_mode mode)
{
    if (mode == GDB_OFF)
        return;
    if (!gdb_uart_present()) {
        printf("hv: gdb: no UART at COM2 (port 0x%x): the stub stays off (run with hvrun --gdb)\n",
               COM2_PORT);
        return;
    }
    gdb_mode = mode;
    gdb_enabled = true;
    if (mode == GDB_HV)
        gdb_hv_start();
    else
        gdb_guest_init();
}

void gdb_guest_start(struct vcpu *v)
{
    if (gdb_mode == GDB_GUEST)
        gdb_guest_first_stop(v);
}

void gdb_set_vms(struct vm *const *vms, unsigned n)
{
    gdb_vms = vms;
    gdb_nvms = n;
}

bool gdb_exit(struct vcpu *v)
{
    static bool exited;
    if (!exited)                  /* the stops before the first exit held no VM's time */
        gdb_stub_take_held();
    exited = true;
    gdb_vcpu = v;
    return gdb_mode == GDB_HV ? gdb_hv_exit(v) : gdb_guest_exit(v);
}

void gdb_exit_begin(struct vcpu *v)
{
    if (gdb_mode == GDB_GUEST)
        gdb_guest_exit_begin(v);
}

void gdb_before_entry(struct vcpu *v)
{
    if (gdb_mode == GDB_GUEST)
        gdb_guest_before_entry(v);
}

uint64_t gdb_take_held_time(void)
{
    return gdb_stub_take_held();
}
