/*
 * guest_line.h: the guest's console lines as the hypervisor relays them to
 * COM1, which it shares with its own lines (a pure module: any mode, also
 * the host unit tests).
 *
 * The console protocol (README.md) reserves the line prefixes "hv:",
 * "PANIC", "POWEROFF" and "hvrun:" for the hypervisor and the runner, and
 * "(vm" for the lines of the VMs after the first. A guest line that starts
 * with one is quoted: "(guest) " goes before it. A carriage return is
 * dropped (serial consoles end lines with CR LF); any other control
 * character but newline and tab (an ANSI escape, NUL), and any byte outside
 * printable ASCII, becomes '?'. So no
 * byte sequence of the guest's can look like a hypervisor line on the
 * terminal, and every line that starts with a reserved prefix is the
 * hypervisor's.
 *
 * With several VMs (vms=N), each has its own relay, and the lines of VM 1
 * and after carry its tag, "(vm1) ", before anything else, the quote too
 * ("(vm1) (guest) hv: ..."): VM 0's lines read as with one VM, no line of
 * VM 0 can pass for VM 1's ("(guest) (vm1) ..."), and none of VM 1's for
 * VM 0's or the hypervisor's. An empty line carries no tag.
 *
 * To quote a line the relay must know how it starts: while its first bytes
 * could still become a reserved prefix ("POW..."), they wait in `held`.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define GUEST_LINE_QUOTE "(guest) "
#define GUEST_LINE_HELD_MAX 8   /* the longest reserved prefix, "POWEROFF" */

struct guest_line {
    void (*emit)(void *ctx, char c);   /* where the relayed characters go */
    void *ctx;
    const char *tag;                   /* before each line: "" (VM 0), "(vm1) " ... */
    char held[GUEST_LINE_HELD_MAX];    /* the start of the line, undecided */
    unsigned held_len;
    bool started;                      /* the line has begun (held or emitted) */
    bool decided;                      /* its start is known: the rest flows through */
    bool tagged;                       /* the tag is out for this line */
};

void guest_line_init(struct guest_line *g, void (*emit)(void *ctx, char c), void *ctx,
                     const char *tag);
/* One byte the guest sent. */
void guest_line_put(struct guest_line *g, uint8_t byte);
/* The hypervisor is about to print a line of its own: a half-written guest
 * line is flushed and ended first, so the hypervisor's starts at a line
 * start; the guest's next byte starts a new line. */
void guest_line_end(struct guest_line *g);
