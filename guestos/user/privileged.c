/* privileged: ring-3 code that tries privileged instructions or port I/O is
 * killed by #GP (status 0x10D); an undefined opcode by #UD (0x106). */
#include "ulib.h"

const char *test_name = "privileged";

static void do_cli(void) { __asm__ volatile("cli"); }
static void do_hlt(void) { __asm__ volatile("hlt"); }
static void do_cr3(void) { __asm__ volatile("mov %%eax, %%cr3" : : "a"(0)); }
static void do_outb(void) { __asm__ volatile("outb %%al, $0x80" : : "a"(0)); }
static void do_lgdt(void) { static char z[6]; __asm__ volatile("lgdt %0" : : "m"(z)); }
static void do_ud2(void) { __asm__ volatile("ud2"); }

int main(void)
{
    void (*cases[])(void) = {do_cli, do_hlt, do_cr3, do_outb, do_lgdt, do_ud2};
    const char *names[] = {"cli", "hlt", "mov cr3", "outb", "lgdt", "ud2"};
    for (int i = 0; i < 6; i++) {
        int want = i == 5 ? 6 : 13, status = run_child(cases[i]);
        CHECK(STATUS_KILLED(status) && STATUS_TRAPNO(status) == want, "%s: status 0x%x, expected 0x%x",
              names[i], status, 0x100 + want);
    }
    test_pass();
}
