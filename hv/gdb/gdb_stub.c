/*
 * gdb_stub.c: the GDB remote stub's command loop (64-bit, ring 0,
 * interrupts off). See gdb_stub.h. The packets served, with the sections of
 * the GDB manual's appendix E that define them:
 *
 *   qSupported, qXfer:features:read (target.xml), qAttached, qRcmd
 *                                  "General Query Packets"; "Target Descriptions"
 *   ?  g  G  m  M  c  s  D  k  H  "Packets"
 *   Z0 / z0 (software breakpoints), Z1 / z1 (hardware breakpoints), Z2, Z4
 *           (write and access watchpoints; Z1-Z4 where the target has them:
 *           gdb_hwbreak.c) "Packets": insert/remove breakpoint
 *   T05 / S02 stop replies         "Stop Reply Packets"
 *   O (monitor output)             "Stop Reply Packets" (console output)
 * and an empty reply to everything else, which tells gdb "not supported"
 * (vMustReplyEmpty, vCont?, X, p, P, Z1-Z4, ...), so it falls back to the
 * packets above.
 */
#include "gdb/gdb_stub.h"
#include "gdb/gdb_packet.h"
#include "gdb/gdb_uart.h"
#include "fmt.h"
#include "printf.h"
#include "string.h"
#include "x86/x86.h"

/* What we tell gdb in qSupported, in hex: less than GDB_PACKET_MAX so that
 * an M packet with its header always fits. */
#define PACKET_SIZE_ADVERTISED 0xF00
#define MAX_BREAKPOINTS 64
#define INT3 0xCC
/* Older Bochs versions read end-of-file from a closed socket as a zero byte,
 * again and again; gdb never sends zero bytes (no binary packets: X is
 * refused), so a long run of them means the line is dead. */
#define HANGUP_ZEROS 64
#define MONITOR_CHUNK 256          /* text bytes per O packet */

struct breakpoint {
    uint64_t addr;
    uint8_t saved;                 /* the byte the INT3 replaced */
    bool used, inserted;
    bool hardware;                 /* in a debug register (the target's), not an INT3 */
};

static const struct gdb_target *target;
static struct gdb_rx rx;
static char reply[GDB_PACKET_MAX + 1];
static char framed[2 * GDB_PACKET_MAX + 8];
static size_t framed_len;          /* the last packet sent, for a '-' */
static uint8_t scratch[GDB_PACKET_MAX / 2];
static struct breakpoint breakpoints[MAX_BREAKPOINTS];
static unsigned zeros;             /* consecutive zero bytes received */
static bool gone;                  /* gdb detached or hung up: the stub is silent */
static bool running;               /* gdb resumed the target and waits for a stop reply */
static bool pending;               /* rx.buf holds a new gdb's first packet, not served yet */
static char watch_reason[40];      /* "watch:ADDR;": the stop is a watchpoint's */
static uint64_t held_tsc;          /* TSC ticks spent stopped, not yet taken */

void gdb_stub_init(const struct gdb_target *t)
{
    target = t;
    gdb_rx_init(&rx);
    gdb_uart_init();
}

bool gdb_stub_connected(void)
{
    return target && !gone;
}

/* ---- sending ---- */

static void send_framed(void)
{
    for (size_t i = 0; i < framed_len; i++)
        gdb_uart_putc((uint8_t)framed[i]);
}

static void send_packet(const char *payload, size_t len)
{
    framed_len = gdb_frame(framed, sizeof(framed), payload, len);
    send_framed();
}

static void send_string(const char *s)
{
    send_packet(s, strlen(s));
}

/* ---- breakpoints: an INT3 byte written over the instruction's first ---- */

static struct breakpoint *find_breakpoint(uint64_t addr)
{
    for (unsigned i = 0; i < MAX_BREAKPOINTS; i++)
        if (breakpoints[i].used && breakpoints[i].addr == addr)
            return &breakpoints[i];
    return NULL;
}

bool gdb_stub_is_breakpoint(uint64_t addr)
{
    struct breakpoint *b = find_breakpoint(addr);
    return b && b->inserted;
}

static bool insert(struct breakpoint *b)
{
    uint8_t int3 = INT3;
    if (b->inserted)
        return true;
    if (!target->read_memory(b->addr, &b->saved, 1) || !target->write_memory(b->addr, &int3, 1))
        return false;
    b->inserted = true;
    return true;
}

static void remove(struct breakpoint *b)
{
    if (b->hardware)
        target->hw_point(GDB_HW_EXEC, b->addr, 1, false);
    else if (b->inserted)
        target->write_memory(b->addr, &b->saved, 1);
    b->used = b->inserted = b->hardware = false;
}

static void remove_all_breakpoints(void)
{
    for (unsigned i = 0; i < MAX_BREAKPOINTS; i++)
        if (breakpoints[i].used)
            remove(&breakpoints[i]);
}

unsigned gdb_stub_pending_breakpoints(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MAX_BREAKPOINTS; i++)
        n += breakpoints[i].used && !breakpoints[i].inserted;
    return n;
}

void gdb_stub_retry_breakpoints(void)
{
    for (unsigned i = 0; i < MAX_BREAKPOINTS; i++)
        if (breakpoints[i].used && !breakpoints[i].inserted)
            insert(&breakpoints[i]);
}

/* Z0,addr,kind (hardware false) and Z1 (true). A software breakpoint where
 * memory cannot be written yet (a guest page its tables do not map yet)
 * takes a hardware slot instead, if the target has one free; failing that,
 * it is kept and tried again at every VM exit (gdb_guest.c). */
static struct breakpoint *free_breakpoint(void)
{
    for (unsigned i = 0; i < MAX_BREAKPOINTS; i++)
        if (!breakpoints[i].used)
            return &breakpoints[i];
    return NULL;
}

static const char *set_breakpoint(uint64_t addr, bool hardware)
{
    if (find_breakpoint(addr))
        return "OK";
    if (hardware && !target->hw_point)
        return "";         /* not supported: gdb says so */
    struct breakpoint *b = free_breakpoint();
    if (!b)
        return "E28";      /* ENOSPC */
    *b = (struct breakpoint){ .addr = addr, .used = true };
    if (!hardware && insert(b))
        return "OK";       /* an INT3 in place */
    if (target->hw_point && target->hw_point(GDB_HW_EXEC, addr, 1, true)) {
        b->hardware = b->inserted = true;
        if (!hardware)
            printf("hv: gdb: breakpoint at 0x%lx: its page is not mapped yet, so it takes a "
                   "debug register\n", addr);
        return "OK";
    }
    if (hardware) {
        b->used = false;
        return "E28";      /* the four debug registers are taken */
    }
    return "OK";           /* pending: inserted at a later exit */
}

static const char *clear_breakpoint(uint64_t addr)
{
    struct breakpoint *b = find_breakpoint(addr);
    if (b)
        remove(b);
    return "OK";
}

/* ---- monitor output: printf, redirected into O packets ---- */

static struct {
    char text[MONITOR_CHUNK];
    size_t len;
} out;

static void flush_output(void)
{
    if (!out.len)
        return;
    reply[0] = 'O';
    size_t n = 1 + gdb_hex_encode(reply + 1, out.text, out.len);
    send_packet(reply, n);
    out.len = 0;
}

static void output_putc(void *ctx, char c)
{
    (void)ctx;
    out.text[out.len++] = c;
    if (out.len == MONITOR_CHUNK)
        flush_output();
}

/* qRcmd,<hex>: the command is hex-encoded; its output goes back as O
 * packets, then OK ("General Query Packets", qRcmd). */
static void run_monitor(const char *hex)
{
    static char command[GDB_PACKET_MAX / 2 + 1];
    size_t n = strlen(hex) / 2;
    if (!gdb_hex_decode(command, hex, n)) {
        send_string("E01");
        return;
    }
    command[n] = '\0';
    printf_redirect(output_putc, NULL);
    target->monitor(command);
    printf_redirect(NULL, NULL);
    flush_output();
    send_string("OK");
}

/* ---- the packets ---- */

/* "addr,len" at *p. */
static bool parse_range(const char **p, uint64_t *addr, uint64_t *len)
{
    if (!gdb_parse_hex(p, addr) || **p != ',')
        return false;
    (*p)++;
    return gdb_parse_hex(p, len);
}

static void read_memory(const char *args)
{
    uint64_t addr, len;
    if (!parse_range(&args, &addr, &len) || *args) {
        send_string("E01");
        return;
    }
    if (len > sizeof(scratch))
        len = sizeof(scratch);   /* gdb asks again for the rest */
    if (!target->read_memory(addr, scratch, len)) {
        send_string("E14");      /* EFAULT */
        return;
    }
    send_packet(reply, gdb_hex_encode(reply, scratch, len));
}

static void write_memory(const char *args)
{
    uint64_t addr, len;
    if (!parse_range(&args, &addr, &len) || *args != ':' || len > sizeof(scratch) ||
        strlen(args + 1) != 2 * len || !gdb_hex_decode(scratch, args + 1, len)) {
        send_string("E01");
        return;
    }
    send_string(target->write_memory(addr, scratch, len) ? "OK" : "E14");
}

static void read_registers(void)
{
    size_t n = target->read_registers(scratch, sizeof(scratch));
    send_packet(reply, gdb_hex_encode(reply, scratch, n));
}

static void write_registers(const char *hex)
{
    size_t n = strlen(hex) / 2;
    if (n > sizeof(scratch) || !gdb_hex_decode(scratch, hex, n)) {
        send_string("E01");
        return;
    }
    target->write_registers(scratch, n);
    send_string("OK");
}

/* qXfer:features:read:target.xml:offset,length -> "m<data>" or "l<data>" (last). */
static void read_target_xml(const char *args)
{
    static const char annex[] = "target.xml:";
    uint64_t offset, len;
    if (strncmp(args, annex, sizeof(annex) - 1)) {
        send_string("E00");
        return;
    }
    args += sizeof(annex) - 1;
    if (!parse_range(&args, &offset, &len)) {
        send_string("E01");
        return;
    }
    size_t total = strlen(target->xml);
    if (offset > total)
        offset = total;
    if (len > GDB_PACKET_MAX / 2)
        len = GDB_PACKET_MAX / 2;   /* escaping may double it in the frame */
    size_t n = total - offset < len ? total - offset : len;
    reply[0] = offset + n < total ? 'm' : 'l';
    memcpy(reply + 1, target->xml + offset, n);
    send_packet(reply, n + 1);
}

static void query(const char *q)
{
    if (!strncmp(q, "qSupported", 10)) {
        snprintf(reply, sizeof(reply), "PacketSize=%x;qXfer:features:read+;swbreak+",
                 PACKET_SIZE_ADVERTISED);
        send_string(reply);
    } else if (!strncmp(q, "qXfer:features:read:", 20)) {
        read_target_xml(q + 20);
    } else if (!strncmp(q, "qAttached", 9)) {
        send_string("1");      /* attached to a running machine: detach, not kill */
    } else if (!strncmp(q, "qRcmd,", 6)) {
        run_monitor(q + 6);
    } else {
        send_string("");
    }
}

/* The resume packets' optional address: "c", "cADDR". */
static bool resume_at(const char *args)
{
    uint64_t pc;
    if (!*args)
        return true;
    if (!gdb_parse_hex(&args, &pc) || *args)
        return false;
    target->set_pc(pc);
    return true;
}

static void say_goodbye(const char *why)
{
    remove_all_breakpoints();
    gone = true;
    running = false;
    printf("hv: gdb: %s: breakpoints removed, the machine runs on without the debugger\n", why);
}

static void send_stop_reply(int sig, bool swbreak)
{
    snprintf(reply, sizeof(reply), "T%02x%s%s", sig, swbreak ? "swbreak:;" : "", watch_reason);
    send_string(reply);
}

void gdb_stub_watch_hit(unsigned type, uint64_t addr)
{
    snprintf(watch_reason, sizeof(watch_reason), "%swatch:%lx;", type == GDB_HW_ACCESS ? "a" : "",
             addr);
}

/* Z2-Z4, z2-z4: watchpoints, in the target's debug registers. gdb's rwatch
 * (type 3, reads only) has no x86 equivalent: refused, and gdb says so. */
static const char *set_watchpoint(unsigned type, uint64_t addr, uint64_t len, bool on)
{
    if (!target->hw_point || type == GDB_HW_READ)
        return "";
    if (target->hw_point(type, addr, (unsigned)len, on))
        return "OK";
    return on ? "E28" : "OK";   /* no slot, or not 1, 2 or 4 aligned bytes */
}

/* One packet. Returns true (and *how) if it resumes the target. */
static bool serve(const char *p, int sig, bool swbreak, enum gdb_resume *how)
{
    uint64_t type, addr, kind;
    const char *a = p + 1;
    switch (p[0]) {
    case '?':
        send_stop_reply(sig, swbreak);
        return false;
    case 'g': read_registers(); return false;
    case 'G': write_registers(a); return false;
    case 'm': read_memory(a); return false;
    case 'M': write_memory(a); return false;
    case 'H': send_string("OK"); return false;   /* one thread: any is fine */
    case 'q': query(p); return false;
    case 'c':
    case 's':
        if (!resume_at(a)) {
            send_string("E01");
            return false;
        }
        *how = p[0] == 's' ? GDB_RESUME_STEP : GDB_RESUME_CONTINUE;
        running = true;
        return true;
    case 'D':
        send_string("OK");
        say_goodbye("gdb detached");
        *how = GDB_RESUME_CONTINUE;
        return true;
    case 'k':
        say_goodbye("gdb killed the session");
        *how = GDB_RESUME_CONTINUE;
        return true;
    case 'Z':
    case 'z':
        if (!gdb_parse_hex(&a, &type) || *a++ != ',' || !gdb_parse_hex(&a, &addr) ||
            *a++ != ',' || !gdb_parse_hex(&a, &kind)) {
            send_string("E01");
        } else if (type >= 2 && type <= 4) {
            send_string(set_watchpoint((unsigned)type, addr, kind, p[0] == 'Z'));
        } else if (type > 4) {
            send_string("");
        } else {
            send_string(p[0] == 'Z' ? set_breakpoint(addr, type == 1) : clear_breakpoint(addr));
        }
        return false;
    case 'v':
        if (!strncmp(p, "vKill", 5)) {
            send_string("OK");
            say_goodbye("gdb killed the session");
            *how = GDB_RESUME_CONTINUE;
            return true;
        }
        send_string("");
        return false;
    default:
        send_string("");
        return false;
    }
}

/* Count zero bytes: enough in a row means gdb's socket was closed. */
static bool hung_up(int c)
{
    zeros = c == 0 ? zeros + 1 : 0;
    if (zeros < HANGUP_ZEROS)
        return false;
    say_goodbye("gdb hung up (COM2 reads end-of-file)");
    return true;
}

static enum gdb_resume serve_until_resumed(int sig, bool swbreak)
{
    enum gdb_resume how = GDB_RESUME_CONTINUE;
    if (gone)
        return how;
    if (running)          /* gdb waits for this: answer its c or s */
        send_stop_reply(sig, swbreak);
    running = false;
    watch_reason[0] = 0;  /* told once: a later '?' is a plain stop */
    if (pending) {        /* a gdb that connected while the target ran */
        pending = false;
        if (serve(rx.buf, sig, swbreak, &how))
            return how;
    }
    for (;;) {
        int c = gdb_uart_getc();
        if (c < 0)
            continue;
        if (hung_up(c))
            return GDB_RESUME_CONTINUE;
        switch (gdb_rx_feed(&rx, (uint8_t)c)) {
        case GDB_RX_PACKET:
            gdb_uart_putc('+');
            if (serve(rx.buf, sig, swbreak, &how))
                return how;
            break;
        case GDB_RX_BAD_CHECKSUM:
        case GDB_RX_OVERFLOW:
            gdb_uart_putc('-');   /* gdb sends it again */
            break;
        case GDB_RX_NACK:
            send_framed();
            break;
        default:                  /* acks; Ctrl-C while already stopped */
            break;
        }
    }
}

enum gdb_resume gdb_stub_stop(int sig, bool swbreak)
{
    uint64_t from = rdtsc();
    enum gdb_resume how = serve_until_resumed(sig, swbreak);
    held_tsc += rdtsc() - from;
    return how;
}

uint64_t gdb_stub_take_held(void)
{
    uint64_t held = held_tsc;
    held_tsc = 0;
    return held;
}

/* After a goodbye: a packet on COM2 is a new gdb's (`target remote` again),
 * except the detach the runner sends for a gdb that had already detached. */
static int poll_for_new_gdb(void)
{
    for (int n = 0; n < 16; n++) {   /* a bounded bite per safe point */
        int c = gdb_uart_getc();
        if (c < 0)
            return 0;
        if (gdb_rx_feed(&rx, (uint8_t)c) != GDB_RX_PACKET || rx.buf[0] == 'D')
            continue;
        gdb_uart_putc('+');
        gone = false;
        pending = true;
        zeros = 0;
        printf("hv: gdb: a debugger connected: the machine stops for it\n");
        return GDB_SIGTRAP;
    }
    return 0;
}

int gdb_stub_poll(void)
{
    if (gone)
        return poll_for_new_gdb();
    for (int n = 0; n < 16; n++) {   /* a bounded bite per safe point */
        int c = gdb_uart_getc();
        if (c < 0 || hung_up(c))
            return 0;
        switch (gdb_rx_feed(&rx, (uint8_t)c)) {
        case GDB_RX_INTERRUPT:
            return GDB_SIGINT;
        case GDB_RX_PACKET:           /* gdb waits for a stop: only D makes sense now */
            gdb_uart_putc('+');
            if (rx.buf[0] == 'D') {
                send_string("OK");
                say_goodbye("gdb detached");
            }
            return 0;
        default:
            break;
        }
    }
    return 0;
}
