/*
 * vm_debugcon.c: a VM's port 0xE9 under devices=virtual. See vm_debugcon.h.
 */
#include "exit/vm_debugcon.h"
#include "exit/console.h"
#include "exit/vm_devices.h"
#include "guest/vm.h"
#include "vmx/exit_info.h"
#include "x86/x86.h"

void vm_debugcon_init(struct vm_devices *d, unsigned vm)
{
    /* The VM's tag first, as on every line of its (guest_line.h). */
    static const char *const tags[] = { "(e9) ", "(vm1) (e9) ", "(vm2) (e9) ", "(vm3) (e9) " };
    _Static_assert(sizeof(tags) / sizeof(tags[0]) == VMS_MAX, "a tag per VM");
    console_guest_init(&d->debugcon, vm < VMS_MAX ? tags[vm] : "(vm?) (e9) ");
}

bool vm_debugcon_exit(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (io.string || io.port != DEBUGCON_PORT)
        return false;
    /* A wider access covers the ports above too, which have no device:
     * its low byte is 0xE9's, the others read all ones. */
    uint64_t mask = io.size == 4 ? 0xFFFFFFFFull : (1ull << (8 * io.size)) - 1;
    if (io.in)
        v->regs.rax = (v->regs.rax & ~mask) | ((0xFFFFFF00u | DEBUGCON_PORT) & mask);
    else
        console_guest_byte(&v->vm->devices->debugcon, (uint8_t)v->regs.rax);
    advance_rip(v);
    return true;
}
