"""test_lab_bugs.py: each lab's tests catch the bugs they are written for.

A test that passes on a buggy hypervisor grades nothing. `make check-labs`
proves every test fails on its lab's skeleton (nothing written); this file
proves the sharper tests also fail on a hypervisor with one classic bug
planted in otherwise correct code, the bugs the labs' handouts warn about:

  lab 1: CPUID without the hypervisor bit; COM1 output dropped; a dispatcher
         without the CPUID case; and the silent mistakes the hypervisor
         names for the student (handout 6, "Common mistakes"): a CPUID
         handler that does not advance RIP, a reserved EPT memory type, no
         CR0 or CR4 guest/host mask, HOST_RIP never written, and (vmcheck=1)
         guest RAM mapped uncacheable;
  lab 2: INVLPG ignored; MOV to CR3 without a flush; a page mapped writable
         before its dirty bit is set (the D bit is lost): each is caught by
         its stress test and by lab2-ptfuzz, which compares every answer of
         random page tables with the bare CPU's; a paging-mode change that
         keeps global entries, which only lab2-ptfuzz catches.

Each scenario copies the tree, plants one bug (the pattern must match once,
so a change in hv/ shows here as an error, not a silent pass), builds,
grades the tests named, and checks which pass and which fail.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_grader import Scenario, patch  # noqa: E402

TIMEOUT = 30
HVRUN_TIMEOUT = 30


def hvrun(root, *argv):
    """One run in the scenario's tree, with the hypervisor it built: the console."""
    return subprocess.run([os.path.join(root, "tools", "hvrun"), "--quiet", "--log", "/dev/stdout", "--timeout",
                           str(HVRUN_TIMEOUT)] + list(argv), cwd=root, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=HVRUN_TIMEOUT + 60).stdout


class LabTestsCatchBugs(Scenario):

    def check(self, must_fail, must_pass=()):
        tests = list(must_fail) + list(must_pass)
        args = []
        for t in tests:
            args += ["--test", t]
        self.grade(*args, timeout=TIMEOUT)
        for t in must_fail:
            self.assertFailed(t)
        for t in must_pass:
            self.assertPassed(t)

    def test_lab1_cpuid_without_the_hypervisor_bit(self):
        patch(self.root, "hv/exit_cpuid.c", r"\n            r\.ecx \|= CPUID_1_ECX_HYPERVISOR;", "")
        self.check(["lab1-cpuid"], ["lab1-launch"])

    def test_lab1_console_output_dropped(self):
        patch(self.root, "hv/exit_io.c", r"uart_write\(&com1, io->port - COM1_BASE, \(uint8_t\)value\);",
              "(void)value;")
        self.check(["lab1-uart", "lab1-guest-os"], ["lab1-vmxon"])

    def named(self, test, shows, why=()):
        """The planted mistake fails `test`, whose verdict matches every
        regex of `why`, and whose output names the mistake: every regex of
        `shows` matches it. Returns the output."""
        self.grade("--test", test, timeout=TIMEOUT)
        out = self.assertFailed(test, *why)
        for line in shows:
            self.assertRegex(out, line)
        return out

    def test_lab1_a_dispatcher_without_the_cpuid_case(self):
        # The exit has no handler: the guest is stopped with the reason's
        # name (never a silent skip), and the test says so.
        patch(self.root, "hv/exit.c", r"\n    case EXIT_CPUID: +handle_cpuid\(v\); break;", "")
        self.named("lab1-cpuid", [r"hv: guest stopped: no handler for VM exit reason 10 \(CPUID\): add one to "
                                  r"handle_exit in hv/exit\.c"])

    def test_lab1_cpuid_without_advancing_rip(self):
        # The guest executes its CPUID forever: stopped at once, not a
        # 120 s timeout, with the instruction and the handler to look at.
        patch(self.root, "hv/exit_cpuid.c", r"(handle_cpuid\(struct vcpu \*v\)\n\{.*?)\n    advance_rip\(v\);",
              r"\1")
        self.named("lab1-cpuid", [r"hv: guest stopped: 10000 VM exits in a row for CPUID at rip 0x[0-9a-f]+, "
                                  r"qualification 0x0, and the handler left RIP there: did it advance RIP\? "
                                  r"\(SDM 28\.2\.5: ",
                                  r"hv: guest instruction at 0x[0-9a-f]{8}: 0f a2\n", r"hv:   #\d+ CPUID \(10\) rip=0x"],
                   why=[r"^power-off with failure status: hv: guest stopped: 10000 VM exits"])
        self.assertLess(self.seconds, TIMEOUT + 40)

    def test_lab1_reserved_ept_memory_type(self):
        # Memory type 2 in every leaf: the first fetch is an EPT
        # misconfiguration, reported with the entry, not "no handler".
        patch(self.root, "hv/ept.c", r"hpa \| EPT_MEMTYPE_WB \| perms", "hpa | (2ull << 3) | perms")
        out = self.named("lab1-launch", [
            r"hv: EPT walk of guest-physical 0x[0-9a-f]+: PML4E=0x[0-9a-f]+ PDPTE=0x[0-9a-f]+ PDE=0x[0-9a-f]+ "
            r"PTE=0x[0-9a-f]+\n",
            r"hv: guest stopped: EPT misconfiguration at guest-physical 0x[0-9a-f]+: the PTE \(level 1\) "
            r"0x[0-9a-f]*1[0-7] has a reserved memory type in bits 5:3 .*\(SDM 29\.3\.3\.1\)"])
        self.assertNotIn("no handler for VM exit reason 49", out)

    def test_lab1_uncacheable_guest_ram(self):
        # UC is legal: the test passes, slowly on real hardware; vmcheck=1
        # says so, with the range and the type.
        patch(self.root, "hv/ept.c", r"hpa \| EPT_MEMTYPE_WB \| perms", "hpa | perms")
        self.grade("--test", "lab1-launch", timeout=TIMEOUT)
        self.assertPassed("lab1-launch")
        out = hvrun(self.root, "--module", "build/tests/mbinfo.elf", "build/hv/hv.elf", "--", "vmcheck=1")
        self.assertRegex(out, r"(?m)^hv: VM-entry check: warning: SDM 29\.3\.7 \(EPT and Memory Typing\): guest RAM "
                              r"should be write-back \(6\) in the EPT \[guest-physical 0x0-0x3ffffff has memory type 0 "
                              r"\(UC\)\]")
        self.assertRegex(out, r"(?m)^POWEROFF 0$")

    def test_lab1_no_cr0_guest_host_mask(self):
        # The guest reads the real CR0, NE included.
        patch(self.root, "hv/vmcs_setup.c", r"(VMCS_CR0_GUEST_HOST_MASK, cr0_fixed) & 0xFFFFFFFF\);", r"\1 & 0);")
        self.check(["lab1-cpuid"], ["lab1-launch"])
        self.assertRegex(self.results["lab1-cpuid"]["output"], r"VIRTCHECK cr0_ne: MOV from CR0 0x[0-9a-f]+, NE 1 .* -> DIFFERS")

    def test_lab1_no_cr4_guest_host_mask(self):
        # The guest reads the real CR4, VMXE included.
        patch(self.root, "hv/vmcs_setup.c", r"(VMCS_CR4_GUEST_HOST_MASK, \()cr4_fixed \|", r"\1(cr4_fixed & 0) |")
        self.check(["lab1-cpuid"], ["lab1-launch"])
        self.assertRegex(self.results["lab1-cpuid"]["output"],
                         r"VIRTCHECK cr4_vmxe: MOV from CR4 0x[0-9a-f]+, VMXE 1 .* -> DIFFERS")

    def test_lab1_host_rip_never_written(self):
        # The entry succeeds; the first exit jumps to 0. The panic names the field.
        patch(self.root, "hv/vmcs_setup.c", r"\n    vmcs_write\(VMCS_HOST_RIP, \(uint64_t\)vmx_exit\);", "")
        self.named("lab1-launch", [r"hv: the hypervisor faulted after entering the guest, and HOST_RIP \(VMCS field "
                                   r"0x6c16\) is 0x0, not vmx_exit \(0x[0-9a-f]+\): .*\(SDM 28\.5\.3"],
                   why=[r"exception #PF .* at rip=0x0000000000000000"])

    def test_lab2_invlpg_ignored(self):
        patch(self.root, "hv/shadow.c", r"(    s->invlpgs\+\+;\n)", r"\1    return;\n")
        self.check(["lab2-stress-invlpg", "lab2-ptfuzz"], ["lab2-identity-shadow"])
        self.assertRegex(self.results["lab2-ptfuzz"]["output"], r"differs from the bare CPU: 'badguest: ptfuzz ")

    def test_lab2_cr3_load_without_flush(self):
        patch(self.root, "hv/shadow.c", r"(    s->cr3_loads\+\+;\n)    flush\(s, true\);\n", r"\1")
        self.check(["lab2-stress-cr3-switch", "lab2-ptfuzz"], ["lab2-identity-shadow"])

    def test_lab2_paging_mode_change_keeps_global_entries(self):
        # A MOV to CR4 that changes PGE must drop global entries too (SDM
        # 4.10.4.1); only lab2-ptfuzz, which uses global pages, sees this one.
        patch(self.root, "hv/shadow.c", r"(    s->full_flushes\+\+;\n    flush\(s, )false\);", r"\1true);")
        self.check(["lab2-ptfuzz"], ["lab2-identity-shadow", "lab2-guest-os-shadow"])

    def test_lab2_dirty_bit_lost(self):
        patch(self.root, "hv/shadow.c", r"if \(w\.writable && w\.dirty\)", "if (w.writable)")
        self.check(["lab2-accessed-dirty", "lab2-stress-accessed-dirty", "lab2-ptfuzz"], ["lab2-identity-shadow"])


if __name__ == "__main__":
    unittest.main()
