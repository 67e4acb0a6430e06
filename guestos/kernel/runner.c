/*
 * runner.c: the kernel's own process (pid 1, "init"): runs the test and
 * benchmark programs the command line chose, one after another, and powers
 * off with the verdict.
 *
 *   test=NAME | test=a,b,c | test=all    in-guest tests (TEST lines)
 *   bench=NAME | bench=a,b | bench=all   benchmarks (BENCH lines)
 *
 * Each program is a boot module named by its file: test NAME is NAME.elf,
 * benchmark NAME is bench_NAME.elf; helper_*.elf are started by tests only;
 * input_*.elf read the console, so test=all leaves them out (nobody types);
 * balloon_*.elf need a PV VM whose balloon grows (lab 5), left out too; and
 * the long tests of NAMED_ONLY (test=all runs in many cases, each of which
 * would pay for them).
 * A program passes when it exits with status 0. It prints its own TEST
 * line; when it is killed, this runner prints the FAIL line for it.
 *
 *   fault=panic | fault=pagefault        make the kernel panic (to test that
 *                                        a panic is reported and ends the run)
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "syscall.h"
#include "../../lib/fmt.h"
#include "../../lib/poweroff.h"
#include "../../lib/printf.h"
#include "../../lib/string.h"

static int passed, failed;

/* Tests run only when named: ptfuzz's walk is 1.5 s of Bochs's time (4 s under cpu=pv); console_lines
 * prints 1000 lines (tests/bench/split.py).
 * tests/integration/guest_cases.py reads this list (its one copy): keep it one initializer of strings. */
static const char *const NAMED_ONLY[] = {"ptfuzz", "apf", "swap", "console_lines"};

static int starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Run one program to its end; kind is "TEST" or "BENCH" for messages. */
static void run_program(const char *kind, const char *label, const char *module)
{
    if (!find_module(module)) {
        printf("%s %s: FAIL no such %s\n", kind, label, kind[0] == 'T' ? "test" : "benchmark");
        failed++;
        return;
    }
    int pid = spawn_program(current, module), got, status = 0;
    if (pid < 0) {
        printf("%s %s: FAIL cannot start it (see above)\n", kind, label);
        failed++;
        return;
    }
    while ((got = wait_child(current, &status, 1)) != pid && got >= 0)
        ;   /* an orphan this process adopted: reaped, nothing more */
    if (status == 0) {
        passed++;
        return;
    }
    failed++;
    if (STATUS_KILLED(status))
        printf("%s %s: FAIL killed by %s\n", kind, label, trap_name(STATUS_TRAPNO(status)));
}

static int named_only(const char *name)
{
    for (unsigned i = 0; i < sizeof NAMED_ONLY / sizeof NAMED_ONLY[0]; i++)
        if (!strcmp(name, NAMED_ONLY[i]))
            return 1;
    return 0;
}

/* Run every module of the kind: tests are those not named bench_, helper_,
 * input_ or balloon_, nor NAMED_ONLY. */
static void run_all(const char *kind, int benches)
{
    for (int i = 0; i < boot_module_count(); i++) {
        const char *name = boot_module(i)->name;
        if (starts_with(name, "helper_") || starts_with(name, "input_") || starts_with(name, "balloon_") ||
            named_only(name))
            continue;
        if (benches && starts_with(name, "bench_"))
            run_program(kind, name + 6, name);
        else if (!benches && !starts_with(name, "bench_"))
            run_program(kind, name, name);
    }
}

/* Run the comma-separated list `value` (up to the next space). */
static void run_list(const char *kind, int benches, const char *value)
{
    char name[32];
    while (*value && *value != ' ') {
        int n = 0;
        while (*value && *value != ' ' && *value != ',')
            if (n < (int)sizeof name - 1)
                name[n++] = *value++;
            else
                value++;
        name[n] = 0;
        if (*value == ',')
            value++;
        if (!strcmp(name, "all")) {
            run_all(kind, benches);
        } else if (n > 0) {
            char module[40];
            snprintf(module, sizeof module, "%s%s", benches ? "bench_" : "", name);
            run_program(kind, name, module);
        }
    }
}

void run_chosen_programs(void)
{
    const char *cmd = boot_cmdline();
    int chosen = 0;
    for (const char *w = cmd; *w; w++) {
        if (w != cmd && w[-1] != ' ')
            continue;
        if (starts_with(w, "fault=panic"))
            panic("fault=panic on the command line");
        if (starts_with(w, "fault=pagefault"))
            *(volatile uint32_t *)0 = 0;    /* page 0 is mapped in no address space */
        if (starts_with(w, "test="))
            run_list("TEST", 0, w + 5), chosen++;
        else if (starts_with(w, "bench="))
            run_list("BENCH", 1, w + 6), chosen++;
    }
    if (!chosen)
        printf("guestos: nothing chosen to run (test=NAME|a,b|all, bench=NAME|all)\n");
    printf("guestos: tests done: %d passed, %d failed\n", passed, failed);
    wait_device_backends();     /* a driver VM: until the VM it serves is gone */
    poweroff(failed ? POWEROFF_FAIL : POWEROFF_OK);
}
