/* helper_ptfuzz: started by ptfuzz through spawn() (this OS's exec: a fresh
 * address space from a program file). Its data must read as the file holds
 * it, its bss as zeros, and a heap it grows must hold what it writes; it
 * exits with a checksum of all it read (ptfuzz folds the status), 255 if
 * something was wrong. */
#include "ulib.h"

static char text[] = "hvlab ptfuzz: a program's data, mapped from its file";
static uint32_t zeros[2048];            /* .bss: two pages */

int main(void)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < sizeof text; i++)
        sum = sum * 31 + (uint8_t)text[i];
    for (unsigned i = 0; i < sizeof zeros / sizeof zeros[0]; i += 97)
        if (zeros[i])
            return 255;
    uint32_t *heap = sbrk(4 * 4096);
    for (int p = 0; p < 4; p++)
        heap[p * 1024 + p] = sum + p;
    for (int p = 0; p < 4; p++)
        if (heap[p * 1024 + p] != sum + p)
            return 255;
    return (int)(sum % 251) + 2;
}
