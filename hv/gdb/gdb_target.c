/* gdb_target.c: the state the debugger's parts share (see gdb_target.h):
 * which target the stub debugs, the vCPU it looks at, and the VMs. Here, below gdb.c's
 * entry points, so that the targets read it without calling back up. */
#include "gdb/gdb_target.h"
#include "guest/vm.h"

enum gdb_mode gdb_mode = GDB_OFF;
struct vcpu *gdb_vcpu;
struct vm *const *gdb_vms;
unsigned gdb_nvms;
int gdb_chosen_vm = -1;

struct vcpu *gdb_view_vcpu(void)
{
    if (gdb_chosen_vm >= 0 && (unsigned)gdb_chosen_vm < gdb_nvms)
        return &gdb_vms[gdb_chosen_vm]->vcpu;
    return gdb_vcpu;
}
