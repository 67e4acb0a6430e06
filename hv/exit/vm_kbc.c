/*
 * vm_kbc.c: a VM's keyboard controller. See vm_kbc.h.
 */
#include "exit/vm_kbc.h"
#include "dev/i8042.h"
#include "exit/vm_devices.h"
#include "exit/vm_ioapic.h"
#include "exit/vm_reset.h"
#include "fmt.h"
#include "guest/vm.h"
#include "exit/port_io.h"

#define IRQ_KEYBOARD 1
#define IRQ_MOUSE    12

void vm_kbc_update_irqs(struct vm_devices *d, bool after_read)
{
    if (after_read) {
        vm_isa_irq(d, IRQ_KEYBOARD, false);
        vm_isa_irq(d, IRQ_MOUSE, false);
    }
    vm_isa_irq(d, IRQ_KEYBOARD, i8042_irq1(&d->kbc));
    vm_isa_irq(d, IRQ_MOUSE, i8042_irq12(&d->kbc));
}

bool vm_kbc_exit(struct vcpu *v, const struct io_qual *io)
{
    if (io->size != 1 || (io->port != I8042_PORT_DATA && io->port != I8042_PORT_COMMAND))
        return false;
    struct vm_devices *d = v->vm->devices;
    if (io->in) {
        io_in_result(v, io, i8042_read(&d->kbc, io->port));
        vm_kbc_update_irqs(d, io->port == I8042_PORT_DATA);
    } else {
        bool awaited_output_port = d->kbc.awaiting == 0xD1;
        uint8_t value = (uint8_t)io_out_value(v, io);
        if (i8042_write(&d->kbc, io->port, value)) {
            char how[80];
            snprintf(how, sizeof how, "0x%02x to port 0x%x%s", value, io->port,
                     awaited_output_port && io->port == I8042_PORT_DATA ? ", the keyboard controller's "
                     "output port, its reset line low" : "");
            vm_reset_requested(v, how);
            return true;
        }
        vm_kbc_update_irqs(d, false);
    }
    advance_rip(v);
    return true;
}
