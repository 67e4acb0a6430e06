/* helper_hello: started by the syscall test through spawn(); exits 42. */
#include "ulib.h"

int main(void)
{
    printf("helper_hello: pid %d says hello\n", getpid());
    return 42;
}
