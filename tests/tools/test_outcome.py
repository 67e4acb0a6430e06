"""Unit tests of tools/runner/outcome.py: how the runner names a run's end."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from runner import outcome  # noqa: E402

BOCHS_TRIPLE = ("00012345678e[CPU0  ] exception(): 3rd (13) exception with no resolution, "
                "shutdown status is 00h, resetting\n")


class ClassifyTest(unittest.TestCase):
    def classify(self, console, log="", timed_out=False):
        return outcome.classify(console, log, timed_out, 7)

    def test_poweroff_zero_is_success(self):
        r = self.classify("hv: hello\nPOWEROFF 0\n")
        self.assertEqual(r.status, outcome.POWEROFF_OK)

    def test_poweroff_nonzero_is_a_reported_failure(self):
        r = self.classify("TEST x: FAIL bad\nPOWEROFF 1\n")
        self.assertEqual(r.status, outcome.POWEROFF_FAIL)
        self.assertIn("status 1", r.summary)

    def test_guest_stopped_by_the_hypervisor_is_named(self):
        r = self.classify("hv: guest stopped: triple fault\nPOWEROFF 4\n")
        self.assertEqual(r.status, outcome.POWEROFF_FAIL)
        self.assertIn("stopped a misbehaving guest", r.summary)

    def test_the_last_poweroff_has_the_final_word(self):
        r = self.classify("POWEROFF 0\nhv: guest stopped: triple fault\nPOWEROFF 4\n")
        self.assertEqual(r.status, outcome.POWEROFF_FAIL)
        self.assertIn("status 4", r.summary)

    def test_panic_wins_over_its_poweroff(self):
        r = self.classify("hv: hi\nPANIC hv: out of memory\nrip=...\nPOWEROFF 3\n")
        self.assertEqual(r.status, outcome.PANIC)
        self.assertEqual(r.summary, "PANIC hv: out of memory")

    def test_panic_must_start_a_line(self):
        r = self.classify("guest says: PANIC is not a panic\nPOWEROFF 0\n")
        self.assertEqual(r.status, outcome.POWEROFF_OK)

    def test_poweroff_must_be_a_whole_line(self):
        r = self.classify("echo POWEROFF 0 from a test\n", timed_out=True)
        self.assertEqual(r.status, outcome.TIMEOUT)

    def test_bochs_triple_fault(self):
        r = self.classify("hv: hi\n", BOCHS_TRIPLE)
        self.assertEqual(r.status, outcome.TRIPLE_FAULT)
        self.assertIn("3rd (13) exception", r.detail)

    def test_qemu_triple_fault(self):
        r = self.classify("", "CPU Reset (CPU 0)\nTriple fault\nCPU Reset (CPU 0)\n")
        self.assertEqual(r.status, outcome.TRIPLE_FAULT)
        self.assertEqual(r.detail, "Triple fault")

    def test_timeout_names_the_limit(self):
        r = self.classify("hv: spinning\n", timed_out=True)
        self.assertEqual(r.status, outcome.TIMEOUT)
        self.assertIn("7 s", r.summary)

    def test_emulator_that_stopped_by_itself(self):
        r = self.classify("hv: hi\n")
        self.assertEqual(r.status, outcome.EMULATOR_DIED)

    def test_every_status_has_a_distinct_name(self):
        statuses = [outcome.POWEROFF_OK, outcome.POWEROFF_FAIL, outcome.USAGE, outcome.PANIC,
                    outcome.TRIPLE_FAULT, outcome.TIMEOUT, outcome.EMULATOR_DIED]
        self.assertEqual(len(set(statuses)), len(statuses))
        self.assertEqual(len({outcome.NAMES[s] for s in statuses}), len(statuses))


if __name__ == "__main__":
    unittest.main()
