/*
 * fuzz_bt_block.c: hv/bt/bt_block.c, the binary translator's block
 * translation, on arbitrary guest code (what a guest kernel may hold in
 * any page it runs).
 *
 * Input: the block's offset in its page (2 bytes, 12 bits taken), its
 * instruction cap (1 byte), the translation cache's room (2 bytes, up to
 * 8 KiB), then the guest's bytes. The output buffer is a heap block of
 * exactly that room, so AddressSanitizer sees a write one byte past it.
 * Checked:
 *   - the translator finishes (libFuzzer's timeout) and never tries to
 *     write past the room it asked for (the emitter's overflow flag): its
 *     reservations (BT_INSN_MAX, BT_TAIL_MAX) hold for every input;
 *   - no room for a block: BT_NO_ROOM, and nothing written;
 *   - the map: entries from offset 0, strictly increasing, inside the
 *     translation, so that they cover every emitted byte; instructions in
 *     guest order, each where one decodes in the input (the last may be
 *     the undecodable one that ends the block), on the block's page, none
 *     translated into more than BT_INSN_MAX bytes; then the slots, each a
 *     well-formed unchained slot; the block no longer than its page (and
 *     one instruction straddling it); bt_block_find finds each entry from
 *     its first and last byte.
 */
#include "fuzz.h"
#include "bt/bt_block.h"
#include "bt/bt_chain.h"
#include "bt/bt_classify.h"
#include "bt/bt_lookup.h"

#define GUEST_BASE 0xC0100000u
#define TC_ADDRESS 0xFC000000u

static void check_map(const struct bt_block *b, const uint8_t *tc, const uint8_t *code, size_t len)
{
    uint32_t page_end = (b->guest_eip & ~0xFFFu) + 0x1000;
    FUZZ_CHECK(b->entries >= 1 && b->map[0].tc_offset == 0, "%u entries, the first at %u", b->entries,
               b->entries ? b->map[0].tc_offset : 0);
    FUZZ_CHECK(b->guest_end >= b->guest_eip && b->guest_end <= page_end + X86_MAX_LENGTH - 1,
               "the block runs from 0x%x to 0x%x", b->guest_eip, b->guest_end);
    for (unsigned i = 0; i < b->entries; i++) {
        const struct bt_map_entry *m = &b->map[i];
        uint32_t end = i + 1 < b->entries ? b->map[i + 1].tc_offset : b->tc_size;
        FUZZ_CHECK(m->tc_offset < end && end <= b->tc_size, "entry %u covers [%u, %u) of %u", i,
                   m->tc_offset, end, b->tc_size);
        FUZZ_CHECK(bt_block_find(b, m->tc_offset) == m && bt_block_find(b, end - 1) == m,
                   "bt_block_find does not find entry %u", i);
        if (m->kind == BT_MAP_SLOT) {
            uint32_t at = b->tc_address + m->tc_offset;
            /* A branch site's slot has its learn exit after it (bt_lookup.h). */
            const struct bt_map_entry *branch = i ? &b->map[i - 1] : NULL;
            bool in_site = branch && branch->kind == BT_MAP_INSN && branch->action == BT_INDIRECT;
            if (in_site) {                     /* the learn exit names L, which parses */
                uint32_t learn = bt_get32(tc + m->tc_offset + BT_SLOT_SIZE + 29);
                struct bt_site_layout site;
                FUZZ_CHECK(learn > b->tc_address + branch->tc_offset && learn < at &&
                           bt_site_parse(tc + (learn - b->tc_address), learn, b->tc_size - (learn - b->tc_address),
                                         &site) && site.slot == at, "entry %u: a branch site that does not parse", i);
            }
            FUZZ_CHECK(end - m->tc_offset == BT_SLOT_SIZE + (in_site ? BT_EXIT_STUB_SIZE : 0) &&
                       bt_is_slot(tc + m->tc_offset, at) && bt_chained_to(tc + m->tc_offset, at) == at + 5,
                       "entry %u: not an unchained slot", i);
            /* A taken side's slot: its Jcc (or LOOP's JMP) rel32, in the block
             * before it, aims at it unchained (bt_block_chain). */
            FUZZ_CHECK(!m->via || (m->via >= 2 && m->via + 4u <= m->tc_offset &&
                                   ((tc[m->via - 2] == 0x0F && (tc[m->via - 1] & 0xF0) == 0x80) ||
                                    tc[m->via - 1] == 0xE9) &&
                                   b->tc_address + m->via + 4 + bt_get32(tc + m->via) == at),
                       "entry %u: its branch at %u does not reach it", i, m->via);
            /* A branch's side names the branch: an instruction of the block
             * that decodes as a near branch (a JMP has no entry of its own:
             * the block's last bytes), a taken side's its Jcc's. */
            struct x86_insn from;
            uint32_t f = m->from - b->guest_eip;
            FUZZ_CHECK(!m->from || (m->from >= b->guest_eip && m->from < b->guest_end && f < len &&
                                    x86_decode(code + f, len - f, X86_MODE_32, &from) == X86_DECODE_OK &&
                                    (bt_classify(&from) == BT_DIRECT || bt_classify(&from) == BT_INDIRECT)),
                       "entry %u: its branch at 0x%x is none of the block's", i, m->from);
            FUZZ_CHECK(!m->via || (m->from && bt_block_find(b, m->via)->guest_eip == m->from),
                       "entry %u: a taken side whose branch is not its Jcc", i);
            continue;
        }
        FUZZ_CHECK(!m->commit || (m->commit > m->tc_offset && m->commit < end),
                   "entry %u: its commit %u outside its translation [%u, %u)", i, m->commit, m->tc_offset, end);
        FUZZ_CHECK(i == 0 || b->map[i - 1].kind == BT_MAP_INSN, "an instruction after a slot");
        FUZZ_CHECK(i == 0 || m->guest_eip > b->map[i - 1].guest_eip, "instructions out of order");
        FUZZ_CHECK(m->guest_eip >= b->guest_eip && m->guest_eip < page_end && m->guest_eip <= b->guest_end,
                   "an instruction at 0x%x outside its block", m->guest_eip);
        FUZZ_CHECK(end - m->tc_offset <= BT_INSN_MAX, "an instruction translated into %u bytes",
                   end - m->tc_offset);
        uint32_t off = m->guest_eip - b->guest_eip;
        struct x86_insn in;
        bool last = i + 1 == b->entries || b->map[i + 1].kind == BT_MAP_SLOT;
        FUZZ_CHECK(last || (off < len && x86_decode(code + off, len - off, X86_MODE_32, &in) == X86_DECODE_OK),
                   "no instruction decodes at the entry for 0x%x", m->guest_eip);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    uint32_t where = (uint32_t)fuzz_take(&in, 2), offset = where & 0xFFF;   /* bits 12, 13: */
    unsigned max_insns = (unsigned)fuzz_take(&in, 1) % BT_BLOCK_MAX_INSNS + 1;
    size_t room = (size_t)fuzz_take(&in, 2) & 0x1FFF;
    size_t len = size - in.pos;
    uint8_t *code = fuzz_copy(data + in.pos, len, 0);
    uint8_t *tc = malloc(room ? room : 1);
    if (!tc)
        abort();
    struct bt_code c = { .bytes = code, .len = len, .eip = GUEST_BASE + offset,
                         .unprotected = where & 0x1000, .ds_base_zero = where & 0x2000 };
    struct bt_runtime rt = { TC_ADDRESS + 0x100000, TC_ADDRESS + 0x100100 };
    struct bt_emit e = { tc, TC_ADDRESS, 0, room, false };
    struct bt_block b;
    enum bt_status st = bt_translate_block(&c, &rt, &e, max_insns, &b);
    FUZZ_CHECK(!e.overflow, "the translator tried to write past its %zu bytes", room);
    if (st == BT_NO_ROOM) {
        FUZZ_CHECK(e.pos == 0 && room < BT_INSN_MAX + BT_TAIL_MAX, "no room in %zu bytes, %zu written", room, e.pos);
    } else {
        FUZZ_CHECK(st == BT_OK && b.tc_size == e.pos && b.tc_address == TC_ADDRESS, "status %d, size %u of %zu",
                   (int)st, b.tc_size, e.pos);
        check_map(&b, tc, code, len);
    }
    free(tc);
    free(code);
    return 0;
}
