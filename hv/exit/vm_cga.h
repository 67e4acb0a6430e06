/*
 * vm_cga.h: a VM's text screen under devices=virtual (64-bit, VMX root):
 * the VGA's ports in colour text mode (dev/vga_regs.c, through exit_io.c's
 * pc_ports_exit, at ring 0 and at ring 1), the screen itself plain guest
 * RAM at 0xB8000-0xBFFFF, which the guest writes with no exit in every
 * mode (EPT or shadow paging map it as the rest of its RAM, guest.c), and
 * what it shows on the run's log (exit/screen_lines.c):
 *
 *   hv: screen: <a row's text>          when it is complete, once
 *   hv: screen dump 80x25 cursor <row>,<col> lines <start>-<end>   (or "cursor off")
 *   hv: screen row <row> <160 cells as 320 hex digits: character, attribute ...>
 *
 * The dump comes at the VM's end, with a row line for each row that is not
 * all zero bytes (the rows left out are); with vm1 and after the lines say
 * "hv: vm1: screen...". tools/runner/screen.py reads the last dump of VM 0
 * into a picture (tools/hvrun --screenshot).
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* Power-on: the VGA in mode 3, nothing logged yet. */
void vm_cga_start(struct vcpu *v);

/* An I/O exit on one of the VGA's ports, byte, word or dword (a word
 * write to 0x3D4 sets the index and the data at once): emulated (true, RIP
 * advanced), else false. */
bool vm_cga_exit(struct vcpu *v, const struct io_qual *io);

/* The VM's end: the rows not logged yet, then the dump. */
void vm_cga_end(struct vcpu *v);
