/*
 * machine_frames.h: the machine's frame table (64-bit, VMX root): one
 * struct dp_frame per host frame, whose owner says which VM a frame is
 * (direct_paging.h, pv-design.md "Machine frames"). One for the machine,
 * made the first time a cpu=pv VM is built; VM n's owner id is n + 1.
 *
 * Under direct paging (cpu=pv, lab 5) every address in a guest's page
 * tables and CR3 is a machine address: the hypervisor's own walks of them
 * (guest_ptr, and through it guest_linear.c, string I/O, gdb=guest, the
 * report of a stopped guest, the hypercalls' copies) reach a machine
 * address only through machine_frames_ptr, which gives a pointer to frames
 * the VM owns and nothing else.
 */
#pragma once
#include <stdint.h>
#include "guest/direct_paging.h"

/* The table over every host frame up to the page allocator's top (and no
 * further than PV_M2P_FRAMES: 4 GiB, the identity map's end), every frame
 * DP_OWNER_NONE until a builder claims it. */
struct dp_machine *machine_frames(void);

/* A hypervisor pointer to machine [ma, ma + len) if every frame of it is
 * vm's, else NULL. */
void *machine_frames_ptr(const struct dp_vm *vm, uint64_t ma, uint64_t len);

/* The same for the hypervisor's frames the VM's own tables reach: the L1s
 * its hypervisor slots name (dp_vm.hv_pde) and the frames those map (the
 * M2P: dp_vm.hv_run), which its CPU reads; for reads only (they are mapped read-only to
 * the guest, and the caller's walk has said whether its access may). */
const void *machine_frames_hv_ptr(const struct dp_vm *vm, uint64_t ma, uint64_t len);
