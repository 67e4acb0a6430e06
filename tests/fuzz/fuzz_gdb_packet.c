/*
 * fuzz_gdb_packet.c: hv/gdb/gdb_packet.c, the framing of GDB's remote protocol,
 * on an arbitrary byte stream from the serial line (the peer on COM2 may
 * be anything, not only gdb).
 *
 * The stream is fed to the receiver one byte at a time. Checked:
 *   - every payload fits the buffer: len <= GDB_PACKET_MAX, NUL-terminated;
 *   - framing round trip: a payload framed by gdb_frame and fed to a fresh
 *     receiver comes back as one good packet with the same bytes;
 *   - gdb_frame writes nothing past the size it is given, and says 0 when
 *     the frame does not fit;
 *   - hex: gdb_parse_hex moves past at most 16 digits; what gdb_hex_decode
 *     accepts, gdb_hex_encode gives back (in lowercase).
 */
#include <ctype.h>
#include "fuzz.h"
#include "gdb/gdb_packet.h"

static struct gdb_rx rx, echo;

static void check_round_trip(const char *payload, size_t len)
{
    size_t room = 2 * len + 4;       /* every byte escaped, '$', '#' and two digits */
    char *framed = malloc(room);
    size_t n = gdb_frame(framed, room, payload, len);
    FUZZ_CHECK(n >= len + 4 && n <= room, "a %zu-byte payload framed in %zu bytes", len, n);
    /* One byte short of the frame: refused, and nothing written past it. */
    char *tight = malloc(n - 1);
    FUZZ_CHECK(gdb_frame(tight, n - 1, payload, len) == 0, "a %zu-byte frame fit in %zu bytes", n, n - 1);
    free(tight);

    gdb_rx_init(&echo);
    for (size_t i = 0; i < n; i++) {
        enum gdb_rx_event ev = gdb_rx_feed(&echo, (uint8_t)framed[i]);
        FUZZ_CHECK(ev == (i + 1 == n ? GDB_RX_PACKET : GDB_RX_NONE),
                   "byte %zu of a %zu-byte frame gave event %d", i, n, (int)ev);
    }
    FUZZ_CHECK(echo.len == len && memcmp(echo.buf, payload, len) == 0,
               "a %zu-byte payload came back as %zu bytes", len, echo.len);
    free(framed);
}

static void check_hex(const char *payload, size_t len)
{
    const char *p = payload;
    uint64_t value;
    if (gdb_parse_hex(&p, &value))
        FUZZ_CHECK(p > payload && p - payload <= 16, "a hex number of %td digits", p - payload);
    else
        FUZZ_CHECK(p == payload, "a failed parse moved the pointer");

    size_t n = len / 2;
    uint8_t *bytes = malloc(n + 1);
    if (gdb_hex_decode(bytes, payload, n)) {
        char *again = malloc(2 * n + 1);
        FUZZ_CHECK(gdb_hex_encode(again, bytes, n) == 2 * n, "hex of %zu bytes", n);
        for (size_t i = 0; i < 2 * n; i++)
            FUZZ_CHECK(again[i] == tolower((unsigned char)payload[i]), "hex digit %zu changed", i);
        free(again);
    }
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gdb_rx_init(&rx);
    for (size_t i = 0; i < size; i++) {
        enum gdb_rx_event ev = gdb_rx_feed(&rx, data[i]);
        FUZZ_CHECK(rx.len <= GDB_PACKET_MAX, "a payload of %zu bytes", rx.len);
        if (ev != GDB_RX_PACKET && ev != GDB_RX_BAD_CHECKSUM)
            continue;
        FUZZ_CHECK(rx.buf[rx.len] == '\0', "a payload not NUL-terminated");
        if (ev == GDB_RX_PACKET) {
            /* Copied: the round trip reuses nothing of rx. */
            char *payload = fuzz_copy(rx.buf, rx.len, 1);
            check_round_trip(payload, rx.len);
            check_hex(payload, rx.len);
            free(payload);
        }
    }
    return 0;
}
