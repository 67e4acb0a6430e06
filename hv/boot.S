/*
 * boot.S: the hypervisor's first instructions. Runs in 32-bit protected mode
 * (as a Multiboot v1 loader leaves the CPU), switches to 64-bit long mode and
 * calls hv_main(magic, mbi) in C.
 *
 * What the loader guarantees (Multiboot spec 0.6.96, 3.2 "Machine state"):
 * EAX = 0x2BADB002, EBX = physical address of the Multiboot information, CS/DS/
 * ES/SS flat 4 GiB segments, CR0.PE=1, CR0.PG=0, interrupts off. No stack.
 *
 * Steps (SDM vol. 3, 10.8.5 "Initializing IA-32e Mode"; 9.8.5 in
 * editions before 2023):
 *   1. keep EAX/EBX; zero the .bss (stacks, page tables);
 *   2. check that the CPU has long mode at all, and say so on COM1 if not;
 *   3. build page tables that identity-map the first 4 GiB;
 *   4. CR4.PAE=1, CR3=PML4, EFER.LME=1, CR0.PG=1: the CPU is now in IA-32e
 *      mode, still running 32-bit compatibility-mode code;
 *   5. load a GDT with a 64-bit code segment and far-jump into it;
 *   6. set up the stack and call hv_main. gdt.c then replaces this minimal
 *      GDT with the full one (with a TSS).
 */
#include "cpu/gdt.h"
#include "cpu/stack.h"
#include "x86/x86.h"

/* ------------------------------------------------------------------------
 * The Multiboot v1 header (spec 3.1.1 "The layout of Multiboot header").
 * Flag bit 16 (the "a.out kludge") makes the loader use the address fields
 * below instead of parsing the ELF file: GRUB, QEMU's -kernel and the kit's
 * loader all accept a 64-bit ELF that way. hv/linker.ld makes the file one
 * contiguous image so that load_addr..load_end_addr are exactly file bytes.
 * ------------------------------------------------------------------------ */
#define MB_HEADER_MAGIC   0x1BADB002
#define MB_PAGE_ALIGN     (1 << 0)   /* modules on page boundaries */
#define MB_MEMORY_INFO    (1 << 1)   /* we need mem_* and the memory map */
#define MB_AOUT_KLUDGE    (1 << 16)  /* header_addr.. entry_addr are valid */
#define MB_HEADER_FLAGS   (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)  /* the three sum to 0 */
    .long multiboot_header      /* header_addr: where this header is loaded */
    .long __image_start         /* load_addr: first byte loaded */
    .long __load_end            /* load_end_addr: end of the file's bytes */
    .long __image_end           /* bss_end_addr: end of .bss (zeroed) */
    .long multiboot_entry       /* entry_addr */

/* ------------------------------------------------------------------------
 * 32-bit entry.
 * ------------------------------------------------------------------------ */
    .section .text.boot, "ax"
    .code32
    .globl multiboot_entry
    .type multiboot_entry, @function
multiboot_entry:
    cld
    mov %eax, %esi              /* keep the magic: rep stos uses EAX */
    mov %ebx, %ebp              /* keep the mbi address */

    /* Zero .bss ourselves: the spec says the loader does, but a loader that
     * forgets would leave random page-table entries here. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    mov $(boot_stack + BOOT_STACK_SIZE), %esp   /* the loader gives none */

    call check_long_mode
    call build_page_tables
    call enable_long_mode

    /* A far jump loads CS from the new GDT; with CS.L=1 the CPU leaves
     * compatibility mode and executes 64-bit code. */
    lgdt boot_gdt_pointer
    ljmp $GDT_KERNEL_CS, $long_mode_entry
    .size multiboot_entry, . - multiboot_entry

/* Long mode needs CPUID leaf 0x80000001, EDX bit 29 (LM) (SDM vol. 2A,
 * CPUID). A CPU without it gets a clear message instead of a triple fault. */
    .type check_long_mode, @function
check_long_mode:
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax       /* is the extended leaf there at all? */
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc no_long_mode
    ret
    .size check_long_mode, . - check_long_mode

    .type no_long_mode, @function
no_long_mode:
    mov $no_long_mode_msg, %esi
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $0x3FD, %dx             /* COM1 line status: wait for THR empty */
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov $0x3F8, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
3:  mov $0x3FD, %dx             /* drain: wait until the UART is idle */
4:  in %dx, %al
    test $0x40, %al
    jz 4b
    /* The same power-off ports as lib/poweroff.c: QEMU's isa-debug-exit,
     * then Bochs's shutdown port. */
    mov $3, %al                 /* POWEROFF_PANIC */
    out %al, $0xF4
    mov $shutdown_string, %esi
    mov $0x8900, %dx
5:  lodsb
    test %al, %al
    jz 6f
    out %al, %dx
    jmp 5b
6:  cli
    hlt
    jmp 6b
    .size no_long_mode, . - no_long_mode

/* Identity-map physical 0..4 GiB (SDM vol. 3, 4.5 "4-Level Paging"):
 *   PML4[0] -> PDPT; PDPT[0..3] -> four page directories;
 *   each PDE maps a 2 MiB page (PS=1), except the first one, which points to
 *   a page table of 4 KiB pages whose entry 0 is left not-present, so that a
 *   NULL pointer dereference is a page fault, not a silent read of the
 *   real-mode interrupt table. */
    .type build_page_tables, @function
build_page_tables:
    mov $boot_pdpt, %eax
    or $(PTE_PRESENT | PTE_WRITE), %eax
    mov %eax, boot_pml4

    mov $boot_pd, %eax          /* PDPT[i] = &boot_pd[i * 512] */
    or $(PTE_PRESENT | PTE_WRITE), %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(, %ecx, 8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jb 1b

    /* PDE i maps [i * 2 MiB, (i + 1) * 2 MiB): 2048 entries cover 4 GiB. The
     * high dword of each 8-byte entry stays 0 (from zeroing .bss) since
     * every address is below 4 GiB. */
    mov $(PTE_PRESENT | PTE_WRITE | PTE_LARGE), %eax
    xor %ecx, %ecx
2:  mov %eax, boot_pd(, %ecx, 8)
    add $0x200000, %eax
    inc %ecx
    cmp $2048, %ecx
    jb 2b

    /* The first 2 MiB through 4 KiB pages, page 0 absent. */
    mov $boot_pt0, %eax
    or $(PTE_PRESENT | PTE_WRITE), %eax
    mov %eax, boot_pd
    mov $(0x1000 | PTE_PRESENT | PTE_WRITE), %eax
    mov $1, %ecx
3:  mov %eax, boot_pt0(, %ecx, 8)
    add $0x1000, %eax
    inc %ecx
    cmp $512, %ecx
    jb 3b
    ret
    .size build_page_tables, . - build_page_tables

/* The order is the SDM's: PAE before LME, LME before PG (10.8.5). */
    .type enable_long_mode, @function
enable_long_mode:
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4

    mov $boot_pml4, %eax
    mov %eax, %cr3

    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr

    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax /* WP: ring 0 honours read-only pages too */
    /* Caching on: CD and NW are set at reset (SDM 11.5.1, table 11-5) and
     * not every firmware clears them (Bochs's BIOS leaves both); with CD
     * the CPU would run the hypervisor and its guests uncached. */
    and $~(CR0_CD | CR0_NW), %eax
    mov %eax, %cr0
    ret
    .size enable_long_mode, . - enable_long_mode

/* ------------------------------------------------------------------------
 * 64-bit entry.
 * ------------------------------------------------------------------------ */
    .code64
    .type long_mode_entry, @function
long_mode_entry:
    /* Data segment registers are ignored for addressing in 64-bit mode, but
     * SS must hold a valid selector (or null) and the others should not keep
     * 32-bit descriptors the next GDT does not have. */
    mov $GDT_KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs

    /* 32-bit moves zero-extend: the upper halves of the registers are
     * undefined after the mode switch (SDM vol. 1, 3.4.1.1 "General-Purpose
     * Registers in 64-Bit Mode"). */
    mov %esi, %edi              /* hv_main(magic, mbi): SysV arguments */
    mov %ebp, %esi
    mov $(boot_stack + BOOT_STACK_SIZE), %rsp
    xor %ebp, %ebp              /* RBP = 0 ends every backtrace here */
    call hv_main
1:  cli                         /* hv_main never returns; just in case */
    hlt
    jmp 1b
    .size long_mode_entry, . - long_mode_entry

/* ------------------------------------------------------------------------
 * Data: the boot GDT and the page tables.
 * ------------------------------------------------------------------------ */
    .section .rodata
    .balign 8
/* Just enough to enter 64-bit mode: null, 64-bit code (L=1), data. The
 * selectors match gdt.c's so nothing changes when C loads the full GDT. */
boot_gdt:
    .quad 0
    .quad 0x00AF9B000000FFFF    /* GDT_KERNEL_CS: P, DPL 0, code, accessed; G, L */
    .quad 0x00CF93000000FFFF    /* GDT_KERNEL_DS: P, DPL 0, data rw, accessed; G, D/B */
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

no_long_mode_msg:
    .ascii "PANIC hv: this CPU has no long mode (CPUID.80000001H:EDX.LM[bit 29] = 0): "
    .ascii "the hypervisor needs an x86-64 CPU\n"
    .asciz "POWEROFF 3\n"
shutdown_string:
    .asciz "Shutdown"

    .section .bss
    .balign 4096
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
boot_pt0:   .skip 4096

    .section .note.GNU-stack, "", @progbits
