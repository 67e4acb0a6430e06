/*
 * vm_pci.c: a VM's PCI configuration ports. See vm_pci.h.
 */
#include "exit/vm_pci.h"
#include "dev/pci_config.h"
#include "exit/vm_devices.h"
#include "exit/vm_reset.h"
#include "fmt.h"
#include "guest/vm.h"
#include "vmx/exit_info.h"

bool vm_pci_exit(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (io.string || !pci_config_handles(io.port, io.size))
        return false;
    struct pci_config *p = &v->vm->devices->pci;
    uint64_t mask = io.size == 4 ? 0xFFFFFFFFull : (1ull << (8 * io.size)) - 1;
    if (io.in) {
        v->regs.rax = (v->regs.rax & ~mask) | pci_config_read(p, io.port, io.size);
    } else if (pci_config_write(p, io.port, io.size, (uint32_t)(v->regs.rax & mask))) {
        char how[48];
        snprintf(how, sizeof how, "0x%x to port 0x%x", (unsigned)(v->regs.rax & mask), io.port);
        vm_reset_requested(v, how);
        return true;
    }
    advance_rip(v);
    return true;
}
