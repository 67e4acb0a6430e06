/*
 * port_io.h: the data of an emulated IN or OUT, moved as the CPU moves it
 * (64-bit, VMX root). The data register is AL, AX or EAX by the access's
 * size (SDM vol. 2, "IN" and "OUT"; the exit gives the size, table 28-5).
 * Every device behind an I/O exit reads and writes the guest's RAX through
 * these, so the rule lives in one place.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"
#include "vmx/exit_info.h"

/* The bits an access of `size` bytes (1, 2 or 4) moves. */
static inline uint32_t io_size_mask(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

/* What an OUT writes: AL, AX or EAX. */
static inline uint32_t io_out_value(const struct vcpu *v, const struct io_qual *io)
{
    return (uint32_t)v->regs.rax & io_size_mask(io->size);
}

/* An IN's result: a byte or a word replaces AL or AX and keeps the rest of
 * RAX; a doubleword is a 32-bit register write, which clears bits 63:32 in
 * 64-bit mode (SDM vol. 1, 3.4.1.1) and leaves nothing a 32-bit guest can
 * see there. */
static inline void io_in_result(struct vcpu *v, const struct io_qual *io, uint32_t value)
{
    if (io->size >= 4) {
        v->regs.rax = value;
        return;
    }
    uint32_t mask = io_size_mask(io->size);
    v->regs.rax = (v->regs.rax & ~(uint64_t)mask) | (value & mask);
}
