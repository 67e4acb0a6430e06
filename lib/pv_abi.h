/*
 * pv_abi.h: the paravirtual interface between the hypervisor and a PV guest
 * kernel (lab 5): the hypercalls, the structures they read and write, the
 * memory the two share, and the state a PV kernel starts in. It is the
 * contract both sides are built from (hv/pv/, guestos with PV=1,
 * tests/kernels/pvtest), and it reads as the interface's reference:
 * handouts/hypercalls.md is the guided tour of it.
 *
 * It follows Xen's public interface (xen/include/public/xen.h, event_channel.h,
 * memory.h, sched.h, vcpu.h, io/console.h), with Xen's numbers and names
 * wherever Xen has one, so that what a student learns here reads straight
 * into Xen's sources. Where it differs, it says why. The main difference:
 * a PV guest here runs in VMX non-root operation at ring 0 (cpu=pv), not at
 * ring 1 of a machine without VT-x. Non-root mode already keeps the guest
 * out of the hypervisor (every privileged thing that matters exits), so what
 * is left to paravirtualise is what lab 5 is about: the MMU (direct paging,
 * instead of EPT or shadow tables), time, events, the console, memory.
 *
 * Types are fixed-size and the layouts are 32-bit x86's (the guest OS is
 * 32-bit; the hypervisor, 64-bit, reads them with these same definitions).
 */
#pragma once
#include <stdint.h>

/* ---------------------------------------------------------------------
 * 1. Finding the hypervisor, and the hypercall page
 *
 * CPUID leaf 0x40000000: EAX = the highest leaf (0x40000002), EBX ECX EDX =
 * "hvlabhvlabhv". Leaf 0x40000001: EAX = the interface's version
 * (major << 16 | minor). Leaf 0x40000002: EAX = 1 (pages of hypercall
 * stubs), EBX = the MSR that places them (as Xen's HVM leaf 0x40000002).
 *
 * The guest asks for its hypercall page by writing that MSR with the
 * machine address of a page it owns that is not a page table (WRMSR, EDX:EAX
 * = the address; bits 11:0 zero). The hypervisor fills it with one 32-byte
 * stub per call, stub n at offset n * 32:
 *      mov $n, %eax ; vmcall ; ret
 * so that a call is `call hypercall_page + n * 32`: the guest need not know
 * which instruction traps to this hypervisor (VMCALL on Intel, VMMCALL on
 * AMD: Xen's reason for the page). A refused page (not the guest's, a page
 * table, not aligned) is #GP(0) on the WRMSR, as a CPU refuses an MSR value.
 * ------------------------------------------------------------------- */
#define PV_CPUID_BASE         0x40000000u
#define PV_CPUID_VERSION      0x40000001u
#define PV_CPUID_HYPERCALL    0x40000002u
#define PV_VERSION_MAJOR      1
#define PV_VERSION_MINOR      0
#define PV_VERSION            ((PV_VERSION_MAJOR << 16) | PV_VERSION_MINOR)
#define PV_MSR_HYPERCALL_PAGE 0x40000000u
#define PV_HYPERCALL_STUB     32u      /* bytes per stub in the page */

/* ---------------------------------------------------------------------
 * 2. Making a hypercall
 *
 * VMCALL at ring 0 with EAX = the call's number and its arguments in EBX,
 * ECX, EDX, ESI, EDI (Xen's 32-bit order); the result comes back in EAX,
 * every other register kept, except that a call continued in parts
 * (section 5) comes back with its argument registers rewritten: a caller
 * declares them clobbered, as Xen's guests do. A result >= 0 is success (some calls return a
 * count); < 0 is one of the PV_E* codes below, and then the call changed
 * nothing, except where its description says what was done before the
 * failure (the batched calls). A VMCALL at ring 3 gets -PV_EPERM; one outside
 * cpu=pv is #UD, as on a CPU without a hypervisor that listens.
 *
 * Pointers in arguments are the guest's linear addresses, read and written
 * through its current page tables as its kernel would touch them: a buffer
 * that is not mapped (or, where the hypervisor writes, not mapped writable)
 * is -PV_EFAULT, never a fault in the hypervisor.
 * ------------------------------------------------------------------- */
#define PV_EPERM      1      /* not allowed: from ring 3, or not the guest's to do */
#define PV_ENOENT     2      /* no such thing (an event channel not bound) */
#define PV_ESRCH      3      /* no such domain (a domid other than PV_DOMID_SELF) */
#define PV_ENOMEM    12      /* the hypervisor has no frame to give */
#define PV_EFAULT    14      /* a pointer argument the guest cannot read or write */
#define PV_EBUSY     16      /* the frame is in use (mapped, a pinned table, the start or shared page),
                                or the entry a grant's (section 10) */
#define PV_EEXIST    17      /* already so (a table pinned twice, a VIRQ bound twice) */
#define PV_EINVAL    22      /* a bad value: a command, an entry that breaks a rule below */
#define PV_ENOSPC    28      /* no free event channel */
#define PV_ENOSYS    38      /* no such hypercall */

#define PV_DOMID_SELF 0x7FF0u   /* Xen's DOMID_SELF: every call acts on the caller's VM */

/* The calls (Xen's numbers, __HYPERVISOR_*). Each is described at its
 * structures below. */
#define PV_mmu_update          1   /* (req *, count, done *, domid): page-table entries, batched */
#define PV_set_callbacks       4   /* (vector): where event upcalls are delivered (section 6) */
#define PV_memory_op          12   /* (cmd, arg *): the balloon's reservations (section 8) */
#define PV_multicall          13   /* (entries *, count): several calls in one exit */
#define PV_update_va_mapping  14   /* (va, pte, flags): the entry mapping va, in the current tables */
#define PV_set_timer_op       15   /* (deadline low, high): a one-shot timer in system time */
#define PV_xen_version        17   /* (cmd, arg *): the version; the cheapest call there is */
#define PV_console_io         18   /* (cmd, count, buf *): write to or read the console */
#define PV_grant_table_op     20   /* (cmd, op *, count): frames shared between VMs (section 10) */
#define PV_vcpu_op            24   /* (cmd, vcpu, arg *): the vCPU's periodic timer (section 6) */
#define PV_mmuext_op          26   /* (op *, count, done *, domid): pin, unpin, CR3, TLB */
#define PV_sched_op           29   /* (cmd, arg *): yield, block, shut down */
#define PV_event_channel_op   32   /* (cmd, arg *): bind, send, unmask, close */
#define PV_NR_HYPERCALLS      64   /* stubs in the page; numbers above are -PV_ENOSYS */

/* ---------------------------------------------------------------------
 * 3. The start of day (the PV domain builder, hv/pv/)
 *
 * A PV kernel is a Multiboot v1 kernel whose ELF file carries the note
 * below (section ".note.hvlab", name "hvlab", type PV_NOTE_TYPE, descriptor
 * struct pv_elf_note). Under cpu=pv the hypervisor refuses a kernel without
 * it; the PV kernel's Multiboot entry, which a bare machine or cpu=hvm
 * enters, says it needs cpu=pv and powers off.
 *
 * The builder loads the kernel at its physical (p_paddr) addresses in the
 * VM's pseudo-physical memory, its modules and the Multiboot information as
 * for any guest, then places in the frames after them, in this order: the
 * P2M list, the start-info page, the shared-info page, the console page and
 * the initial page tables (a page directory, then the page tables it uses).
 * It enters the note's entry (a virtual address) with:
 *   - 32-bit protected mode, paging on, the initial tables loaded and
 *     pinned: pseudo-physical page p mapped at PV_VIRT_BASE + p * 4096 for
 *     every page the VM has (the kernel's own direct map), writable but for
 *     the frames of the page tables themselves, which are mapped read-only;
 *     nothing else below PV_HYPERVISOR_VIRT;
 *   - CR0 = PE | ET | NE | WP | PG, CR4 = PSE (4 MiB pages may be used);
 *     CS a flat 32-bit ring-0 code segment, DS ES FS GS SS flat data, GDTR
 *     and IDTR empty: load your own before any segment load or event;
 *     EFLAGS = 2 (interrupts off); EAX = PV_START_MAGIC, ESI = the
 *     start-info page's virtual address; the other registers 0.
 * ------------------------------------------------------------------- */
#define PV_NOTE_NAME     "hvlab"
#define PV_NOTE_TYPE     0x5056u            /* "PV" */
#define PV_START_MAGIC   0x4856504Bu        /* "KPVH" in memory */
#define PV_VIRT_BASE     0xC0000000u        /* where pseudo-physical 0 is mapped */
#define PV_HYPERVISOR_VIRT 0xFC000000u      /* the top 64 MiB: the hypervisor's (section 5) */

struct pv_elf_note {
    uint32_t abi_version;     /* PV_VERSION the kernel was built against */
    uint32_t entry;           /* the virtual address the builder enters */
    uint32_t virt_base;       /* PV_VIRT_BASE: the only base this version builds */
};

#define PV_START_INFO_MAGIC "hvlab-pv-1"
struct pv_start_info {
    char magic[16];           /* PV_START_INFO_MAGIC, NUL-padded */
    uint32_t nr_pages;        /* pseudo-physical pages the VM has now: pfn 0 .. nr_pages-1 */
    uint32_t max_pages;       /* what its balloon may grow back to (memory_op) */
    uint32_t shared_info;     /* the shared-info page's virtual address (section 6) */
    uint32_t pt_base;         /* the initial page directory's virtual address */
    uint32_t nr_pt_frames;    /* the initial tables' frames, consecutive pfns from pt_base's */
    uint32_t mfn_list;        /* the P2M list's virtual address: uint32_t mfn[max_pages] */
    uint32_t mbi;             /* the Multiboot information's pseudo-physical address */
    uint32_t console_pfn;     /* the console page (section 7) */
    uint32_t console_evtchn;  /* its event channel, bound already */
    uint32_t first_free_pfn;  /* the first pfn after everything the builder placed */
    uint32_t flags;           /* 0 */
};

/* ---------------------------------------------------------------------
 * 4. Memory: pseudo-physical and machine frames
 *
 * A PV guest's page tables hold MACHINE addresses: with direct paging the
 * CPU walks the guest's own tables, with no EPT below them. The guest's
 * pseudo-physical frames (pfn, 0 .. max_pages-1, what its allocator counts)
 * map to machine frames (mfn) through its P2M list, which the guest keeps
 * (the builder fills it; populate_physmap tells it new frames); the reverse,
 * M2P, is the hypervisor's, mapped read-only at PV_M2P_VIRT: uint32_t
 * m2p[mfn], PV_INVALID_PFN for a frame that is not this VM's. A machine
 * frame past PV_M2P_FRAMES is never a guest's.
 * ------------------------------------------------------------------- */
#define PV_PAGE_SIZE     4096u
#define PV_INVALID_PFN   0xFFFFFFFFu
#define PV_INVALID_MFN   0xFFFFFFFFu
#define PV_M2P_VIRT      PV_HYPERVISOR_VIRT  /* 4 MiB: one uint32_t per machine frame */
#define PV_M2P_FRAMES    (4u << 20) / 4u      /* 1 Mi frames: 4 GiB of machine memory */

/* ---------------------------------------------------------------------
 * 5. The PV MMU: direct paging (Xen's, lecture slides 39-41)
 *
 * The guest's tables are the ones the CPU walks, so the guest may never
 * write them: every change goes through mmu_update, update_va_mapping or
 * mmuext_op, and the hypervisor validates every entry before it takes
 * effect. The rules (hv/guest/direct_paging.c enforces them):
 *
 * Every frame of the VM has a TYPE with a count: none, writable (mapped
 * writable by that many entries), page table L1 or page directory L2 (used
 * as such by that many references: pins, directory entries, the base
 * pointer). A frame has one type at a time: it becomes an L1 or L2 only
 * while no entry maps it writable, and it is mapped writable only while it
 * is no table. On its way to L1 or L2 every entry it holds is validated; on
 * its way back (its last reference gone) every entry is released.
 *
 * An L1 entry (PTE) that is present must map a frame of this VM; writable
 * (RW=1), only a frame that is no table; read-only, any frame of the VM
 * (so the guest can read its own tables). Not present: anything goes.
 * The one exception is the hypervisor's: a grant's entry (section 10),
 * marked PV_GNTTAB_PTE, which maps another VM's frame and which the
 * guest's calls can neither make nor change.
 *
 * An L2 entry (PDE) in slots 0 .. 1007 that is present is either
 *   - a page table: a frame of this VM that is (or validates as) an L1;
 *     never an L2 (a "linear" self-map is the hypervisor's to make: Xen's
 *     XSA-240 is what goes wrong when guests may make them), or
 *   - with PS=1, a 4 MiB page: 1024 consecutive frames of this VM, aligned
 *     to 4 MiB; writable only if none of them is a table (each then counts
 *     as mapped writable), read-only over anything of the VM's.
 * Bits the CPU reserves (a 4 MiB entry's bits 21:13 with CR4.PSE and no
 * PSE-36 use) are refused. Slots 1008 .. 1023 (PV_HYPERVISOR_VIRT and up)
 * are the hypervisor's: the guest writes only 0 there, reads the
 * hypervisor's entries (the M2P, read-only) and cannot change them.
 *
 * A frame leaves the VM (memory_op decrease_reservation) only with no
 * reference at all: not mapped, no table, not the start-info, shared-info,
 * console, P2M or hypercall page.
 *
 * TLBs: a call that removes or weakens a mapping (a present entry cleared,
 * pointed elsewhere or made read-only, a table released) flushes the vCPU's
 * TLB before it returns, so that no stale translation gives the guest what
 * its tables no longer do. Changes that only add rights need no flush, as
 * on the CPU; the guest flushes for its own reasons (INVLPG works as usual,
 * MMUEXT_INVLPG_LOCAL and MMUEXT_TLB_FLUSH_LOCAL are here for batching).
 * ------------------------------------------------------------------- */

/* mmu_update(req *reqs, uint32_t count, uint32_t *done, uint32_t domid).
 * Each request's ptr is the MACHINE address of the entry to write (4-byte
 * aligned), with the command in its low 2 bits; val the new entry. The
 * requests run in order; the first that fails ends the batch: the call
 * returns its error, and *done (if done is not NULL) says how many were
 * applied before it. Returns 0 when all are done. */
#define PV_MMU_NORMAL_PT_UPDATE  0   /* *ptr = val, in an L1 or L2 in use, validated */
#define PV_MMU_MACHPHYS_UPDATE   1   /* m2p[ptr >> 12] = val, for a frame of this VM */
struct pv_mmu_update {
    uint32_t ptr;
    uint32_t val;
};

/* Continuations (Xen's hypercall_create_continuation): a batch longer than
 * one exit should take (PV_WORK_PER_EXIT requests) stops there and leaves
 * the guest's registers so that the same VMCALL does the rest: EBX the
 * list's next request, ECX the requests left with PV_BATCH_PREEMPTED set,
 * *done holding the count so far (which the next part adds to), RIP on the
 * VMCALL. Events and other VMs get their turn between the parts, so no
 * batch holds the CPU in the hypervisor for longer than one part. A guest
 * never sets the flag itself: counts are below 2^31. */
#define PV_BATCH_PREEMPTED 0x80000000u   /* Xen's MMU_UPDATE_PREEMPTED */
#define PV_WORK_PER_EXIT   256u

/* mmuext_op(op *ops, uint32_t count, uint32_t *done, uint32_t domid): the
 * same batch rules as mmu_update. arg1 is an MFN for the pins and
 * NEW_BASEPTR, a linear address for INVLPG_LOCAL. */
#define PV_MMUEXT_PIN_L1_TABLE     0   /* validate mfn as an L1 and keep it one (a reference) */
#define PV_MMUEXT_PIN_L2_TABLE     1   /* the same as a page directory */
#define PV_MMUEXT_UNPIN_TABLE      4   /* drop the pin: the table is released with its last reference */
#define PV_MMUEXT_NEW_BASEPTR      5   /* CR3 = mfn << 12: an L2 (validated if it was not one) */
#define PV_MMUEXT_TLB_FLUSH_LOCAL  6   /* as MOV CR3 (global entries kept) */
#define PV_MMUEXT_INVLPG_LOCAL     7   /* as INVLPG arg1 */
struct pv_mmuext_op {
    uint32_t cmd;
    uint32_t arg1;
    uint32_t arg2;            /* 0: no command uses it yet */
};

/* update_va_mapping(uint32_t va, uint32_t pte, uint32_t flags): the L1 entry
 * that maps va in the current address space (its directory entry must name
 * an L1) becomes pte, validated as mmu_update would; then the flush flags
 * say what the guest wants flushed on top of what the rules above flush. */
#define PV_UVMF_NONE       0
#define PV_UVMF_TLB_FLUSH  1
#define PV_UVMF_INVLPG     2

/* ---------------------------------------------------------------------
 * 6. Time and events: the shared-info page
 *
 * A page of the guest's (start_info.shared_info) that the hypervisor writes
 * while the guest does not run. Its layout is Xen's, for one vCPU.
 *
 * Time (struct pv_vcpu_time_info): system time is nanoseconds since the VM
 * started, in the VM's own time (lab 4: it stands still while the VM is
 * off the CPU under tsc=run). A reader computes
 *      now = system_time + (((rdtsc() - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32
 * (a negative tsc_shift shifts right), inside a version loop: the version is
 * odd while the hypervisor rewrites the record; read it, then the record,
 * then it again, and retry unless both reads gave the same even number.
 * set_timer_op(deadline_lo, deadline_hi): one VIRQ_TIMER event at that
 * system time (at once if it has passed); 0 cancels.
 * vcpu_op(VCPUOP_set_periodic_timer, 0, &period): besides it, a VIRQ_TIMER
 * event every period_ns from now on, each a period after the last was due
 * (or a period from now if the VM was away longer: the ones missed are
 * lost), so that a guest's tick needs no call each; at least 1 ms
 * (-PV_EINVAL below it, or above Xen's STIME_DELTA_MAX: a guest may not
 * keep the hypervisor busy with its timer). VCPUOP_stop_periodic_timer
 * ends it. vCPU 0 only (-PV_ENOENT), other commands -PV_ENOSYS (Xen's).
 *
 * Events: 1024 event channels (ports). A port is bound to a source (a VIRQ,
 * the console); an event on it sets its bit in evtchn_pending; if its bit in
 * evtchn_mask is clear and it was not pending, the hypervisor sets the word's
 * bit in the vCPU's evtchn_pending_sel and evtchn_upcall_pending = 1. While
 * upcall_pending is 1 and evtchn_upcall_mask is 0 (the guest's virtual
 * "interrupts on": the guest sets and clears it with plain stores, no exit)
 * and the CPU's own IF is 1, the hypervisor delivers an upcall: the vector
 * the guest gave set_callbacks, as an external interrupt through the
 * guest's IDT. The handler clears upcall_pending, then takes the bits of
 * pending_sel and of evtchn_pending (atomic exchanges: the hypervisor may
 * set more before the guest runs again, never while it runs) and handles
 * each port. A guest that clears upcall_mask while upcall_pending is 1 makes
 * any hypercall (xen_version is the cheapest) to have the upcall now, or
 * takes it itself through its own gate (INT n: no exit).
 * ------------------------------------------------------------------- */
#define PV_NR_EVENT_CHANNELS 1024
struct pv_vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;   /* the guest's TSC at system_time */
    uint64_t system_time;     /* ns */
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad1[2];
};
struct pv_vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint8_t pad[2];
    uint32_t evtchn_pending_sel;   /* a bit per word of evtchn_pending */
    struct pv_vcpu_time_info time;
};
struct pv_shared_info {
    struct pv_vcpu_info vcpu_info[1];
    uint32_t evtchn_pending[PV_NR_EVENT_CHANNELS / 32];
    uint32_t evtchn_mask[PV_NR_EVENT_CHANNELS / 32];
    uint32_t wc_version;      /* wall clock at system time 0, in its own version loop */
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t balloon_target;  /* pages the hypervisor asks the VM to have (section 8) */
};

/* set_callbacks(uint32_t vector): the upcall's vector, 32..255; 0 turns
 * upcalls off. */

/* event_channel_op(cmd, arg *).
 * Between VMs (lab 6; Xen's interdomain channels): VM A offers a port to VM
 * B with alloc_unbound(remote_dom = B); B binds its own new port to it with
 * bind_interdomain(remote_dom = A, remote_port); from then on a send on
 * either port is an event on the other (and bind_interdomain leaves B's
 * new port pending, as Xen does, for a send A made before the bind). A
 * close on either end frees that port and leaves the other unbound again,
 * offered to the closer; a VM that ends does that for every port it had
 * bound to another VM's, and each of those other ports gets an event, so
 * that a VM blocked on it wakes and can see (status) that its peer left.
 * A domain is a VM's id (0, 1, ...; PV_DOMID_SELF: the caller). */
#define PV_EVTCHNOP_bind_interdomain 0   /* struct pv_evtchn_bind_interdomain: local_port OUT */
#define PV_EVTCHNOP_bind_virq 1   /* struct pv_evtchn_bind_virq: port OUT */
#define PV_EVTCHNOP_close     3   /* struct pv_evtchn_port */
#define PV_EVTCHNOP_send      4   /* struct pv_evtchn_port: notify the port's other end */
#define PV_EVTCHNOP_status    5   /* struct pv_evtchn_status: what a port of the caller's is bound to */
#define PV_EVTCHNOP_alloc_unbound 6      /* struct pv_evtchn_alloc_unbound: port OUT */
#define PV_EVTCHNOP_unmask    9   /* struct pv_evtchn_port: clear its mask; upcall if pending */
struct pv_evtchn_alloc_unbound {
    uint32_t dom;             /* PV_DOMID_SELF (or the caller's own id) */
    uint32_t remote_dom;      /* the VM that may bind to it (the caller's own: a loopback) */
    uint32_t port;            /* OUT: the port offered */
};
struct pv_evtchn_bind_interdomain {
    uint32_t remote_dom;      /* the VM that offered the port */
    uint32_t remote_port;     /* its port, offered to the caller */
    uint32_t local_port;      /* OUT: the caller's new port, bound to it */
};
#define PV_EVTCHNSTAT_closed      0   /* not bound */
#define PV_EVTCHNSTAT_unbound     1   /* offered to remote_dom (alloc_unbound, or its peer closed) */
#define PV_EVTCHNSTAT_interdomain 2   /* bound to remote_port of remote_dom */
#define PV_EVTCHNSTAT_virq        4   /* bound to a VIRQ (remote_port: which) */
#define PV_EVTCHNSTAT_console     8   /* the console ring's (this kit's own) */
struct pv_evtchn_status {
    uint32_t port;            /* a port of the caller's */
    uint32_t status;          /* OUT: PV_EVTCHNSTAT_* */
    uint32_t remote_dom;      /* OUT: unbound, interdomain: the other VM (else 0) */
    uint32_t remote_port;     /* OUT: interdomain: its port; virq: the VIRQ (else 0) */
};
struct pv_evtchn_bind_virq {
    uint32_t virq;            /* PV_VIRQ_* */
    uint32_t vcpu;            /* 0 */
    uint32_t port;            /* OUT: the port bound */
};
struct pv_evtchn_port {
    uint32_t port;
};
#define PV_VCPUOP_set_periodic_timer  6
#define PV_VCPUOP_stop_periodic_timer 7
struct pv_vcpu_set_periodic_timer {
    uint64_t period_ns;
};
#define PV_PERIODIC_MIN_NS 1000000ull              /* Xen's MILLISECS(1) */
#define PV_PERIODIC_MAX_NS (~0ull >> 2)            /* Xen's STIME_DELTA_MAX */
#define PV_VIRQ_TIMER    0    /* set_timer_op's deadline passed, or a periodic timer's period */
#define PV_VIRQ_CONSOLE  2    /* (the console's input has its own port, start_info) */
#define PV_VIRQ_BALLOON  12   /* balloon_target changed */
#define PV_NR_VIRQS      16

/* xen_version(cmd, arg *): PV_XENVER_version returns PV_VERSION. */
#define PV_XENVER_version 0

/* ---------------------------------------------------------------------
 * 7. The console: console_io, and a ring
 *
 * console_io(PV_CONSOLEIO_write, count, buf) writes count bytes (at most
 * 4096 a call) as the guest's console output: its lines reach the
 * hypervisor's console exactly as the VM's COM1 lines do. The console page
 * (start_info.console_pfn) is Xen's ring (io/console.h): the guest writes
 * out[] and out_prod, then sends an event on console_evtchn; the hypervisor
 * takes out[out_cons .. out_prod) and moves out_cons. Input arrives in in[]
 * the same way, with an event on the same port. Indexes run freely and are
 * taken modulo the ring's size (a power of 2). console_io(PV_CONSOLEIO_read,
 * count, buf) takes up to count of the same input bytes (at most 256 a
 * call; 0 when none was typed) from in[in_cons ..) and moves in_cons, for a
 * kernel that reads its console without the ring.
 * ------------------------------------------------------------------- */
#define PV_CONSOLEIO_write 0
#define PV_CONSOLEIO_read  1
struct pv_console {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

/* ---------------------------------------------------------------------
 * 8. Memory reservations: the balloon (lecture slides 24-25, 44)
 *
 * memory_op(cmd, arg *). The VM starts with start_info.nr_pages and may
 * hold up to max_pages (the hypervisor's maxmem=; the P2M list and the
 * builder's direct-map L1s have room for max_pages, their entries past
 * nr_pages invalid / empty). decrease_reservation gives frames back: each extent
 * is an MFN of the VM's that nothing references (section 5); the frame
 * leaves the VM, its M2P entry becomes PV_INVALID_PFN and the hypervisor's
 * free memory grows. populate_physmap asks for frames: each extent is a pfn
 * in, replaced by the new frame's MFN out (its M2P entry set to the pfn);
 * the guest then enters it in its P2M list and maps it. Both return how
 * many extents were done (fewer when the hypervisor has no frame, or the VM
 * is at max_pages), or an error when none could be. The hypervisor's target
 * for the VM is shared_info.balloon_target, with a PV_VIRQ_BALLOON event
 * when it changes.
 * ------------------------------------------------------------------- */
#define PV_XENMEM_increase_reservation 0   /* not offered: -PV_ENOSYS (PV guests populate) */
#define PV_XENMEM_decrease_reservation 1
#define PV_XENMEM_current_reservation  3   /* (arg: domid *): returns pages held */
#define PV_XENMEM_maximum_reservation  4   /* (arg: domid *): returns max_pages */
#define PV_XENMEM_populate_physmap     6
/* A long decrease or populate goes on in parts, as a batch does (section
 * 5's continuations, PV_WORK_PER_EXIT extents an exit): the hypervisor
 * leaves cmd | done << PV_MEMOP_EXTENT_SHIFT in EBX (Xen's encoding), RIP
 * on the VMCALL, and the call returns every extent done, or the error of
 * the first if none was. A guest passes cmd with those bits 0. */
#define PV_MEMOP_EXTENT_SHIFT 6
#define PV_MEMOP_CMD_MASK     ((1u << PV_MEMOP_EXTENT_SHIFT) - 1)
struct pv_memory_reservation {
    uint32_t extent_start;    /* linear address of uint32_t extents[nr_extents] */
    uint32_t nr_extents;
    uint32_t extent_order;    /* 0: single pages (the only size offered) */
    uint32_t domid;           /* PV_DOMID_SELF */
};

/* ---------------------------------------------------------------------
 * 9. Scheduling and batching
 * ------------------------------------------------------------------- */
/* sched_op(cmd, arg *). */
#define PV_SCHEDOP_yield    0   /* give the CPU to another VM, if one waits */
#define PV_SCHEDOP_block    1   /* clear upcall_mask, then sleep until an event is pending */
#define PV_SCHEDOP_shutdown 2   /* struct pv_sched_shutdown: the VM ends */
#define PV_SHUTDOWN_poweroff 0
#define PV_SHUTDOWN_reboot   1
#define PV_SHUTDOWN_crash    3
struct pv_sched_shutdown {
    uint32_t reason;          /* PV_SHUTDOWN_* */
    uint32_t status;          /* poweroff: the status the run ends with (POWEROFF N) */
};

/* multicall(entries *, count): each entry's call runs as if made on its own,
 * in order, its result stored in result; a failing call does not stop the
 * others (Xen's rule: the guest checks each result). A long list goes on
 * in parts as a batch does (section 5's continuations: EBX and ECX moved
 * past the entries done, RIP on the VMCALL; an entry whose own batch was
 * cut has its arguments rewritten in the list and runs again). Returns 0, or
 * -PV_EFAULT if the list cannot be read or a result written. A multicall
 * inside a multicall is -PV_EINVAL in its entry. */
struct pv_multicall_entry {
    uint32_t op;
    int32_t result;
    uint32_t args[6];
};

/* ---------------------------------------------------------------------
 * 10. Grants: a frame shared between VMs (Xen's grant tables,
 *     grant_table.h; lecture slides 42-44)
 *
 * A VM (the granter) offers one of its frames to one other VM (the
 * grantee) by REFERENCE: an index ref into its grant table, which the
 * hypervisor keeps (PV_NR_GRANT_REFS entries per VM). The grantee maps the
 * frame at a linear address of its own by naming the granter's domid and
 * the ref; the hypervisor validates both sides: the grant names the grantee,
 * a read-only grant is never mapped writable, the frame is the granter's.
 * A VM's domid is its VM number (vm0 is 0, vm1 is 1, ...). Xen's granter
 * writes its grant entries in a shared page that the hypervisor reads
 * (GTF_permit_access, with atomic flag updates to learn whether the grant is
 * in use); here the granter asks by hypercall, so the hypervisor holds the
 * only copy: no entry changes under the hypervisor's feet (no double
 * fetch), and revoking is a call that can take the mapping away.
 *
 * grant_table_op(cmd, op *ops, count): count (1 .. PV_GNTTAB_MAX_OPS)
 * operations of cmd's structure, done in order, each with its own status
 * (PV_GNTST_*) written back; the call returns 0, or -PV_EINVAL (an unknown
 * cmd, count 0 or too many), -PV_EFAULT (an op the guest cannot read, or
 * one whose status it cannot have written: the ops before it were done).
 *
 * grant_foreign_access: ref becomes a grant of frame mfn (the caller's own,
 * not one of the builder's kept pages) to domid; readonly in flags for a
 * read-only grant. A writable grant of a frame that is a page table is
 * refused, and while a writable grant is mapped the frame cannot become
 * one (it is mapped writable, section 5's rule). The grant takes no
 * reference: the frame may still leave the VM (decrease_reservation) while
 * no one maps it, and a later map of the grant then gets bad_page.
 *
 * map_grant_ref: the grantee maps granter dom's ref at host_addr, a page of
 * its linear space whose L1 entry, in its current tables, is not present.
 * The hypervisor writes that entry: the granter's frame, present, writable
 * unless flags has readonly, supervisor-only, A and D set, and
 * PV_GNTTAB_PTE (bit 11, one the CPU ignores, SDM vol. 3, table 4-6) that
 * marks it a grant's (bit 11 is so the hypervisor's in a PV guest's L1
 * entries; bits 9 and 10 stay the guest's: the guest OS marks
 * copy-on-write with bit 9). The mapping takes a reference to the frame (and,
 * writable, a writable type reference) so that the frame neither leaves its
 * VM (decrease_reservation: -PV_EBUSY) nor becomes a page table while
 * mapped. A grant is mapped once at a time. handle (out) names the mapping
 * for unmap_grant_ref. The grantee's hypercalls cannot use the frame as a
 * buffer (a pointer argument into it is -PV_EFAULT: section 2's "frames
 * the VM owns").
 *
 * The grantee cannot make, change or clear a grant's entry through the MMU
 * calls (section 5): an mmu_update or update_va_mapping of it is
 * -PV_EBUSY, an entry with PV_GNTTAB_PTE written anywhere -PV_EINVAL. Its
 * own table holding it may still be released (unpinned, unhooked): the
 * entry's references go with the table and the mapping is gone; unmap then
 * answers okay (nothing was left to remove).
 *
 * unmap_grant_ref: the mapping handle names is removed (the entry cleared,
 * the grantee's TLB flushed); host_addr must be where it was mapped.
 *
 * end_foreign_access (the revocation): the granter ends grant ref. If the
 * grantee maps it, the hypervisor removes that mapping first (the
 * grantee's entry cleared and its TLB flushed), so that a revoked grant is
 * never mapped: the grantee's next access faults (#PF), and its unmap of
 * the handle answers bad_handle. The frame is then the granter's alone
 * again. A VM that ends keeps its frames (the hypervisor gives no VM's
 * frames away while it runs), so a mapping of a frame of a VM that powered
 * off stays valid until it is unmapped.
 * ------------------------------------------------------------------- */
#define PV_NR_GRANT_REFS   32u      /* refs 0 .. 31 of each VM's table */
#define PV_GNTTAB_MAX_OPS  16u      /* ops one call may carry */
#define PV_GNTTAB_PTE      0x800u   /* bit 11 of a grant's L1 entry (Xen 32-bit's _PAGE_GNTTAB) */

#define PV_GNTTABOP_map_grant_ref        0   /* Xen's numbers */
#define PV_GNTTABOP_unmap_grant_ref      1
#define PV_GNTTABOP_grant_foreign_access 16  /* hvlab's: Xen's granter writes its shared table */
#define PV_GNTTABOP_end_foreign_access   17

#define PV_GNTMAP_readonly 0x4u     /* Xen's GNTMAP_readonly (1 << 2), in grant and map flags */

/* The statuses (Xen's GNTST_*, each op's status field), and what earns
 * each here: */
#define PV_GNTST_okay              0
#define PV_GNTST_general_error   (-1)   /* flags other than readonly */
#define PV_GNTST_bad_domain      (-2)   /* domid/dom: no such PV VM, or the caller itself */
#define PV_GNTST_bad_gntref      (-3)   /* ref >= PV_NR_GRANT_REFS; grant: ref in use; end: ref not
                                           granted; map: ref not granted to the caller */
#define PV_GNTST_bad_handle      (-4)   /* unmap: a handle that names no mapping of the caller's */
#define PV_GNTST_bad_virt_addr   (-5)   /* map: host_addr not page-aligned, no L1 maps it, or its
                                           entry is present; unmap: not where handle is mapped */
#define PV_GNTST_no_device_space (-7)   /* map: the grant is mapped already (once at a time) */
#define PV_GNTST_permission_denied (-8) /* map: writable, of a read-only grant */
#define PV_GNTST_bad_page        (-9)   /* grant: mfn not the caller's, a kept page, or a page table
                                           granted writable; map: the frame left the granter, or
                                           became a table (writable) */

struct pv_gnttab_grant_foreign_access {
    uint32_t ref;
    uint32_t domid;           /* the grantee */
    uint32_t mfn;             /* the caller's frame */
    uint32_t flags;           /* 0 or PV_GNTMAP_readonly */
    int32_t status;           /* OUT */
};
struct pv_gnttab_end_foreign_access {
    uint32_t ref;
    int32_t status;           /* OUT */
};
struct pv_gnttab_map_grant_ref {
    uint32_t host_addr;       /* the caller's linear address to map at */
    uint32_t flags;           /* 0 or PV_GNTMAP_readonly */
    uint32_t ref;
    uint32_t dom;             /* the granter */
    int32_t status;           /* OUT */
    uint32_t handle;          /* OUT */
};
struct pv_gnttab_unmap_grant_ref {
    uint32_t host_addr;
    uint32_t handle;
    int32_t status;           /* OUT */
};

/* ---------------------------------------------------------------------
 * 11. The split console (lab 6; Xen's console front and back ends,
 *     io/console.h and xenconsoled, written anew over section 10's grants,
 *     section 6's interdomain channels and lib/io_ring.h's ring)
 *
 * A DRIVER VM holds the real console (its console_io, section 7) and
 * prints a guest VM's console lines for it: the PV guest OS booted with
 * `backend=console` is the driver VM (as Xen's dom0 is the same Linux as
 * its guests), the PV guest OS booted with `console=split` is the guest
 * (guestos/kernel/pv/console_back.c and console_front.c).
 *
 * The front end (the guest) owns one frame, the connection page: a struct
 * pv_splitcons_hello at its start, then Xen's request/response ring
 * (lib/io_ring.h) at PV_SPLITCONS_RING, PV_SPLITCONS_SLOT bytes a slot.
 * Each request is a piece of the guest's console output, len bytes of
 * data; a line ends at a '\n' in the data and may span requests. The back
 * end answers each with its id and a status: the bytes taken, or
 * -PV_EINVAL for a length past the request's data (nothing of it printed).
 * Notifications go both ways on an interdomain channel, with the ring's
 * hold-off (a side notifies only when the other asked, io_ring.h).
 *
 * The rendezvous. Xen's front end writes its ring's grant ref and its
 * port into xenstore, a database in dom0 that both ends watch. Here the
 * numbers that must be known before anything is shared are fixed, as the
 * inter-VM pipe's are: the front end grants its connection page writable
 * as ref PV_SPLITCONS_GREF to the driver VM, domain PV_SPLITCONS_BACK_DOM,
 * and the back end maps that ref of domain PV_SPLITCONS_FRONT_DOM (retried
 * until it is granted). The port, which the hypervisor picks, travels in
 * the page itself (hello.port, offered to the back end by alloc_unbound).
 * Why: no new hypercall and no state in the hypervisor (a device slot
 * would be both), the page is the one thing the two share anyway, and a
 * lie in it harms only the liar: the back end copies the hello once,
 * checks its magic, and the hypervisor refuses a bind to a port that was
 * not offered to it. The front end fills the page (hello, ring) before it
 * grants it, so a page the back end maps is complete. One guest per
 * driver VM: the kit's machines are small (vms=2).
 *
 * Containment. The back end takes nothing from the page but through
 * io_ring's copies (a request is copied whole, then looked at: a request
 * rewritten after that changes nothing), stops at a producer index moved
 * backwards or past the ring (the device is dropped: the page unmapped,
 * the port closed, a line says why), refuses a length past the request,
 * survives the grant's revocation (the hypervisor unmaps the page, the
 * kernel's fault at it maps a zero page of its own there instead, and the
 * device is dropped), and serves at most PV_SPLITCONS_PASS requests
 * before the driver VM's other processes run again (a flood of requests
 * takes a share of the driver VM, not all of it). Each line it prints for
 * the guest starts with PV_SPLITCONS_TAG and the guest's domain, "[vm1] ",
 * whatever the guest wrote (a '\n' in the data starts a new tagged line;
 * a line longer than PV_SPLITCONS_LINE bytes goes on in another tagged
 * line), so no guest line can pass for one of the driver VM's own
 * (`TEST x: ok`, `POWEROFF 0`: the run's verdicts); the hypervisor quotes
 * reserved prefixes (`hv:`, `PANIC` ...) and non-printable bytes of the
 * driver VM's lines as of any VM's.
 *
 * The ends. A VM that ends closes its ports, which raises an event on the
 * other end's (section 6): the back end, woken, asks its port's status;
 * the guest gone (unbound), it takes what is left in the ring (the page
 * stays mapped after its owner ended, section 10), prints it, and
 * stops. The front end falls back to console_io (its lines then come
 * tagged "(vm1) " by the hypervisor) when its port says the driver VM has
 * gone, when the ring stays full for PV_SPLITCONS_WAIT_MS of system time,
 * or when the back end breaks the ring (the front end trusts it no more
 * than it is trusted); the requests it had not seen answered it writes
 * again through console_io (a line may then show twice, never lost).
 *
 * The same device over a virtio split virtqueue (lib/virtqueue.h), so that
 * the two ring designs carry the same traffic (`console=split ring=vq`):
 * hello.ring says PV_SPLITCONS_RING_VQ, the queue (event indexes on) lies
 * at PV_SPLITCONS_RING in the connection page, and the front end grants a
 * second frame, the buffer page, writable as ref PV_SPLITCONS_BUFS_GREF.
 * A request is a chain of two buffers, addressed by their offsets in the
 * buffer page: its data, device-readable (the descriptor's len is the
 * request's: 0 .. PV_SPLITCONS_DATA), then a device-writable struct
 * pv_splitcons_rsp (id: the chain's head). The device checks every
 * buffer lies inside the buffer page, reads each descriptor once, breaks
 * the queue for a chain that loops (virtqueue.h) and refuses a request of
 * another shape or a data length past PV_SPLITCONS_DATA (-PV_EINVAL). The
 * front end keeps PV_SPLITCONS_VQ_SLOTS requests in flight at most, the
 * Xen ring's slots, each at slot * PV_SPLITCONS_SLOT (the struct
 * pv_splitcons_req it fills, its data the readable buffer), each answer at
 * PV_SPLITCONS_VQ_RSP + slot * 8.
 *
 * Input. The driver VM holds the console's input too: when a line of the
 * guest's asks for it (the console protocol's "INPUT ready"), the driver
 * VM asks for it in its own line (the machine types to VM 0 only) and
 * forwards what is typed to it (its console_io reads, its console port's
 * events) to the guest through a byte ring in the connection page at
 * PV_SPLITCONS_INPUT, Xen's console in[] (io/console.h): the back end
 * writes data[prod % size] and then prod, and notifies on the same port;
 * the front end takes data[cons % size] up to prod and moves cons. Each
 * side reads the other's index once and trusts it no further than the
 * ring: a cons past prod or more than a ring behind it, and the back end
 * forwards no more; a prod more than a ring ahead, and the front end takes
 * no more.
 * ------------------------------------------------------------------- */
#define PV_SPLITCONS_BACK_DOM  0u          /* the driver VM */
#define PV_SPLITCONS_FRONT_DOM 1u          /* the guest it serves */
#define PV_SPLITCONS_GREF      0u          /* the connection page's grant ref */
#define PV_SPLITCONS_MAGIC     0x736E6F63u /* "cons" */
#define PV_SPLITCONS_RING      64u         /* the ring's offset in the page */
#define PV_SPLITCONS_SLOT      128u        /* bytes a slot: 16 slots */
#define PV_SPLITCONS_DATA      (PV_SPLITCONS_SLOT - 8u)
#define PV_SPLITCONS_PASS      32u         /* requests the back end takes before others run */
#define PV_SPLITCONS_LINE      200u        /* a printed line's bytes after the tag */
#define PV_SPLITCONS_WAIT_MS   2000u
#define PV_SPLITCONS_TAG       "[vm"       /* then the domain and "] " */
#define PV_SPLITCONS_RING_XEN  0u          /* hello.ring: lib/io_ring.h's */
#define PV_SPLITCONS_RING_VQ   1u          /* hello.ring: lib/virtqueue.h's, with a buffer page */
#define PV_SPLITCONS_BUFS_GREF 1u          /* the buffer page's grant ref (ring=vq) */
#define PV_SPLITCONS_VQ_SLOTS  16u         /* requests in flight (ring=vq) */
#define PV_SPLITCONS_VQ_RSP    2048u       /* the answers' offset in the buffer page */
#define PV_SPLITCONS_INPUT     3584u       /* the input ring's offset in the connection page */
#define PV_SPLITCONS_INPUT_BYTES 256u
struct pv_splitcons_input {
    uint32_t cons, prod;      /* the front end's, the back end's */
    char data[PV_SPLITCONS_INPUT_BYTES];
};
struct pv_splitcons_hello {
    uint32_t magic;           /* PV_SPLITCONS_MAGIC */
    uint32_t port;            /* the front end's port, offered to the back end */
    uint32_t ring;            /* PV_SPLITCONS_RING_XEN or _VQ */
};
struct pv_splitcons_req {
    uint32_t id;              /* the front end's, returned in the response */
    uint32_t len;             /* bytes of data: 0 .. PV_SPLITCONS_DATA */
    char data[PV_SPLITCONS_DATA];
};
struct pv_splitcons_rsp {
    uint32_t id;
    int32_t status;           /* bytes taken, or -PV_EINVAL */
};
