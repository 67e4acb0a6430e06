/*
 * gdb_stub.h: the GDB remote stub's command loop, the same for both targets
 * (64-bit, ring 0, interrupts off).
 *
 * A target (gdb_hv.c: the hypervisor itself; gdb_guest.c: its guest) says
 * how to read and write registers and memory; the stub speaks the protocol
 * (GDB manual, appendix E "GDB Remote Serial Protocol") over COM2 and keeps
 * the software breakpoints. When the target stops, it calls gdb_stub_stop,
 * which serves gdb until gdb resumes the target; while the target runs, it
 * calls gdb_stub_poll at safe points to notice Ctrl-C.
 *
 * Nothing gdb sends can stop the machine: bad packets are refused, bad
 * addresses get an error reply, and a gdb that goes away is noticed, its
 * breakpoints are removed and the machine runs on. A UART cannot tell that
 * the other side hung up: the runner can (tools/runner/gdbrelay.py), and
 * sends the detach packet gdb would have sent. A stream of zero bytes, which
 * gdb never sends, also counts as a hang-up. Another gdb may connect later
 * (`target remote` again): the machine stops for it as for the first.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Signal numbers in stop replies (GDB's own numbering, "Stop Reply Packets"). */
enum { GDB_SIGINT = 2, GDB_SIGTRAP = 5 };

struct gdb_target {
    const char *xml;    /* target.xml: the register layout, one per connection */
    /* 'g': the registers in the order of xml, little-endian; returns the byte
     * count (it may be less than xml lists: the rest show as unavailable). */
    size_t (*read_registers)(uint8_t *buf, size_t size);
    /* 'G': as many registers as len covers. */
    void (*write_registers)(const uint8_t *buf, size_t len);
    /* 'm', 'M': false if any byte of [addr, addr + len) is not accessible. */
    bool (*read_memory)(uint64_t addr, void *buf, size_t len);
    bool (*write_memory)(uint64_t addr, const void *buf, size_t len);
    /* "c ADDR", "s ADDR": resume at ADDR. */
    void (*set_pc)(uint64_t pc);
    /* qRcmd: a monitor command; its output goes through printf. */
    void (*monitor)(const char *command);
    /* Z1-Z4/z1-z4: a hardware breakpoint or watchpoint of len bytes at addr,
     * on or off; false if no slot is free or the CPU cannot watch that (or
     * NULL: the target has none). */
    bool (*hw_point)(unsigned type, uint64_t addr, unsigned len, bool on);
};

/* The Z packet types the target's hw_point takes ("Packets": Z1-Z4). */
enum { GDB_HW_EXEC = 1, GDB_HW_WRITE = 2, GDB_HW_READ = 3, GDB_HW_ACCESS = 4 };

enum gdb_resume { GDB_RESUME_CONTINUE, GDB_RESUME_STEP };

/* Start the stub for one target (COM2 set up). */
void gdb_stub_init(const struct gdb_target *target);

/* The target stopped with signal sig (swbreak: on one of the stub's
 * breakpoints). Serve gdb until it resumes the target, and say how. After
 * gdb has gone, returns GDB_RESUME_CONTINUE at once. */
enum gdb_resume gdb_stub_stop(int sig, bool swbreak);

/* The TSC ticks the target has spent stopped in gdb_stub_stop since the
 * last call (a breakpoint in the hypervisor's code, a stop at an exit). */
uint64_t gdb_stub_take_held(void);

/* While the target runs: read what gdb sent, without waiting. Returns the
 * signal to stop with, or 0: GDB_SIGINT when gdb asked (Ctrl-C); after a
 * gdb has gone, GDB_SIGTRAP when another one connects (its first packet is
 * served as soon as the target stops). */
int gdb_stub_poll(void);

/* Is a gdb there now (not detached, not hung up)? */
bool gdb_stub_connected(void);

/* The next stop is a watchpoint's: the data breakpoint of this type
 * (GDB_HW_WRITE or GDB_HW_ACCESS) at addr fired. The stop reply says so
 * ("watch:ADDR;" or "awatch:ADDR;"), which is how gdb learns which one. */
void gdb_stub_watch_hit(unsigned type, uint64_t addr);

/* Is addr one of the stub's inserted breakpoints? */
bool gdb_stub_is_breakpoint(uint64_t addr);

/* Breakpoints gdb set where memory was not accessible yet (a guest page
 * not mapped yet): how many, and try them again. */
unsigned gdb_stub_pending_breakpoints(void);
void gdb_stub_retry_breakpoints(void);
