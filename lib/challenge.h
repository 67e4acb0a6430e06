/*
 * challenge.h: the guest's answer to the grader's per-run challenge
 * (grading/README.md, "Forged lines"; judged by grading/judge.py,
 * challenge_errors). The guests the lab tests boot use it: the test kernels
 * (mbinfo, badguest, hostile) and the guest OS.
 *
 * The grader puts `challenge=<16 hex digits>` (a fresh random nonce N) on
 * the guest's command line. From then on the guest hashes every line it
 * sends to COM1 (serial.c's observer) with FNV-1a keyed by N: h = 0xcbf29ce484222325 ^ N, then for each
 * character c of the line, its newline included: h ^= c, h *= 0x100000001b3.
 * At the end of the line it writes h into the emulator's record of VM
 * exits: 64 one-byte reads, most significant bit first, from the master
 * PIC's mask register (port 0x21) for a 0 and the slave's (port 0xA1) for
 * a 1; the next line starts again from 0xcbf29ce484222325 ^ N.
 *
 * Why those reads: under the hypervisor every port but 0x61 exits (the
 * kit's I/O bitmaps, SDM 25.6.4), so each read is a VM exit with reason 30
 * whose qualification carries the port (SDM 28.2.1, table 28-5), and
 * Bochs logs each one. The hypervisor hands PIC reads to the chip, and a
 * read of the interrupt mask changes nothing, on the bare CPU either. The
 * grader then finds, in Bochs's record, the hash after each line the console
 * shows: a line printed by anything else than this guest running in VMX
 * non-root operation has no such record (port 0xE9 and COM1 are no proof).
 * Without `challenge=` nothing of this happens.
 */
#pragma once
#include <stdint.h>
#include "serial.h"
#include "x86io.h"

#define CHALLENGE_FNV_OFFSET 0xcbf29ce484222325ull
#define CHALLENGE_FNV_PRIME 0x100000001b3ull

static uint64_t challenge_nonce, challenge_hash;

static void challenge_emit(uint64_t h)
{
    for (int bit = 63; bit >= 0; bit--)
        (void)inb((h >> bit) & 1 ? 0xA1 : 0x21);
}

static void challenge_observe(char c)
{
    challenge_hash ^= (uint8_t)c;
    challenge_hash *= CHALLENGE_FNV_PRIME;
    if (c == '\n') {
        challenge_emit(challenge_hash);
        challenge_hash = CHALLENGE_FNV_OFFSET ^ challenge_nonce;
    }
}

static int challenge_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Look for challenge=<16 hex digits> as a word of the command line; when it
 * is there, every line printed from now on is answered. */
static inline void challenge_start(const char *cmdline)
{
    for (const char *p = cmdline; *p; p++) {
        static const char key[] = "challenge=";
        if (p != cmdline && p[-1] != ' ')
            continue;
        int i = 0;
        while (key[i] && p[i] == key[i])
            i++;
        if (key[i])
            continue;
        uint64_t n = 0;
        int digits = 0;
        for (const char *q = p + i; digits < 16 && challenge_hex(*q) >= 0; q++, digits++)
            n = n << 4 | (uint64_t)challenge_hex(*q);
        if (digits != 16)
            return;
        challenge_nonce = n;
        challenge_hash = CHALLENGE_FNV_OFFSET ^ n;
        serial_set_observer(challenge_observe);
        return;
    }
}
