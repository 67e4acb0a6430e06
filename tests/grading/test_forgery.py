"""test_forgery.py: a hypervisor that prints the lines instead of doing the work
scores nothing (issue 13, finding 3; grading/README.md "Forged lines").

The forger (tests/grading/forger/forge.c) is pasted into hv/main.c of a copy
of the reference: it never executes VMXON, reads the test from its modules
and prints what the test looks for, on COM1 and on its verdict channel. The
real grader (grading/grade.py) grades lab 1 there. Before the emulator's
record of VM exits was part of the verdict, this scored 125/125 (every test,
hidden ones included); now it scores 0: every test draws on the record, for
vmx-detect and vmxon the CPU's reads of the capability MSRs they report
(Bochs logs nothing for a VMXON that succeeds; see the README).

The quick checks below cover the pure parts: the record's parser (a line a
guest can make Bochs log is never taken for the CPU's), the challenge's
answer, and the judging of both.

Run by `make check` (tests/run_checks.py); about a minute on 2 cores.
"""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_grader import ROOT, Scenario, patch  # noqa: E402
import judge  # noqa: E402
import labspec  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tools"))
from runner import vmxrecord  # noqa: E402

FORGER = os.path.join(ROOT, "tests", "grading", "forger", "forge.c")


class ForgingHypervisor(Scenario):
    def test_forger_scores_nothing(self):
        with open(FORGER) as f:
            forge = f.read()
        patch(self.root, "hv/main.c", r"^void hv_main\(uint32_t magic, uint32_t mbi_pa\)\n\{",
              forge.replace("\\", "\\\\") + "\nvoid hv_main(uint32_t magic, uint32_t mbi_pa)\n{")
        patch(self.root, "hv/main.c", r"^        check_guest_kernel\(&boot, &groups\[i\], i\);\n",
              "        check_guest_kernel(&boot, &groups[i], i);\n    forge(&boot);\n")
        self.grade("--lab", "1", timeout=30)
        lab1 = [t for t in labspec.load_all(self.root) if t.lab == 1]
        self.assertEqual(set(self.results), {t.full_name for t in lab1}, self.text)
        for t in lab1:
            # Every test failed on the emulator's evidence, not on a line
            # the forger got wrong: what it printed passes must/must_not.
            self.assertFailed(t.full_name, r"the emulator saw")
        self.assertEqual(sum(r["score"] for r in self.results.values()), 0, self.text)


class Evidence(unittest.TestCase):
    """The record and the challenge, without a run."""

    LOG = """\
00000000000i[CPU0  ] 		vmx
00017531355d[CPU0  ] VMLAUNCH VMCS ptr: 0x0000000004302000
00017531378d[CPU0  ] VMEXIT: I/O port 0x03f9
00017531378d[CPU0  ] VMEXIT reason = 30 (I/O Instruction) qualification=0x3f90000
00017531379d[CPU0  ] page walk for address 0x0000000000101000
00017531380i[BIOS  ] 00017531378d[CPU0  ] VMEXIT reason = 10 (CPUID) qualification=0x0
00017531381e[CPU0  ] VMEXIT: Guest State Checks Failed
00017531535d[CPU0  ] VMRESUME VMCS ptr: 0x0000000004302000
00017531536d[CPU0  ] VMEXIT reason = 10 (CPUID) qualification=0x0
00017531537d[CPU0  ] RDMSR: read 01d81000:00000004 from MSR 480
00017531538d[CPU0  ] RDMSR: read 00000000:00000000 from MSR c0000080
00017531539i[BIOS  ] 00017531537d[CPU0  ] RDMSR: read 01d81000:00000004 from MSR 48b
"""

    def test_record_takes_only_the_cpus_own_lines(self):
        with tempfile.TemporaryDirectory() as d:
            log, rec = os.path.join(d, "emulator.log"), os.path.join(d, "record")
            with open(log, "w") as f:
                f.write(self.LOG)
            self.assertEqual(vmxrecord.extract(log, rec), 5)
            with open(rec) as f:
                text = f.read()
            entries, exits = vmxrecord.parse(text)
            with open(log) as f:
                kept = f.read()
        # The BIOS's line quoting a CPU line is the BIOS's, not an exit.
        self.assertEqual((entries, exits), (2, [(30, 0x3f90000), (10, 0)]))
        # Only the VMX MSRs' reads, only the CPU's own lines.
        self.assertEqual(vmxrecord.msr_reads(text), {0x480: [0x01d8100000000004]})
        self.assertNotIn("d[CPU0", re.sub(r"i\[BIOS  \] \d+d\[CPU0", "", kept))
        self.assertIn("Guest State Checks Failed", kept)

    def answer_record(self, nonce, lines, port_in=0x8):
        """A record in which the guest answered for `lines` (challenge.h)."""
        text = "entry\n"
        for line in lines:
            for bit in judge.challenge_answer(nonce, line):
                text += "exit 1e %x\n" % ((0xA1 if bit == "1" else 0x21) << 16 | port_in)
            text += "entry\nexit a 0\nentry\n"
        return text

    def test_challenge(self):
        nonce = "0123456789abcdef"
        console = "hv: hvlab hypervisor\nmbinfo: magic ok\nhv: exits\nmbinfo: mods=0\nPOWEROFF 0\n"
        lines = ["mbinfo: magic ok", "mbinfo: mods=0"]
        ok = self.answer_record(nonce, lines)
        self.assertEqual(judge.evidence_errors("^mbinfo: ", {"CPUID": 2}, console, nonce, ok), [])
        # Another nonce (a replayed answer), a line the guest never printed,
        # the lines out of order, OUT instead of IN, no record, no exits.
        bad = [(judge.evidence_errors("^mbinfo: ", {}, console, "0" * 16, ok), "mbinfo: magic ok"),
               (judge.evidence_errors("^mbinfo: ", {}, console + "mbinfo: forged\n", nonce, ok), "forged"),
               (judge.evidence_errors("^mbinfo: ", {}, console, nonce, self.answer_record(nonce, lines[::-1])),
                "mods=0"),
               (judge.evidence_errors("^mbinfo: ", {}, console, nonce, self.answer_record(nonce, lines, 0)),
                "magic ok"),
               (judge.evidence_errors("^mbinfo: ", {}, console, nonce, None), "missing"),
               (judge.evidence_errors("^mbinfo: ", {"CPUID": 3}, console, nonce, ok), "2 VM exits for CPUID"),
               (judge.evidence_errors("", {"HLT": 1}, console, nonce, "# nothing\n"), "no VM entry")]
        for errors, why in bad:
            self.assertTrue(errors and re.search(re.escape(why), errors[0]), (errors, why))

    def test_msr_reads(self):
        record = "rdmsr 3a 5\nrdmsr 480 1d8100000000004\n"
        self.assertEqual(judge.evidence_errors("", {}, "", "", record, [0x3a, 0x480]), [])
        # No VM entry is needed (vmx-detect runs before any), but every read is.
        errors = judge.evidence_errors("", {}, "", "", record, [0x480, 0x48c])
        self.assertEqual(len(errors), 1)
        self.assertRegex(errors[0], r"no RDMSR of IA32_VMX_EPT_VPID_CAP \(0x48c\)")
        self.assertTrue(judge.evidence_errors("", {}, "", "", None, [0x480]))

    def test_lab1_declarations_use_the_record(self):
        """Every lab 1 test draws on the record."""
        for t in labspec.load_all(ROOT, labs=[1]):
            self.assertTrue(t.needs_record, t.full_name)
            for name in t.vm_exits:
                self.assertIn(name, judge.EXIT_REASONS, t.full_name)
            if t.challenge:
                self.assertIn("challenge=" + labspec.NONCE_SLOT, " ".join(t.argv))
                self.assertIn("challenge=0123456789abcdef", " ".join(t.run_argv("0123456789abcdef")))


if __name__ == "__main__":
    unittest.main()
