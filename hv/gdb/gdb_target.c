/* gdb_target.c: the state the debugger's parts share (see gdb_target.h):
 * which target the stub debugs, and the vCPU it looks at. Here, below gdb.c's
 * entry points, so that the targets read it without calling back up. */
#include "gdb/gdb_target.h"

enum gdb_mode gdb_mode = GDB_OFF;
struct vcpu *gdb_vcpu;
