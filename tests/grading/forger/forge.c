/*
 * forge.c: a forging "hypervisor" (grading/README.md, "Forged lines"),
 * issue 13 finding 3. tests/grading/test_forgery.py pastes it into hv/main.c
 * of a copy of the reference and calls forge() right after the boot
 * information is parsed: no VMXON, no VMCS, no VM entry, ever. It reads
 * which test this is from its modules (the guest kernel's name and command
 * line) and prints the lines that test looks for, on COM1 and, for the
 * verdict lines, on port 0xE9, as the real hypervisor's console does.
 *
 * Graded by the old grader, it scored every point of lab 1. With the
 * emulator's record of VM exits in the verdict (vm_exits, challenge), only
 * the tests that check nothing but the hypervisor's own words (vmx-detect,
 * vmxon) remain.
 */
#include "string.h"

static int forge_has(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncmp(s, word, n) == 0)
            return 1;
    return 0;
}

/* The guest's command line: the module string after its path. */
static const char *forge_args(const char *module)
{
    while (*module && *module != ' ')
        module++;
    return *module ? module + 1 : module;
}

static _Noreturn void forge(const struct boot_info *bi)
{
    const char *guest = bi->module_count ? bi->modules[0].string : "";
    printf("hv: VMX: revision 0x4, MAXPHYADDR 40, secondary controls yes, EPT yes, "
           "unrestricted guest yes, VPID yes\n");
    printf("hv: VMXON ok\n");
    if (forge_has(bi->cmdline, "vmcs_break=guest-tr-type")) {
        printf("hv: VM-entry check: SDM 27.3.1.2 (Checks on Guest Segment Registers): TR type "
               "must be 3 or 11 (GUEST_TR_ACCESS_RIGHTS)\n");
        panic("VM entry failed (forged)");
    }
    if (forge_has(bi->cmdline, "vmcheck=1"))
        printf("hv: VM-entry check: the VMCS passes every check the checker knows\n");
    if (forge_has(guest, "mbinfo.elf")) {
        printf("mbinfo: magic ok\n");
        printf("mbinfo: flags=0x00000a4f\n");
        printf("mbinfo: mem_lower=639 mem_upper=64512\n");
        printf("mbinfo: mmap base=0x0000000000000000 len=0x000000000009fc00 type=1\n");
        printf("mbinfo: mmap base=0x0000000000100000 len=0x0000000003f00000 type=1\n");
        printf("mbinfo: cmdline='%s'\n", forge_args(guest));
        printf("mbinfo: loader='hvlab hypervisor'\n");
        printf("mbinfo: mods=%u\n", bi->module_count - 1);
        for (unsigned i = 1; i < bi->module_count; i++) {
            const struct boot_module *m = &bi->modules[i];
            const char *name = m->string;
            for (const char *p = m->string; *p && *p != ' '; p++)
                if (*p == '/')
                    name = p + 1;
            printf("mbinfo: module %u start=0x%08x size=%u aligned=yes crc32=%08x string='/boot/%s'\n",
                   i - 1, 0x200000 + 0x10000 * i, (unsigned)(m->end - m->start),
                   crc32((const void *)m->start, m->end - m->start), name);
        }
        printf("hv: guest stopped: it powered off with status 0\n");
        printf("hv: exits: 123 in all, 45678 cycles in the hypervisor\n");
        printf("hv: exits: I/O instruction            123 exits        45678 cycles      371 per exit\n");
        poweroff(0);
    }
    if (forge_has(guest, "kernel.elf")) {
        printf("guestos: hvlab guest OS (i386)\n");
        printf("VIRTCHECK cpuid_hv: hypervisor bit 1 vendor 'hvlabhvlabhv' -> DIFFERS\n");
        printf("VIRTCHECK cr0_ne: MOV from CR0 0x80000011, NE 0 (native 0: nothing set it) -> native\n");
        printf("VIRTCHECK cr4_vmxe: MOV from CR4 0x00000010, VMXE 0 (native 0: no VMX in this guest) -> native\n");
        printf("TEST virtcheck: ok\nTEST syscall: ok\nTEST timer: ok\n");
        printf("guestos: tests done: 21 passed, 0 failed\n");
        printf("hv: guest stopped: it powered off with status 0\n");
        printf("hv: exits: CPUID                   12 exits\n");
        printf("hv: exits: I/O instruction       6217 exits\n");
        printf("hv: exits: HLT                    300 exits\n");
        poweroff(0);
    }
    if (forge_has(guest, "badguest.elf")) {
        const char *args = forge_args(guest);
        printf("badguest: cmdline '%s'\n", args);
        if (forge_has(args, "do=msr-refused")) {
            printf("hv: guest reads MSR 0xc0000103: not allowed, #GP injected\n");
            printf("badguest: exception 13 error=0x0 eip=0x00101234 (at the rdmsr)\n");
        } else if (forge_has(args, "do=vmcall")) {
            printf("badguest: exception 6 error=0x0 eip=0x00101234 (at the vmcall)\n");
        } else if (forge_has(args, "do=triplefault")) {
            printf("hv: the last 3 VM exits, oldest first:\n");
            printf("hv: guest stopped: triple fault\n");
            poweroff(4);
        } else if (forge_has(args, "do=ept")) {
            printf("hv: guest stopped: EPT violation: it read from guest-physical 0xf0000000 "
                   "(linear 0xf0000000), outside its 64 MiB of RAM\n");
            poweroff(4);
        } else if (forge_has(args, "do=task-switch")) {
            printf("hv: guest stopped: a hardware task switch to TSS selector 0x18 by JMP: "
                   "hvlab does not emulate task switches\n");
            poweroff(4);
        } else if (forge_has(args, "do=refused")) {
            printf("badguest: cpuid.1:ecx xsave=0 osxsave=0\n"
                   "badguest: mov cr4 OSXSAVE: #GP\n"
                   "badguest: mov cr0 PG without PE: #GP\n"
                   "badguest: mov cr0 NW without CD: #GP\n"
                   "hv: guest writes MSR 0x277: 0x202020202020202 is not a value it can hold, #GP injected\n"
                   "badguest: wrmsr IA32_PAT 0x0202020202020202: #GP\n"
                   "badguest: wrmsr IA32_SYSENTER_EIP 0x0000800000000000: #GP\n"
                   "badguest: wrmsr IA32_SYSENTER_ESP 0xffff800000001000: no fault\n");
        } else if (forge_has(args, "do=fuzz=11")) {
            printf("badguest: fuzz seed=11: 3000 instructions, 1234 faulted: forged\n");
        }
        printf("badguest: done\n");
        printf("hv: guest stopped: it powered off with status 0\n");
        poweroff(0);
    }
    poweroff(0);
}

