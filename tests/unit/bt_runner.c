/*
 * bt_runner.c: the 32-bit side of the host harness of binary translation
 * (tests/unit/bt_harness.c is the other): a freestanding i386 Linux program
 * that reads a state and a memory region (bt_harness_layout.h) on stdin,
 * runs the region's code from the state's entry with the state's registers
 * and EFLAGS and GS on the region's vCPU page (an LDT data segment, made
 * with modify_ldt), until the code jumps to the gate; then writes the
 * registers, EFLAGS and the region back on stdout. One run, one process:
 * the test's side is the hypervisor, this is the VM, and each run an entry.
 *
 * Built with the kit's 32-bit compiler (CFLAGS32), with no C library:
 * Linux's i386 system calls through INT 0x80.
 */
#include <stddef.h>
#include <stdint.h>
#include "bt_harness_layout.h"

static struct bt_h_state state __attribute__((used));
static uint8_t stack[4096] __attribute__((used, aligned(16)));

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
    long r;
    /* EBP carries the sixth argument: saved around the call by hand, as
     * the frame pointer cannot be named a clobber. */
    __asm__ volatile("push %%ebp; mov %7, %%ebp; int $0x80; pop %%ebp"
                     : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), "m"(f) : "memory");
    return r;
}

enum { SYS_EXIT = 1, SYS_READ = 3, SYS_WRITE = 4, SYS_MODIFY_LDT = 123, SYS_MPROTECT = 125, SYS_MMAP2 = 192 };

static void die(const char *why)
{
    size_t n = 0;
    while (why[n])
        n++;
    sys(SYS_WRITE, 2, (long)why, (long)n, 0, 0, 0);
    sys(SYS_EXIT, 2, 0, 0, 0, 0, 0);
}

static void transfer(int nr, int fd, void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        long r = sys(nr, fd, (long)((uint8_t *)buf + done), (long)(n - done), 0, 0, 0);
        if (r <= 0)
            die("bt_runner: short read or write\n");
        done += (size_t)r;
    }
}

/* The return path: the registers as the code left them, before any is
 * used, then the runner's own stack. */
void bt_runner_finish(void);
__asm__(".globl bt_runner_exit\n"
        "bt_runner_exit:\n"
        "  mov %esp, state+8+16\n"
        "  mov $stack+4096, %esp\n"
        "  pushfl\n"
        "  popl state+40\n"
        "  mov %eax, state+8\n  mov %ecx, state+12\n  mov %edx, state+16\n  mov %ebx, state+20\n"
        "  mov %ebp, state+28\n  mov %esi, state+32\n  mov %edi, state+36\n"
        "  cld\n"
        "  call bt_runner_finish\n");
extern const uint8_t bt_runner_exit[];

/* Into the code: EFLAGS through the runner's stack, then every register,
 * ESP last, and a jump through memory. */
static void __attribute__((noreturn)) enter(void)
{
    __asm__ volatile("pushl state+40\n  popfl\n"
                     "  mov state+8, %eax\n  mov state+12, %ecx\n  mov state+16, %edx\n  mov state+20, %ebx\n"
                     "  mov state+28, %ebp\n  mov state+32, %esi\n  mov state+36, %edi\n"
                     "  mov state+24, %esp\n"
                     "  jmp *state+4\n");
    __builtin_unreachable();
}
_Static_assert(offsetof(struct bt_h_state, reg) == 8 && offsetof(struct bt_h_state, eflags) == 40 &&
               offsetof(struct bt_h_state, entry) == 4, "the offsets the assembly uses");

void bt_runner_finish(void)
{
    state.entry = 0;
    transfer(SYS_WRITE, 1, &state, sizeof(state));
    transfer(SYS_WRITE, 1, (void *)BT_H_BASE, BT_H_SIZE);
    sys(SYS_EXIT, 0, 0, 0, 0, 0, 0);
}

/* struct user_desc (Linux's asm/ldt.h): a 32-bit data segment, writable. */
struct user_desc {
    uint32_t entry_number, base_addr, limit;
    uint32_t flags;                  /* seg_32bit 1, contents 2, read_exec_only 1, limit_in_pages 1,
                                        seg_not_present 1, useable 1 */
};

void __attribute__((noreturn, used)) runner_main(void)
{
    transfer(SYS_READ, 0, &state, sizeof(state));
    if (state.magic != BT_H_MAGIC)
        die("bt_runner: not a harness request\n");
    enum { PROT_RWX = 7, PROT_RW = 3, MAP_PRIVATE_ANON_FIXED = 0x32 };
    if (sys(SYS_MMAP2, BT_H_BASE, BT_H_SIZE, PROT_RWX, MAP_PRIVATE_ANON_FIXED, -1, 0) != (long)BT_H_BASE)
        die("bt_runner: cannot map the region\n");
    transfer(SYS_READ, 0, (void *)BT_H_BASE, BT_H_SIZE);
    /* The gate: jmp *(BT_H_GATE + 8), and there the return path. */
    uint8_t *gate = (uint8_t *)BT_H_GATE;
    gate[0] = 0xFF;
    gate[1] = 0x25;
    *(uint32_t *)(gate + 2) = BT_H_GATE + 8;
    *(uint32_t *)(gate + 8) = (uint32_t)bt_runner_exit;
    if (!state.code_exec && sys(SYS_MPROTECT, BT_H_CODE, BT_H_CODE_END - BT_H_CODE, PROT_RW, 0, 0, 0))
        die("bt_runner: mprotect\n");
    struct user_desc d = { 0, BT_H_VCPU, BT_H_VCPU_SIZE - 1, 1 | 1u << 6 };
    if (sys(SYS_MODIFY_LDT, 0x11, (long)&d, sizeof(d), 0, 0, 0))
        die("bt_runner: modify_ldt\n");
    __asm__ volatile("mov %0, %%gs" : : "r"(7));          /* LDT entry 0, RPL 3 */
    enter();
}

__asm__(".globl _start\n_start:\n  mov $stack+4096, %esp\n  call runner_main\n");
