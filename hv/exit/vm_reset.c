/*
 * vm_reset.c: a guest's reset request ends its VM. See vm_reset.h.
 */
#include "exit/vm_reset.h"
#include "guest/guest.h"
#include "poweroff.h"
#include "printf.h"

void vm_reset_requested(struct vcpu *v, const char *how)
{
    printf("hv: %sguest: reset requested (%s); the hypervisor does not restart a guest: it is "
           "stopped as powered off\n", v->guest->tag, how);
    printf("hv: %sguest stopped: it powered off with status 0\n", v->guest->tag);
    v->stopped = true;
    v->stop_status = POWEROFF_OK;
}
