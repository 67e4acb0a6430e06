/*
 * bt_harness.c: running 32-bit guest code and its translation on the host
 * (see bt_harness.h).
 */
#define _GNU_SOURCE
#include "bt_harness.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bt/bt_chain.h"
#include "bt/bt_lookup.h"

#ifndef BT_RUNNER
#error "BT_RUNNER: the path of the 32-bit runner (tests/unit/unit.mk)"
#endif

void bt_h_machine(struct bt_machine *m, uint32_t at, const void *code, size_t n)
{
    memset(m, 0, sizeof(*m));
    uint8_t *p = bt_h_ptr(m, at);
    memcpy(p, code, n);
    uint32_t next = at + (uint32_t)n + 5;
    p[n] = 0xE9;                                     /* jmp BT_H_GATE */
    uint32_t rel = BT_H_GATE - next;
    memcpy(p + n + 1, &rel, 4);
    m->reg[4] = BT_H_STACK_TOP;
    m->eflags = 0x202;
    struct bt_vcpu_page *page = bt_h_page(m);
    page->vif = BT_EFLAGS_IF;
    static const uint32_t selectors[BT_SREGS] = { 0x10, 0x08, 0x10, 0x10, 0x10, 0 };
    memcpy(page->selector, selectors, sizeof(selectors));
    page->ldtr = 0;
    page->tr = 0x28;
    page->gdtr = (struct bt_dtr){ 0, 0x47, 0xC0101000 };
    page->idtr = (struct bt_dtr){ 0, 0x7FF, 0xC0102000 };
    bt_lookup_clear(page);
}

/* How the runner is started: NULL until the first run finds out. */
static const char *const *runner_argv;

static bool write_all(int fd, const void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = write(fd, (const char *)buf + done, n - done);
        if (r <= 0)
            return false;
        done += (size_t)r;
    }
    return true;
}

static bool read_all(int fd, void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = read(fd, (char *)buf + done, n - done);
        if (r <= 0)
            return false;
        done += (size_t)r;
    }
    return true;
}

/* One run with argv; false and the reason in why[] if it failed. */
static bool run_with(const char *const *argv, struct bt_machine *m, uint32_t entry, bool code_exec,
                     char *why, size_t why_size)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out)) {
        snprintf(why, why_size, "pipe: %s", strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        /* A translation that crashes the runner is a failed test, not a
         * core file in the tree (qemu-i386 writes its own). */
        setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
        /* execv for a path: execvp would hand a file the kernel refuses
         * (ENOEXEC: an i386 program where they do not run) to the shell. */
        if (strchr(argv[0], '/'))
            execv(argv[0], (char *const *)argv);
        else
            execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "bt harness: cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    struct bt_h_state s = { BT_H_MAGIC, entry, { 0 }, m->eflags, code_exec };
    memcpy(s.reg, m->reg, sizeof(s.reg));
    bool sent = write_all(in[1], &s, sizeof(s)) && write_all(in[1], m->mem, sizeof(m->mem));
    close(in[1]);
    struct bt_h_state back;
    bool got = sent && read_all(out[0], &back, sizeof(back)) && back.magic == BT_H_MAGIC &&
               read_all(out[0], m->mem, sizeof(m->mem));
    close(out[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        memcpy(m->reg, back.reg, sizeof(m->reg));
        m->eflags = back.eflags;
        return true;
    }
    if (WIFSIGNALED(status))
        snprintf(why, why_size, "%s died of signal %d (entry 0x%x)", argv[0], WTERMSIG(status), entry);
    else
        snprintf(why, why_size, "%s exited with status %d (entry 0x%x)", argv[0],
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, entry);
    return false;
}

/* Natively, if this kernel runs the i386 runner; else under qemu-i386. */
static bool choose_runner(void)
{
    static const char *const native[] = { BT_RUNNER, NULL };
    static const char *const qemu[] = { "qemu-i386", BT_RUNNER, NULL };
    static struct bt_machine probe;
    char why[160];
    signal(SIGPIPE, SIG_IGN);
    bt_h_machine(&probe, BT_H_CODE, "\x65\x8b\x05\x00\x00\x00\x00", 7);   /* mov %gs:0, %eax */
    if (run_with(native, &probe, BT_H_CODE, true, why, sizeof(why)) && probe.reg[0] == BT_EFLAGS_IF) {
        runner_argv = native;
        return true;
    }
    fprintf(stderr, "bt harness: the i386 runner does not run natively here (%s): trying qemu-i386\n", why);
    bt_h_machine(&probe, BT_H_CODE, "\x65\x8b\x05\x00\x00\x00\x00", 7);
    if (run_with(qemu, &probe, BT_H_CODE, true, why, sizeof(why)) && probe.reg[0] == BT_EFLAGS_IF) {
        runner_argv = qemu;
        return true;
    }
    fprintf(stderr, "bt harness: nor under qemu-i386 (%s; make deps installs qemu-user)\n", why);
    return false;
}

bool bt_h_run(struct bt_machine *m, uint32_t entry, bool code_exec)
{
    char why[160];
    if (!runner_argv && !choose_runner())
        return false;
    if (run_with(runner_argv, m, entry, code_exec, why, sizeof(why)))
        return true;
    fprintf(stderr, "bt harness: %s\n", why);
    return false;
}

void bt_tc_init(struct bt_tc *tc, struct bt_machine *m, bool chain)
{
    memset(tc, 0, sizeof(*tc));
    tc->m = m;
    tc->chain = chain;
    tc->max_insns = BT_BLOCK_MAX_INSNS;
    tc->emit = (struct bt_emit){ bt_h_ptr(m, BT_H_TC), BT_H_TC, 0, BT_H_TC_END - BT_H_TC, false };
    tc->rt.exit = BT_H_GATE;
    tc->rt.lookup = bt_lookup_emit(&tc->emit, &tc->rt, &tc->lookup_layout);
}

const struct bt_block *bt_tc_block(struct bt_tc *tc, uint32_t eip)
{
    for (unsigned i = 0; i < tc->blocks; i++)
        if (tc->block[i].guest_eip == eip)
            return &tc->block[i];
    if (eip < BT_H_CODE || eip >= BT_H_CODE_END || tc->blocks == sizeof(tc->block) / sizeof(tc->block[0]))
        return NULL;
    struct bt_code code = { .bytes = bt_h_ptr(tc->m, eip), .len = BT_H_CODE_END - eip, .eip = eip };
    struct bt_block *b = &tc->block[tc->blocks];
    if (bt_translate_block(&code, &tc->rt, &tc->emit, tc->max_insns, b) != BT_OK || tc->emit.overflow)
        return NULL;
    tc->blocks++;
    return b;
}

const struct bt_map_entry *bt_tc_slot(const struct bt_tc *tc, uint32_t slot, const struct bt_block **in)
{
    for (unsigned i = 0; i < tc->blocks; i++) {
        const struct bt_block *b = &tc->block[i];
        const struct bt_map_entry *m = slot >= b->tc_address ? bt_block_find(b, slot - b->tc_address) : NULL;
        if (m && m->kind == BT_MAP_SLOT && b->tc_address + m->tc_offset == slot) {
            *in = b;
            return m;
        }
    }
    return NULL;
}

enum bt_exit_kind bt_tc_run(struct bt_tc *tc, uint32_t eip, unsigned max_runs)
{
    struct bt_vcpu_page *page = bt_h_page(tc->m);
    const struct bt_block *b = bt_tc_block(tc, eip);
    while (b && tc->runs < max_runs) {
        page->exit_kind = BT_EXIT_NONE;
        tc->runs++;
        if (!bt_h_run(tc->m, b->tc_address, false))
            return BT_EXIT_NONE;
        enum bt_exit_kind kind = page->exit_kind;
        if (kind >= BT_EXIT_KINDS)
            return BT_EXIT_NONE;
        tc->exits[kind]++;
        if (kind != BT_EXIT_BRANCH && kind != BT_EXIT_LOOKUP)
            return kind;
        /* A branch site's first miss: its target is in the page (bt_lookup.h). */
        uint32_t eip = kind == BT_EXIT_LOOKUP && page->exit_arg ? page->target : page->exit_eip;
        if (eip == BT_H_GATE)
            return kind;
        b = bt_tc_block(tc, eip);
        if (!b)
            break;
        if (kind == BT_EXIT_LOOKUP) {
            bt_lookup_set(page, b->guest_eip, b->tc_address);
            struct bt_site_layout site;
            uint32_t at = page->exit_arg;
            if (at && tc->chain) {                 /* the site learns the target, as the hypervisor's */
                if (at < BT_H_TC || at >= BT_H_TC_END ||
                    !bt_site_parse(bt_h_ptr(tc->m, at), at, BT_H_TC_END - at, &site))
                    return BT_EXIT_NONE;
                bt_site_learn(bt_h_ptr(tc->m, at), at, &site, eip, tc->rt.lookup);
                bt_chain(bt_h_ptr(tc->m, site.slot), site.slot, b->tc_address);
                tc->learnt++;
            }
        } else if (tc->chain) {
            uint8_t *slot = bt_h_ptr(tc->m, page->exit_arg);
            if (page->exit_arg < BT_H_TC || page->exit_arg > BT_H_TC_END - BT_SLOT_SIZE ||
                !bt_is_slot(slot, page->exit_arg))
                return BT_EXIT_NONE;               /* the integration's check, here too */
            const struct bt_block *from;
            const struct bt_map_entry *m = bt_tc_slot(tc, page->exit_arg, &from);
            if (!m)
                return BT_EXIT_NONE;
            bt_block_chain(bt_h_ptr(tc->m, from->tc_address), from->tc_address, m, b->tc_address);
            tc->chained++;
        }
    }
    return BT_EXIT_NONE;
}
