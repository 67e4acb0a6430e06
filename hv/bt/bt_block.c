/*
 * bt_block.c: translating one basic block (see bt_block.h): decode
 * (x86_decode.c), decide (bt_classify.c), copy, rewrite (bt_sensitive.c,
 * bt_lookup.c) or exit (bt_exit.c), and rewrite direct control flow into
 * exit slots (bt_chain.c) that name the guest targets.
 */
#include "bt/bt_block.h"
#include "bt/bt_gs.h"
#include "bt/bt_iret.h"
#include "bt/bt_chain.h"
#include "bt/bt_classify.h"
#include "bt/bt_lookup.h"
#include "bt/bt_segment.h"
#include "bt/bt_sensitive.h"

#define PAGE_SIZE 4096u
#define VEC_UD 6
#define VEC_GP 13

static void add_entry(struct bt_block *b, const struct bt_emit *e, size_t start, uint32_t eip,
                      enum bt_map_kind kind, enum bt_action action)
{
    b->map[b->entries++] = (struct bt_map_entry){ eip, (uint16_t)(e->pos - start), (uint8_t)kind,
                                                  (uint8_t)action, 0, 0, 0 };
}

static void slot(struct bt_block *b, struct bt_emit *e, size_t start, const struct bt_runtime *rt,
                 uint32_t eip)
{
    add_entry(b, e, start, eip, BT_MAP_SLOT, BT_DIRECT);
    bt_emit_slot(e, rt, eip);
}

/* The slot of a branch's side, the branch at guest EIP `from`. */
static void branch_slot(struct bt_block *b, struct bt_emit *e, size_t start, const struct bt_runtime *rt,
                        uint32_t target, uint32_t from)
{
    slot(b, e, start, rt, target);
    b->map[b->entries - 1].from = from;
}

/* A taken side's slot, reached by the rel32 at `field`: aimed here. */
static void taken_slot(struct bt_block *b, struct bt_emit *e, size_t start, const struct bt_runtime *rt,
                       size_t field, uint32_t target, uint32_t from)
{
    bt_aim32(e, field);
    branch_slot(b, e, start, rt, target, from);
    b->map[b->entries - 1].via = (uint16_t)(field - start);
}

/* The taken sides of the Jccs a block went on past, their slots owed at
 * its end. */
struct pending_branches {
    unsigned n;
    struct { size_t field; uint32_t target, from; } at[BT_BLOCK_MAX_BRANCHES];
};

/* A near branch's target: its rel8/16/32 (in immediate) from the next
 * instruction; EIP cut to 16 bits with operand size 16 (SDM vol. 2A, Jcc,
 * JMP, CALL; vol. 2A, LOOP). */
static uint32_t branch_target(const struct x86_insn *in, uint32_t next_eip)
{
    uint32_t rel = (uint32_t)in->immediate;
    if (in->immediate_size == 1)
        rel = (uint32_t)(int32_t)(int8_t)rel;
    else if (in->immediate_size == 2)
        rel = (uint32_t)(int32_t)(int16_t)rel;
    uint32_t target = next_eip + rel;
    return in->operand_size == 2 ? target & 0xFFFF : target;
}

/* Jcc, JMP, CALL rel, LOOPcc, JECXZ: a slot per side, the not-taken one
 * first. CALL pushes the GUEST return address (the guest's stack holds
 * guest addresses only). A LOOPcc/JECXZ keeps its rel8 (and its 0x67,
 * which makes it count CX): it jumps over a short JMP to a JMP rel32.
 * A Jcc (while fewer than BT_BLOCK_MAX_BRANCHES are owed) does not end the
 * block: its not-taken side is the next instruction, inline, and its taken
 * side's slot comes at the block's end (true: go on). A loop's body then
 * runs with no JMP between its blocks, and once chained the Jcc itself
 * jumps to its target's translation (bt_block_chain): a translated loop
 * runs as many instructions as the guest's. */
static bool direct(struct bt_block *b, struct bt_emit *e, size_t start, const struct bt_runtime *rt,
                   const struct x86_insn *in, uint32_t eip, uint32_t next_eip, struct pending_branches *owed)
{
    uint32_t target = branch_target(in, next_eip);
    uint8_t op = in->opcode;
    size_t taken;
    if (in->map == X86_MAP_ONE_BYTE && (op == 0xEB || op == 0xE9 || op == 0xE8)) {
        if (op == 0xE8) {
            bt_u8(e, 0x68);                                   /* push $next_eip */
            bt_u32(e, next_eip);
        } else {
            b->entries--;      /* a JMP is all slot: the guest is past it there */
        }
        branch_slot(b, e, start, rt, target, eip);
        return false;
    }
    if (in->map == X86_MAP_ONE_BYTE && op >= 0xE0 && op <= 0xE3) {
        uint8_t loop[] = { 0x67, op, 2, 0xEB, 5 };
        bool cx = in->address_size_prefix;
        bt_bytes(e, loop + !cx, sizeof(loop) - !cx);
        taken = bt_jmp(e, 0);
    } else {
        taken = bt_jcc(e, op & 0xF, 0);
        if (owed->n < BT_BLOCK_MAX_BRANCHES) {
            owed->at[owed->n].field = taken;
            owed->at[owed->n].from = eip;
            owed->at[owed->n++].target = target;
            return true;
        }
    }
    slot(b, e, start, rt, next_eip);
    taken_slot(b, e, start, rt, taken, target, eip);
    return false;
}

void bt_block_chain(uint8_t *code, uint32_t address, const struct bt_map_entry *m, uint32_t to)
{
    bt_chain(code + m->tc_offset, address + m->tc_offset, to);
    if (m->via)
        bt_put32(code + m->via, to - (address + m->via + 4u));
}

void bt_block_unchain(uint8_t *code, uint32_t address, const struct bt_map_entry *m)
{
    bt_unchain(code + m->tc_offset, address + m->tc_offset);
    if (m->via)
        bt_put32(code + m->via, m->tc_offset - (m->via + 4u));
}

/* The selector a block's own code has just put in AX: MOV $imm to AX or
 * EAX, followed by nothing but MOVs of AX into segment registers (a
 * kernel's entry: mov $KDATA, %ax; mov %ax, %ds; mov %ax, %es; ...). A
 * load of it below the hypervisor's selectors needs no check (bt_segment.h).
 * Only inside the block: an entry into a translation is at a block's start
 * or at an instruction bt_map_enterable allows (never such a load), and
 * an exit that stays in the translation (an I/O port, MOV to CR3) leaves
 * EAX as the copy left it, so nothing changes EAX between the two but the
 * block's own instructions. -1: none. */
static int32_t selector_in_ax(const struct x86_insn *in, int32_t known)
{
    if (in->map != X86_MAP_ONE_BYTE || in->vex)
        return -1;
    if (in->opcode == 0xB8 && (in->operand_size == 2 || in->operand_size == 4))
        return (int32_t)(in->immediate & 0xFFFF);
    if (in->opcode == 0x8E && in->mod == 3)          /* MOV Sreg, r16: reads its register */
        return known;
    return -1;
}

static bool loads_known_selector(const struct x86_insn *in, int32_t known)
{
    return known >= 0 && (uint32_t)known < BT_HV_SELECTOR && in->map == X86_MAP_ONE_BYTE && in->opcode == 0x8E &&
           in->mod == 3 && in->rm == BT_EAX;
}

/* An instruction that writes memory with no ModR/M memory operand (SDM
 * vol. 2, each instruction's "Operation"): PUSH (a register, a segment, an
 * immediate, PUSHA, PUSHF), INS, MOVS, STOS, MOV moffs from AL/eAX, ENTER,
 * CALL (near and far), INT n, INT3, INTO, INT1. */
static bool implicit_store(const struct x86_insn *in)
{
    uint8_t op = in->opcode;
    if (in->map == X86_MAP_0F && !in->vex)
        return op == 0xA0 || op == 0xA8;                /* PUSH FS, PUSH GS */
    if (in->map != X86_MAP_ONE_BYTE || in->vex)
        return false;
    return op == 0x06 || op == 0x0E || op == 0x16 || op == 0x1E || (op >= 0x50 && op <= 0x57) ||
           op == 0x60 || op == 0x68 || op == 0x6A || op == 0x6C || op == 0x6D || op == 0x9A ||
           op == 0x9C || op == 0xA2 || op == 0xA3 || op == 0xA4 || op == 0xA5 || op == 0xAA ||
           op == 0xAB || op == 0xC8 || op == 0xCC || op == 0xCD || op == 0xCE || op == 0xE8 ||
           op == 0xF1;
}

/* The linear bytes [*at, *at + *size) a MOV to an absolute address through
 * DS writes (MOV r/m, r and MOV r/m, imm with ModR/M mod 0, r/m 5 and no
 * SIB: a disp32, SDM vol. 2A, table 2-2; MOV moffs, AL/eAX), given DS's
 * base 0. False for any other instruction. */
static bool absolute_store(const struct x86_insn *in, uint32_t *at, uint32_t *size)
{
    if (in->map != X86_MAP_ONE_BYTE || in->vex || in->address_size != 4 ||
        (in->segment && in->segment != 0x3E))
        return false;
    uint8_t op = in->opcode;
    bool byte = op == 0x88 || op == 0xC6 || op == 0xA2;
    if (op == 0xA2 || op == 0xA3)
        *at = (uint32_t)in->immediate;
    else if ((op == 0x88 || op == 0x89 || ((op == 0xC6 || op == 0xC7) && in->reg == 0)) &&
             in->mod == 0 && in->rm == 5 && !in->has_sib)
        *at = (uint32_t)in->displacement;
    else
        return false;
    *size = byte ? 1 : in->operand_size;
    return true;
}

/* Must a run-once block (bt_code.unprotected) end after this instruction,
 * which ends at next: may it write bytes the block would go on to
 * translate? Conservatively, any memory operand may be a store (LEA's
 * alone is no access). */
static bool may_write_ahead(const struct bt_code *code, const struct x86_insn *in, uint32_t next,
                            bool segment_loaded)
{
    bool memory = in->has_modrm && in->mod != 3 && !(in->map == X86_MAP_ONE_BYTE && in->opcode == 0x8D);
    if (!memory && !implicit_store(in))
        return false;
    uint32_t at, size;
    if (!code->ds_base_zero || segment_loaded || !absolute_store(in, &at, &size))
        return true;
    uint64_t reach = (uint64_t)(code->eip & ~(PAGE_SIZE - 1)) + PAGE_SIZE + X86_MAX_LENGTH - 1;
    return !((uint64_t)at + size <= next || at >= reach);
}

const struct bt_map_entry *bt_map_find(const struct bt_map_entry *map, unsigned entries, uint32_t tc_size,
                                       uint32_t tc_offset)
{
    if (!entries || tc_offset >= tc_size)
        return NULL;
    unsigned lo = 1, hi = entries;      /* the last entry starting at or below tc_offset (in */
    while (lo < hi) {                   /* order: instructions, then slots), else the first */
        unsigned mid = (lo + hi) / 2;
        if (map[mid].tc_offset <= tc_offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &map[lo - 1];
}

const struct bt_map_entry *bt_block_find(const struct bt_block *b, uint32_t tc_offset)
{
    return bt_map_find(b->map, b->entries, b->tc_size, tc_offset);
}

enum bt_status bt_translate_block(const struct bt_code *code, const struct bt_runtime *rt,
                                  struct bt_emit *e, unsigned max_insns, struct bt_block *b)
{
    size_t start = e->pos;
    uint32_t page_left = PAGE_SIZE - (code->eip & (PAGE_SIZE - 1));
    *b = (struct bt_block){ .guest_eip = code->eip, .tc_address = bt_here(e) };
    if (e->overflow || e->cap - e->pos < BT_INSN_MAX + BT_TAIL_MAX)
        return BT_NO_ROOM;
    struct pending_branches owed = { 0 };
    if (max_insns > BT_BLOCK_MAX_INSNS)
        max_insns = BT_BLOCK_MAX_INSNS;
    uint32_t off = 0;
    int32_t known_ax = -1;
    bool segment_loaded = false;
    for (unsigned n = 0;; n++) {
        uint32_t eip = code->eip + off;
        /* The end of the page, the cap, or the room: go on in another block. */
        if (off >= page_left || (n && n == max_insns) ||
            e->cap - e->pos < BT_INSN_MAX + BT_TAIL_MAX + owed.n * BT_SLOT_SIZE) {
            b->guest_end = eip;
            slot(b, e, start, rt, eip);
            break;
        }
        struct x86_insn in;
        enum x86_decode_status st = off < code->len ? x86_decode(code->bytes + off, code->len - off, X86_MODE_32, &in)
                                                    : X86_DECODE_TRUNCATED;
        enum bt_action action = st == X86_DECODE_OK ? bt_classify(&in) : BT_UD;
        add_entry(b, e, start, eip, BT_MAP_INSN, action);
        if (st != X86_DECODE_OK) {
            /* No instruction: #UD, #GP for more than 15 bytes, or bytes
             * the caller did not give (the next page's). */
            b->guest_end = st == X86_DECODE_TRUNCATED ? code->eip + (uint32_t)code->len : eip + in.length;
            if (st == X86_DECODE_TRUNCATED)
                bt_emit_exit(e, rt, BT_EXIT_NO_CODE, eip, 0);
            else
                bt_emit_exit(e, rt, BT_EXIT_FAULT, eip, st == X86_DECODE_TOO_LONG ? VEC_GP : VEC_UD);
            break;
        }
        const uint8_t *bytes = code->bytes + off;
        uint32_t next = eip + in.length;
        int32_t known_before = known_ax;
        known_ax = selector_in_ax(&in, known_ax);
        off += in.length;
        b->guest_end = next;
        if (code->unprotected && action != BT_DIRECT && action != BT_INDIRECT &&
            may_write_ahead(code, &in, next, segment_loaded))
            max_insns = n + 1;                  /* the slot after it: the next block reads the bytes anew */
        segment_loaded |= action == BT_SEGMENT_LOAD;
        switch (action) {
        case BT_COPY:
        case BT_PORT_IO:
            bt_bytes(e, bytes, in.length);
            continue;
        case BT_PRIVILEGED:                     /* its #GP exit, then on (bt_classify.h) */
            bt_bytes(e, bytes, in.length);
            slot(b, e, start, rt, next);
            break;
        case BT_SEGMENT_LOAD:
            if (!loads_known_selector(&in, known_before)) {
                bt_segment_check_emit(e, rt, &in, eip);    /* none of the hypervisor's selectors */
                b->map[b->entries - 1].commit = (uint16_t)(e->pos - start);
            }
            __attribute__((fallthrough));
        case BT_SENSITIVE:
            bt_sensitive_emit(e, rt, bytes, &in, next);
            continue;
        case BT_DIRECT:
            if (direct(b, e, start, rt, &in, eip, next, &owed))
                continue;
            break;
        case BT_INDIRECT:
        {                                       /* an inline cache of its last target */
            uint32_t learn;
            size_t miss = bt_site_begin(e, &in, next, &learn);
            branch_slot(b, e, start, rt, BT_SITE_UNLEARNED, eip);
            bt_site_end(e, rt, miss, learn);
            break;
        }
        case BT_EMULATE:
            if (bt_gs_translates(&in)) {        /* MOV GS, POP GS: an exit only for a new selector */
                b->map[b->entries - 1].commit = (uint16_t)(bt_gs_emit(e, rt, &in, eip) - start);
                continue;
            }
            /* IRET back to user mode without an exit, but one instruction
             * at a time (the guest's TF: its trap comes from the hypervisor). */
            if (in.map == X86_MAP_ONE_BYTE && in.opcode == 0xCF && in.operand_size == 4 && max_insns > 1 &&
                !code->unprotected)
                b->map[b->entries - 1].commit = (uint16_t)(bt_iret_emit(e, rt, eip) - start);
            else
                bt_emit_exit(e, rt, BT_EXIT_EMULATE, eip, 0);
            break;
        case BT_UD:
            bt_emit_exit(e, rt, BT_EXIT_FAULT, eip, VEC_UD);
            break;
        }
        break;
    }
    for (unsigned i = 0; i < owed.n; i++)
        taken_slot(b, e, start, rt, owed.at[i].field, owed.at[i].target, owed.at[i].from);
    b->tc_size = (uint32_t)(e->pos - start);
    return BT_OK;
}
