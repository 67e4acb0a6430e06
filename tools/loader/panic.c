/* panic.c: print one PANIC line on COM1 and power off (see panic.h).
 * CPU mode: 32-bit protected mode. */
#include "panic.h"
#include "poweroff.h"
#include "printf.h"

_Noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("PANIC loader: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    poweroff(POWEROFF_PANIC);
}
