/*
 * vm_debugcon.c: a VM's port 0xE9 under devices=virtual. See vm_debugcon.h.
 */
#include "exit/vm_debugcon.h"
#include "exit/console.h"
#include "exit/vm_devices.h"
#include "guest/vm.h"
#include "exit/port_io.h"
#include "x86/x86.h"

bool vm_debugcon_exit(struct vcpu *v, const struct io_qual *io)
{
    if (io->port != DEBUGCON_PORT)
        return false;
    /* A wider access covers the ports above too, which have no device:
     * its low byte is 0xE9's, the others read all ones. */
    if (io->in)
        io_in_result(v, io, 0xFFFFFF00u | DEBUGCON_PORT);
    else
        console_guest_byte(&v->vm->devices->debugcon, (uint8_t)io_out_value(v, io));
    advance_rip(v);
    return true;
}
