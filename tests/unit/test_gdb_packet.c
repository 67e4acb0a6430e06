/*
 * test_gdb_packet.c: hv/gdb/gdb_packet.c, the framing of GDB's remote protocol:
 * packets as GDB sends them (taken from real sessions with gdb 13), escapes,
 * checksums, Ctrl-C, and everything a broken or hostile peer can send: bad
 * checksums, non-hex digits, overlong packets, noise between packets.
 */
#include "unit.h"
#include "gdb/gdb_packet.h"
#include <stdio.h>
#include <string.h>

static struct gdb_rx rx;

/* Feed a whole string; return the last event that was not GDB_RX_NONE. */
static enum gdb_rx_event feed(const char *s, size_t n)
{
    enum gdb_rx_event last = GDB_RX_NONE;
    for (size_t i = 0; i < n; i++) {
        enum gdb_rx_event e = gdb_rx_feed(&rx, (uint8_t)s[i]);
        if (e != GDB_RX_NONE)
            last = e;
    }
    return last;
}

static enum gdb_rx_event feed_str(const char *s)
{
    return feed(s, strlen(s));
}

static int setup(void **state)
{
    (void)state;
    gdb_rx_init(&rx);
    return 0;
}

static void test_checksum(void **state)
{
    (void)state;
    assert_int_equal(gdb_checksum("", 0), 0);
    assert_int_equal(gdb_checksum("g", 1), 0x67);
    assert_int_equal(gdb_checksum("OK", 2), 0x9a);
    /* modulo 256 */
    assert_int_equal(gdb_checksum("\xff\x02", 2), 0x01);
}

static void test_real_packets(void **state)
{
    (void)state;
    assert_int_equal(feed_str("$g#67"), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "g");
    assert_int_equal(feed_str("$?#3f"), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "?");
    assert_int_equal(feed_str("$vMustReplyEmpty#3a"), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "vMustReplyEmpty");
    assert_int_equal(feed_str("$m100000,40#1e"), GDB_RX_PACKET);
    assert_int_equal(rx.len, 10);
    /* upper-case checksum digits are accepted too */
    assert_int_equal(feed_str("$OK#9A"), GDB_RX_PACKET);
}

static void test_every_byte_completes_at_most_once(void **state)
{
    (void)state;
    const char *s = "$c#63";
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(gdb_rx_feed(&rx, (uint8_t)s[i]), GDB_RX_NONE);
    assert_int_equal(gdb_rx_feed(&rx, (uint8_t)s[4]), GDB_RX_PACKET);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    assert_int_equal(feed_str("$g#68"), GDB_RX_BAD_CHECKSUM);
    assert_int_equal(feed_str("$g#6z"), GDB_RX_BAD_CHECKSUM);   /* not hex */
    assert_int_equal(feed_str("$g#x7"), GDB_RX_BAD_CHECKSUM);
    /* and the stream is in step again */
    assert_int_equal(feed_str("$g#67"), GDB_RX_PACKET);
}

static void test_one_byte_messages(void **state)
{
    (void)state;
    assert_int_equal(feed_str("\x03"), GDB_RX_INTERRUPT);
    assert_int_equal(feed_str("+"), GDB_RX_ACK);
    assert_int_equal(feed_str("-"), GDB_RX_NACK);
    /* 0x03 inside a packet is data, not an interrupt */
    char p[] = "$\x03#03";
    assert_int_equal(feed(p, 5), GDB_RX_PACKET);
    assert_int_equal(rx.len, 1);
}

static void test_noise_between_packets_is_ignored(void **state)
{
    (void)state;
    assert_int_equal(feed_str("garbage\r\n\xff\x00"), GDB_RX_NONE);
    assert_int_equal(feed_str("junk$s#73"), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "s");
}

static void test_dollar_restarts_a_packet(void **state)
{
    (void)state;
    assert_int_equal(feed_str("$m10,4$g#67"), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "g");
}

static void test_escapes_are_decoded(void **state)
{
    (void)state;
    /* X packets carry binary: '}' then the byte XOR 0x20. "}]" is '}',
     * "}\x03" is '#'; the checksum covers the bytes as sent. */
    char p[64];
    const char payload[] = "a}]b}\x03";
    snprintf(p, sizeof(p), "$%s#%02x", payload, gdb_checksum(payload, strlen(payload)));
    assert_int_equal(feed_str(p), GDB_RX_PACKET);
    assert_string_equal(rx.buf, "a}b#");
}

static void test_overlong_packet_is_dropped(void **state)
{
    (void)state;
    static char big[GDB_PACKET_MAX + 100];
    memset(big, 'A', sizeof(big));
    enum gdb_rx_event e = GDB_RX_NONE;
    gdb_rx_feed(&rx, '$');
    for (size_t i = 0; i < sizeof(big); i++)
        assert_int_equal(e = gdb_rx_feed(&rx, (uint8_t)big[i]), GDB_RX_NONE);
    assert_int_equal(feed_str("#00"), GDB_RX_OVERFLOW);
    assert_int_equal(rx.len, 0);
    assert_int_equal(feed_str("$g#67"), GDB_RX_PACKET);
}

static void test_longest_packet_fits(void **state)
{
    (void)state;
    static char big[GDB_PACKET_MAX + 8];
    memset(big, 'a', GDB_PACKET_MAX);
    gdb_rx_feed(&rx, '$');
    feed(big, GDB_PACKET_MAX);
    char tail[4];
    snprintf(tail, sizeof(tail), "#%02x", gdb_checksum(big, GDB_PACKET_MAX));
    assert_int_equal(feed_str(tail), GDB_RX_PACKET);
    assert_int_equal(rx.len, GDB_PACKET_MAX);
}

static void test_frame(void **state)
{
    (void)state;
    char out[32];
    size_t n = gdb_frame(out, sizeof(out), "OK", 2);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "$OK#9a", 6);
    n = gdb_frame(out, sizeof(out), "", 0);
    assert_memory_equal(out, "$#00", n);
}

static void test_frame_escapes_and_round_trips(void **state)
{
    (void)state;
    const char payload[] = "a$b#c}d*e";
    char out[64];
    size_t n = gdb_frame(out, sizeof(out), payload, strlen(payload));
    assert_int_equal(n, 1 + strlen(payload) + 4 + 3);
    assert_int_equal(feed(out, n), GDB_RX_PACKET);
    assert_string_equal(rx.buf, payload);
}

static void test_frame_too_small(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(gdb_frame(out, sizeof(out), "12345", 5), 0);
    assert_int_equal(gdb_frame(out, sizeof(out), "1234", 4), 8);
    assert_int_equal(gdb_frame(out, sizeof(out), "12#", 3), 8);   /* "$12}\x03#xx" */
    assert_int_equal(gdb_frame(out, sizeof(out), "123#", 4), 0);  /* escaped: one too many */
    assert_int_equal(gdb_frame(out, 3, "", 0), 0);
}

static void test_hex(void **state)
{
    (void)state;
    char out[16];
    uint8_t bytes[4] = { 0x00, 0x7f, 0xca, 0xfe };
    assert_int_equal(gdb_hex_encode(out, bytes, 4), 8);
    assert_memory_equal(out, "007fcafe", 8);
    uint8_t back[4];
    assert_true(gdb_hex_decode(back, "007FCAFE", 4));
    assert_memory_equal(back, bytes, 4);
    assert_false(gdb_hex_decode(back, "00zz", 2));
    assert_false(gdb_hex_decode(back, "0", 1));     /* odd: stops at the NUL */
    assert_int_equal(gdb_hex_digit('g'), -1);
}

static void test_parse_hex(void **state)
{
    (void)state;
    const char *p = "ffffffff8000,40";
    uint64_t v;
    assert_true(gdb_parse_hex(&p, &v));
    assert_int_equal(v, 0xffffffff8000ull);
    assert_string_equal(p, ",40");
    p = ",40";
    assert_false(gdb_parse_hex(&p, &v));
    assert_string_equal(p, ",40");
    p = "12345678123456781";   /* 17 digits: more than 64 bits */
    assert_false(gdb_parse_hex(&p, &v));
    p = "ffffffffffffffff";
    assert_true(gdb_parse_hex(&p, &v));
    assert_true(v == ~0ull);
}

static void test_hex_le(void **state)
{
    (void)state;
    char out[17] = { 0 };
    assert_int_equal(gdb_hex_le(out, 0x100000, 4), 8);
    assert_string_equal(out, "00001000");
    assert_int_equal(gdb_hex_le(out, 0x1122334455667788ull, 8), 16);
    assert_string_equal(out, "8877665544332211");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_checksum, setup),
        cmocka_unit_test_setup(test_real_packets, setup),
        cmocka_unit_test_setup(test_every_byte_completes_at_most_once, setup),
        cmocka_unit_test_setup(test_bad_checksum, setup),
        cmocka_unit_test_setup(test_one_byte_messages, setup),
        cmocka_unit_test_setup(test_noise_between_packets_is_ignored, setup),
        cmocka_unit_test_setup(test_dollar_restarts_a_packet, setup),
        cmocka_unit_test_setup(test_escapes_are_decoded, setup),
        cmocka_unit_test_setup(test_overlong_packet_is_dropped, setup),
        cmocka_unit_test_setup(test_longest_packet_fits, setup),
        cmocka_unit_test_setup(test_frame, setup),
        cmocka_unit_test_setup(test_frame_escapes_and_round_trips, setup),
        cmocka_unit_test_setup(test_frame_too_small, setup),
        cmocka_unit_test_setup(test_hex, setup),
        cmocka_unit_test_setup(test_parse_hex, setup),
        cmocka_unit_test_setup(test_hex_le, setup),
    };
    return RUN_UNIT_TESTS("gdb_packet", tests);
}
