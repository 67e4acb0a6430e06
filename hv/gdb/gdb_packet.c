/* gdb_packet.c: GDB remote protocol framing, checksums, escapes, hex. See
 * gdb_packet.h; the unit tests in tests/unit/test_gdb_packet.c show its use. */
#include "gdb/gdb_packet.h"

#define ESCAPE      '}'
#define ESCAPE_XOR  0x20
#define INTERRUPT   0x03

static const char hex_digits[] = "0123456789abcdef";

uint8_t gdb_checksum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint8_t sum = 0;
    while (len--)
        sum = (uint8_t)(sum + *p++);
    return sum;
}

int gdb_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void gdb_rx_init(struct gdb_rx *rx)
{
    rx->state = RX_IDLE;
    rx->len = 0;
    rx->buf[0] = '\0';
}

static void start_packet(struct gdb_rx *rx)
{
    rx->state = RX_DATA;
    rx->len = 0;
    rx->sum = 0;
    rx->overflow = false;
    rx->bad_digit = false;
}

static void store(struct gdb_rx *rx, char c)
{
    if (rx->len < GDB_PACKET_MAX)
        rx->buf[rx->len++] = c;
    else
        rx->overflow = true;   /* keep reading to the '#': the stream stays in step */
}

/* Between packets: a packet starts, or a one-byte message arrives. */
static enum gdb_rx_event feed_idle(struct gdb_rx *rx, uint8_t byte)
{
    switch (byte) {
    case '$': start_packet(rx); return GDB_RX_NONE;
    case INTERRUPT: return GDB_RX_INTERRUPT;
    case '+': return GDB_RX_ACK;
    case '-': return GDB_RX_NACK;
    default: return GDB_RX_NONE;   /* line noise */
    }
}

/* The checksum's second digit: the packet is complete. */
static enum gdb_rx_event finish_packet(struct gdb_rx *rx, uint8_t byte)
{
    int low = gdb_hex_digit((char)byte);
    rx->state = RX_IDLE;
    if (rx->overflow) {
        rx->len = 0;
        rx->buf[0] = '\0';
        return GDB_RX_OVERFLOW;
    }
    rx->buf[rx->len] = '\0';
    if (rx->bad_digit || low < 0 || (uint8_t)(rx->given << 4 | low) != rx->sum)
        return GDB_RX_BAD_CHECKSUM;
    return GDB_RX_PACKET;
}

enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t byte)
{
    switch (rx->state) {
    case RX_IDLE:
        return feed_idle(rx, byte);
    case RX_DATA:
        if (byte == '$') {          /* GDB gave up on the last one: start again */
            start_packet(rx);
        } else if (byte == '#') {
            rx->state = RX_SUM_HIGH;
        } else {
            rx->sum = (uint8_t)(rx->sum + byte);
            if (byte == ESCAPE)
                rx->state = RX_ESCAPE;
            else
                store(rx, (char)byte);
        }
        return GDB_RX_NONE;
    case RX_ESCAPE:
        rx->sum = (uint8_t)(rx->sum + byte);
        store(rx, (char)(byte ^ ESCAPE_XOR));
        rx->state = RX_DATA;
        return GDB_RX_NONE;
    case RX_SUM_HIGH: {
        int high = gdb_hex_digit((char)byte);
        rx->bad_digit = high < 0;
        rx->given = (uint8_t)(high < 0 ? 0 : high);
        rx->state = RX_SUM_LOW;
        return GDB_RX_NONE;
    }
    case RX_SUM_LOW:
        return finish_packet(rx, byte);
    }
    gdb_rx_init(rx);
    return GDB_RX_NONE;
}

static bool must_escape(char c)
{
    return c == '$' || c == '#' || c == ESCAPE || c == '*';
}

size_t gdb_frame(char *out, size_t size, const char *payload, size_t len)
{
    size_t n = 0;
    uint8_t sum = 0;
    if (size < 4)
        return 0;
    out[n++] = '$';
    for (size_t i = 0; i < len; i++) {
        char c = payload[i];
        if (must_escape(c)) {
            if (n + 2 > size - 3)
                return 0;
            out[n++] = ESCAPE;
            c = (char)(c ^ ESCAPE_XOR);
            sum = (uint8_t)(sum + ESCAPE);
        } else if (n + 1 > size - 3) {
            return 0;
        }
        out[n++] = c;
        sum = (uint8_t)(sum + (uint8_t)c);
    }
    out[n++] = '#';
    out[n++] = hex_digits[sum >> 4];
    out[n++] = hex_digits[sum & 0xF];
    return n;
}

size_t gdb_hex_encode(char *out, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[p[i] >> 4];
        out[2 * i + 1] = hex_digits[p[i] & 0xF];
    }
    return 2 * n;
}

bool gdb_hex_decode(void *out, const char *hex, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        int high = gdb_hex_digit(hex[2 * i]);
        int low = high < 0 ? -1 : gdb_hex_digit(hex[2 * i + 1]);
        if (low < 0)
            return false;
        p[i] = (uint8_t)(high << 4 | low);
    }
    return true;
}

bool gdb_parse_hex(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    for (int d; (d = gdb_hex_digit(*s)) >= 0; s++, n++) {
        if (n == 16)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    if (n == 0)
        return false;
    *out = v;
    *p = s;
    return true;
}

size_t gdb_hex_le(char *out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        uint8_t b = (uint8_t)(value >> (8 * i));
        out[2 * i] = hex_digits[b >> 4];
        out[2 * i + 1] = hex_digits[b & 0xF];
    }
    return 2 * (size_t)bytes;
}
