/*
 * vm_pci.c: a VM's PCI configuration ports. See vm_pci.h.
 */
#include "exit/vm_pci.h"
#include "dev/pci_config.h"
#include "exit/vm_devices.h"
#include "exit/vm_reset.h"
#include "fmt.h"
#include "guest/vm.h"
#include "exit/port_io.h"

bool vm_pci_exit(struct vcpu *v, const struct io_qual *io)
{
    if (!pci_config_handles(io->port, io->size))
        return false;
    struct pci_config *p = &v->vm->devices->pci;
    if (io->in) {
        io_in_result(v, io, pci_config_read(p, io->port, io->size));
    } else if (pci_config_write(p, io->port, io->size, io_out_value(v, io))) {
        char how[48];
        snprintf(how, sizeof how, "0x%x to port 0x%x", io_out_value(v, io), io->port);
        vm_reset_requested(v, how);
        return true;
    }
    advance_rip(v);
    return true;
}
