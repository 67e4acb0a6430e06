"""Unit tests of tools/runner/outcome.py: how the runner names a run's end."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from runner import console, outcome  # noqa: E402

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

    # The hypervisor's private verdict channel (port 0xE9): once it has
    # announced itself there, COM1's POWEROFF and PANIC lines are the guest's
    # and count for nothing.
    HV = "hv: hvlab hypervisor (x86-64), tsc=1\n"

    def channel(self, console, channel, log="", timed_out=False):
        return outcome.classify(console, log, timed_out, 7, channel)

    def test_channel_poweroff_wins_over_a_forged_console_line(self):
        r = self.channel("POWEROFF 0\nhv: guest stopped: it powered off with status 1\nPOWEROFF 1\n",
                         self.HV + "hv: guest stopped: it powered off with status 1\nPOWEROFF 1\n")
        self.assertEqual(r.status, outcome.POWEROFF_FAIL)
        self.assertIn("status 1", r.summary)

    def test_a_forged_console_poweroff_is_not_a_power_off(self):
        r = self.channel("POWEROFF 0\n", self.HV, timed_out=True)
        self.assertEqual(r.status, outcome.TIMEOUT)

    def test_a_forged_console_panic_is_not_a_panic(self):
        r = self.channel("PANIC hv: forged\nPOWEROFF 0\n", self.HV + "POWEROFF 0\n")
        self.assertEqual(r.status, outcome.POWEROFF_OK)

    def test_a_channel_panic_is_a_panic(self):
        r = self.channel("PANIC hv: out of memory\nPOWEROFF 3\n",
                         self.HV + "PANIC hv: out of memory\nPOWEROFF 3\n")
        self.assertEqual(r.status, outcome.PANIC)
        self.assertEqual(r.summary, "PANIC hv: out of memory")

    def test_a_hypervisor_that_dies_silently_is_the_emulators_outcome(self):
        r = self.channel("POWEROFF 0\n", self.HV, BOCHS_TRIPLE)
        self.assertEqual(r.status, outcome.TRIPLE_FAULT)
        r = self.channel("POWEROFF 0\n", self.HV)
        self.assertEqual(r.status, outcome.EMULATOR_DIED)

    def test_a_channel_without_the_hypervisor_is_not_trusted(self):
        # Bochs's own debugger lines share its standard output; a native
        # kernel is judged by COM1.
        r = self.channel("TEST x: ok\nPOWEROFF 0\n", "Next at t=0\nPOWEROFF 1\n")
        self.assertEqual(r.status, outcome.POWEROFF_OK)

    def test_channel_lines_among_bochs_debugger_lines(self):
        r = self.channel("PANIC hv: forged\n", "Next at t=0\n(0) [0x0000fffffff0] f000:fff0: jmpf\n"
                         + self.HV + "POWEROFF 0\n(0).[4440174] [0x102020] out dx, al\n")
        self.assertEqual(r.status, outcome.POWEROFF_OK)

    def test_every_status_has_a_distinct_name(self):
        statuses = [outcome.POWEROFF_OK, outcome.POWEROFF_FAIL, outcome.USAGE, outcome.PANIC,
                    outcome.TRIPLE_FAULT, outcome.TIMEOUT, outcome.EMULATOR_DIED]
        self.assertEqual(len(set(statuses)), len(statuses))
        self.assertEqual(len({outcome.NAMES[s] for s in statuses}), len(statuses))


class EndOfRunTest(unittest.TestCase):
    """console.Watch.ended: when the runner gives the emulator its last
    seconds. A forged POWEROFF on COM1 must not start them."""

    def watch(self, text):
        w = console.Watch("/nonexistent", False, None)
        w.text = text
        return w

    def test_native_poweroff_ends_the_run(self):
        self.assertEqual(self.watch("POWEROFF 0\n").ended(""), console.GRACE_AFTER_POWEROFF)

    def test_forged_poweroff_under_the_hypervisor_does_not(self):
        self.assertIsNone(self.watch("POWEROFF 0\n").ended(ClassifyTest.HV))

    def test_the_hypervisors_poweroff_does(self):
        self.assertEqual(self.watch("").ended(ClassifyTest.HV + "POWEROFF 4\n"), console.GRACE_AFTER_POWEROFF)


if __name__ == "__main__":
    unittest.main()
