/*
 * poweroff.c: the PV kernel's lib/poweroff.h: sched_op shutdown, which ends
 * the VM with the status as port 0xF4's power-off does (lib/poweroff.c).
 */
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/poweroff.h"
#include "../../../lib/printf.h"
#include "../../../lib/serial.h"

_Noreturn void poweroff(int status)
{
    split_console_report();
    printf("POWEROFF %d\n", status);
    serial_drain();
    struct pv_sched_shutdown shutdown = {PV_SHUTDOWN_poweroff, (uint32_t)status};
    hypercall2(PV_sched_op, PV_SCHEDOP_shutdown, &shutdown);
    for (;;)
        __asm__ volatile("cli; hlt");
}
