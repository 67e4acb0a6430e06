/*
 * fuzz_x86_decode.c: hv/x86/x86_decode.c on arbitrary bytes.
 *
 * Input: one byte of mode (bit 0: 16-bit code, CS.D = 0; else bit 1: 64-bit
 * code, CS.L = 1 in IA-32e mode; else 32-bit), then code. The decoder runs
 * at every offset of the code, as the sensitive-instruction scanner and
 * the instruction emulators may start it anywhere in guest memory, and each answer must keep the decoder's contract:
 *   - it reads nothing past avail (AddressSanitizer: the input is a heap
 *     block of exactly its size);
 *   - the length is at most 15 and at most avail; a decoded instruction is
 *     at least 1 byte and holds its parts (opcode, ModR/M, SIB,
 *     displacement, immediates);
 *   - an instruction decodes the same from its own bytes alone: the decoder
 *     never depends on a byte after the instruction's end;
 *   - the sizes are the mode's (SDM vol. 2A, 2.2.1.2 and 2.2.1.3): 64-bit
 *     operands with REX.W only, 64-bit addresses in 64-bit mode only, no
 *     16-bit ones there; REX and RIP-relative operands in 64-bit mode only,
 *     RIP-relative exactly for a disp32 with mod 0, rm 5 and no SIB.
 */
#include "fuzz.h"
#include "x86/x86_decode.h"

/* The bytes the parts of a decoded instruction take, at least. */
static unsigned parts_length(const struct x86_insn *in)
{
    unsigned vex = in->vex == 0xC5 ? 2 : in->vex == 0x62 ? 4 : in->vex ? 3 : 0;
    unsigned opcode = in->vex ? 1 : in->map == X86_MAP_ONE_BYTE ? 1 : in->map == X86_MAP_0F ? 2 : 3;
    return (in->rex != 0) + vex + opcode + in->has_modrm + in->has_sib + in->displacement_size + in->immediate_size;
}

/* Field by field: struct assignment need not copy the padding. */
static int same_insn(const struct x86_insn *a, const struct x86_insn *b)
{
#define SAME(f) (a->f == b->f)
    return SAME(length) && SAME(segment) && SAME(rep) && SAME(lock) && SAME(operand_size_prefix) &&
           SAME(address_size_prefix) && SAME(operand_size) && SAME(address_size) && SAME(vex) &&
           SAME(map) && SAME(opcode) && SAME(has_modrm) && SAME(mod) && SAME(reg) && SAME(rm) &&
           SAME(has_sib) && SAME(scale) && SAME(index) && SAME(base) && SAME(displacement) &&
           SAME(displacement_size) && SAME(immediate) && SAME(immediate_size) && SAME(rex) &&
           SAME(rip_relative);
#undef SAME
}

static void check_alone(const uint8_t *code, const struct x86_insn *in, enum x86_mode mode)
{
    uint8_t *own = fuzz_copy(code, in->length, 0);
    struct x86_insn again;
    enum x86_decode_status st = x86_decode(own, in->length, mode, &again);
    FUZZ_CHECK(st == X86_DECODE_OK && same_insn(&again, in),
               "a %u-byte instruction decodes differently from its own bytes (status %s)",
               in->length, x86_decode_status_name(st));
    free(own);
}

static void check_sizes(const struct x86_insn *in, enum x86_mode mode)
{
    bool is64 = mode == X86_MODE_64;
    FUZZ_CHECK(in->operand_size == 2 || in->operand_size == 4 || (is64 && in->operand_size == 8),
               "operand size %u in mode %d", in->operand_size, (int)mode);
    FUZZ_CHECK((in->operand_size == 8) == (is64 && (in->rex & 8)), "operand size %u with REX 0x%x",
               in->operand_size, in->rex);
    FUZZ_CHECK(is64 ? in->address_size == 4 || in->address_size == 8
                    : in->address_size == 2 || in->address_size == 4,
               "address size %u in mode %d", in->address_size, (int)mode);
    FUZZ_CHECK(in->rex == 0 || (is64 && (in->rex & 0xF0) == 0x40), "REX 0x%x in mode %d", in->rex, (int)mode);
    bool rip = is64 && in->has_modrm && in->mod == 0 && in->rm == 5 && !in->has_sib &&
               in->displacement_size == 4;
    FUZZ_CHECK(in->rip_relative == rip,
               "RIP-relative %d: mode %d, mod %u, rm %u, SIB %d", in->rip_relative, (int)mode, in->mod, in->rm,
               in->has_sib);
}

static void decode_at(const uint8_t *code, size_t avail, enum x86_mode mode)
{
    struct x86_insn in;
    enum x86_decode_status st = x86_decode(code, avail, mode, &in);
    FUZZ_CHECK(in.length <= X86_MAX_LENGTH && in.length <= avail,
               "status %s, length %u, avail %zu", x86_decode_status_name(st), in.length, avail);
    FUZZ_CHECK(st <= X86_DECODE_UNDEFINED, "status %d", (int)st);
    if (st != X86_DECODE_OK)
        return;
    FUZZ_CHECK(in.length >= 1, "a decoded instruction of length 0");
    FUZZ_CHECK(parts_length(&in) <= in.length, "parts of %u bytes in a %u-byte instruction",
               parts_length(&in), in.length);
    check_sizes(&in, mode);
    check_alone(code, &in, mode);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum x86_mode mode = data[0] & 1 ? X86_MODE_16 : data[0] & 2 ? X86_MODE_64 : X86_MODE_32;
    for (size_t pos = 1; pos <= size; pos++)   /* the last: no bytes at all */
        decode_at(data + pos, size - pos, mode);
    return 0;
}
