/*
 * options.h: the hypervisor's command-line options, parsed once into a
 * struct (a pure module: any mode, also the host unit tests).
 *
 * The Multiboot command line is "[kernel path] name=value name=value ...":
 * QEMU -kernel and the kit's loader put the kernel's own path first, GRUB 2
 * does not (measured: `multiboot /boot/hv.elf mem=ept` gives "mem=ept").
 * The table in options.c
 * lists every option with its description and allowed values; options for
 * later labs are parsed and stored already, and used by those labs.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "boot/balloon_targets.h"

/* MEM_DIRECT: neither EPT nor shadow tables, the guest's own tables are
 * the CPU's (Xen's direct paging, lab 5): cpu=pv's, and only cpu=pv's. */
enum mem_mode { MEM_EPT, MEM_SHADOW, MEM_DIRECT };
enum cpu_mode { CPU_HVM, CPU_DEPRIVILEGED, CPU_PV };
enum gdb_mode { GDB_OFF, GDB_HV, GDB_GUEST };
enum devices_mode { DEVICES_MACHINE, DEVICES_VIRTUAL };
enum timer_mode { TIMER_CATCHUP, TIMER_MERGE, TIMER_DISCARD, TIMER_DELAY };
/* tsc=wall|run; TSC_BY_TIMER_MODE is the default before options_parse
 * resolves it: run with timer_mode=delay, wall with the others. */
enum tsc_mode { TSC_WALL, TSC_RUN, TSC_BY_TIMER_MODE };
enum fault_kind { FAULT_NONE, FAULT_PANIC, FAULT_PAGEFAULT, FAULT_DIVIDE, FAULT_TRIPLEFAULT, FAULT_HANG };

#define OPTIONS_TEST_NAME_MAX 64
#define OPTIONS_VMS_MAX 4       /* vms=1..4: the table of VMs' size (vm.h) */

struct hv_options {
    enum mem_mode mem;        /* mem=ept|shadow|direct: how guest memory is virtualised (labs 1, 2, 5) */
    bool mem_chosen;          /* mem= was given (cpu=pv implies direct) */
    enum cpu_mode cpu;        /* cpu=hvm|deprivileged|pv: how the guest kernel runs (labs 1, 3, 5) */
    char test[OPTIONS_TEST_NAME_MAX];  /* test=NAME: passed on to the guest ("" = none) */
    unsigned vms;             /* vms=N: number of VMs, 1..4, one per group of modules (vm.h) */
    unsigned guestmem_mib;    /* guestmem=MiB: RAM per guest */
    enum fault_kind fault;    /* fault=...: fail on purpose, to test the runner */
    char vmcs_break[OPTIONS_TEST_NAME_MAX];  /* vmcs_break=NAME: break the VMCS on purpose (vmcs_breaks.c) */
    unsigned vmcs_break_at;   /* vmcs_break_at=N: break it at VM exit N (0: before VMLAUNCH) */
    unsigned vmcheck;         /* vmcheck=1: run the VM-entry checker before the first entry; 2: every entry */
    unsigned scan;            /* scan=1: list the guest kernel's sensitive instructions (lab 3) */
    unsigned bt;              /* bt=1: cpu=deprivileged translates the kernel's code (lab 3, hv/bt) */
    unsigned patch;           /* patch=1: cpu=deprivileged patches and emulates them (lab 3) */
    unsigned shadows;         /* shadows=N: bt=1 keeps N address spaces' shadows (0: its default) */
    enum gdb_mode gdb;        /* gdb=off|hv|guest: the GDB stub on COM2 and what it debugs */
    enum devices_mode devices; /* devices=machine|virtual: whose PIT and PIC the guest programs (lab 4) */
    bool devices_chosen;      /* devices= was given (else the tree's default, hv/hv.mk) */
    unsigned quantum_ms;      /* quantum=ms: several VMs with devices=virtual take turns this long */
    enum timer_mode timer_mode; /* timer_mode=catchup|merge|discard|delay: missed ticks (devices=virtual) */
    enum tsc_mode tsc;        /* tsc=wall|run: the guest's TSC counts wall time, or its VM's run time */
    unsigned sched_trace;     /* sched_trace=1: one "hv: turn vmN from T to T" line per turn, at the end */
    unsigned fill_free;       /* fill_free=BYTE: every free page filled with it at boot (tests; 0: not) */
    unsigned run_for;         /* run_for=s: each VM stopped after this long (0: no limit) */
    unsigned dpcheck;         /* dpcheck=N: cpu=pv recounts direct paging every N hypercalls and at shutdown (tests; 0: never) */
    struct balloon_targets balloon;  /* balloon=: each PV VM's balloon target, and when it changes (lab 5) */
    unsigned maxmem_mib[OPTIONS_VMS_MAX];  /* maxmem=: what each PV VM's balloon may grow to (0: guestmem) */
    unsigned resident_pages[OPTIONS_VMS_MAX];  /* resident=: the pages of each VM the hypervisor keeps in
                                                  memory, the rest paged to its store (issue 20; 0: all) */
    unsigned pagein_kcycles;  /* pagein=: a page-in from that store takes this many thousand TSC cycles */
};

/* Defaults, then the options of cmdline (its first word is skipped as the
 * kernel's path unless it contains '='). Returns false on an unknown option,
 * a bad value or a pair that contradicts itself (tsc= with timer_mode= or
 * devices=), with the reason in err (for "PANIC hv: <err>"). tsc= left out
 * is resolved: run with timer_mode=delay, else wall. */
bool options_parse(const char *cmdline, struct hv_options *out, char *err, size_t errlen);

/* "ept", "hvm", "panic": the value an enum option holds, for printing. */
const char *options_value_name(const char *option, unsigned value);
