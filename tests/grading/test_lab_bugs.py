"""test_lab_bugs.py: each lab's tests catch the bugs they are written for.

A test that passes on a buggy hypervisor grades nothing. `make check-labs`
proves every test fails on its lab's skeleton (nothing written); this file
proves the sharper tests also fail on a hypervisor with one classic bug
planted in otherwise correct code, the bugs the labs' handouts warn about:

  lab 1: CPUID without the hypervisor bit; COM1 output dropped; a dispatcher
         without the CPUID case;
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
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_grader import Scenario, patch  # noqa: E402

TIMEOUT = 30


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

    def test_lab1_a_dispatcher_without_the_cpuid_case(self):
        # The exit has no handler: the guest is stopped with the reason's
        # name (never a silent skip), and the test says so.
        patch(self.root, "hv/exit.c", r"\n    case EXIT_CPUID: +handle_cpuid\(v\); break;", "")
        self.grade("--test", "lab1-cpuid", timeout=TIMEOUT)
        out = self.assertFailed("lab1-cpuid")
        self.assertRegex(out, r"hv: guest stopped: no handler for VM exit reason 10 \(CPUID\): add one to "
                              r"handle_exit in hv/exit\.c")

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
