/*
 * gdb_packet.h: the framing of GDB's remote serial protocol (a pure module:
 * any mode, and the host unit tests in tests/unit/test_gdb_packet.c).
 *
 * GDB talks to a stub in packets (GDB manual, "Overview" of appendix E,
 * "GDB Remote Serial Protocol"):
 *
 *     $<payload>#<two hex digits: the payload's bytes summed modulo 256>
 *
 * The receiver answers '+' (good checksum) or '-' (resend). In the payload,
 * '}' escapes the next byte, which is XORed with 0x20 ("Binary Data"); '$',
 * '#', '}' and '*' (the run-length marker) are always sent escaped. Between
 * packets the byte 0x03 is an interrupt: the user pressed Ctrl-C
 * ("Interrupts").
 *
 * The receiver is a state machine fed one byte at a time, so it can sit
 * behind a polled UART and never blocks. Nothing a peer sends can make it
 * write outside its buffer: a packet longer than GDB_PACKET_MAX is dropped
 * and reported, a bad checksum or a non-hex checksum digit is reported, and
 * bytes outside packets are ignored.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest payload, after unescaping. qSupported advertises it as
 * PacketSize (in hex), so GDB never sends more. */
#define GDB_PACKET_MAX 4096

enum gdb_rx_event {
    GDB_RX_NONE,          /* nothing complete yet */
    GDB_RX_PACKET,        /* rx->buf holds a payload with a good checksum: answer '+' */
    GDB_RX_BAD_CHECKSUM,  /* a packet whose checksum is wrong or not hex: answer '-' */
    GDB_RX_OVERFLOW,      /* a packet longer than GDB_PACKET_MAX, dropped: answer '-' */
    GDB_RX_INTERRUPT,     /* 0x03 between packets: stop the target */
    GDB_RX_ACK,           /* '+' between packets */
    GDB_RX_NACK,          /* '-' between packets: resend the last reply */
};

enum gdb_rx_state { RX_IDLE, RX_DATA, RX_ESCAPE, RX_SUM_HIGH, RX_SUM_LOW };

struct gdb_rx {
    enum gdb_rx_state state;
    char buf[GDB_PACKET_MAX + 1];   /* the payload, unescaped, NUL-terminated */
    size_t len;
    uint8_t sum;                    /* of the bytes as sent (escaped) */
    uint8_t given;                  /* the checksum's high digit */
    bool overflow;
    bool bad_digit;
};

void gdb_rx_init(struct gdb_rx *rx);

/* Feed one received byte; returns what it completed. After GDB_RX_PACKET
 * the payload is rx->buf[0..rx->len) (NUL-terminated), valid until the next
 * call. */
enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t byte);

/* Frame payload[0..len) as "$...#xx" into out[0..size), escaping what must
 * be escaped. Returns the framed length, or 0 if it does not fit. */
size_t gdb_frame(char *out, size_t size, const char *payload, size_t len);

/* The checksum of data[0..len): the sum of its bytes modulo 256. */
uint8_t gdb_checksum(const void *data, size_t len);

/* The value of a hex digit, or -1. */
int gdb_hex_digit(char c);

/* Write n bytes as 2n lowercase hex digits (not NUL-terminated); returns 2n. */
size_t gdb_hex_encode(char *out, const void *data, size_t n);

/* Read n bytes from 2n hex digits; false if any is not a hex digit (out may
 * then be partly written). */
bool gdb_hex_decode(void *out, const char *hex, size_t n);

/* Parse a hex number of 1-16 digits at *p and move *p past it; false (and *p
 * unchanged) if there is no digit or more than 16. */
bool gdb_parse_hex(const char **p, uint64_t *out);

/* A register's value in the target's byte order (little-endian) as 2 * bytes
 * hex digits, the way 'g' and 'p' replies carry it. Returns 2 * bytes. */
size_t gdb_hex_le(char *out, uint64_t value, unsigned bytes);
