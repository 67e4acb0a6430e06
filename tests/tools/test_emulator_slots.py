"""The emulator slots (tools/runner/slots.py): never more emulators at once
than slots, whoever starts them, and a run's timeout counted from its slot.

`make check` runs its suites side by side (tests/run_checks.py); only the
slots keep their Bochs and QEMU runs from outnumbering the cores.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from runner import slots  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
MBINFO = os.path.join(BUILD, "tests", "mbinfo.elf")
DIED, TIMEOUT = 6, 5     # the runner's exit statuses (tools/runner/outcome.py)


def most_at_once(intervals):
    """The largest number of (start, end) intervals that overlap."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


class Slots(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="hvlab-slots-")
        self.addCleanup(tmp.cleanup)
        self.folder = slots.create(os.path.join(tmp.name, "slots"), 2)
        # The slots of a `make check` around this test are not these.
        env = mock.patch.dict(os.environ, {slots.SLOTS_ENV: self.folder})
        env.start()
        self.addCleanup(env.stop)
        os.environ.pop(slots.HELD_ENV, None)

    def in_threads(self, count=6, hold=0.2):
        """(start, end) of `count` threads, each holding a slot `hold` s."""
        spans, lock = [], threading.Lock()

        def one():
            with slots.emulator_slot():
                start = time.monotonic()
                time.sleep(hold)
                with lock:
                    spans.append((start, time.monotonic()))
        threads = [threading.Thread(target=one) for _ in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return spans

    def test_no_more_than_the_slots_at_once(self):
        spans = self.in_threads()
        self.assertEqual(len(spans), 6)
        self.assertEqual(most_at_once(spans), 2)

    def test_no_limit_without_the_folder(self):
        del os.environ[slots.SLOTS_ENV]
        self.assertEqual(most_at_once(self.in_threads()), 6)

    def test_a_caller_holding_the_slot_takes_none_more(self):
        os.environ.update(slots.held_env())
        self.assertEqual(os.environ[slots.HELD_ENV], "1")
        self.assertEqual(most_at_once(self.in_threads()), 6)

    def test_a_killed_holder_gives_its_slot_back(self):
        code = ("import sys, time; sys.path.insert(0, %r)\n"
                "from runner import slots\n"
                "with slots.emulator_slot():\n"
                "    print('held', flush=True); time.sleep(60)\n" % os.path.join(ROOT, "tools"))
        holders = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
                   for _ in range(2)]
        for p in holders:
            self.assertEqual(p.stdout.readline(), "held\n")
        self.assertIsNone(slots.try_take(slots.slot_files(self.folder)), "both slots are held")
        for p in holders:
            p.send_signal(signal.SIGKILL)
            p.wait()
            p.stdout.close()
        fd = slots.try_take(slots.slot_files(self.folder))
        self.assertIsNotNone(fd, "a dead process's slot is free again")
        os.close(fd)

    def test_create_keeps_exactly_count_slots(self):
        slots.create(self.folder, 3)
        self.assertEqual(len(slots.slot_files(self.folder)), 3)
        slots.create(self.folder, 1)
        self.assertEqual(sorted(os.listdir(self.folder)), ["slot-0"])


FAKE_QEMU = """#!/bin/sh
start=$(date +%s.%N)
sleep {seconds}
echo "$start $(date +%s.%N)" >> "{log}"
exit 1
"""


@unittest.skipUnless(os.path.exists(MBINFO), "build the kit first (make)")
class RunnerTakesASlot(unittest.TestCase):
    """tools/hvrun itself, with a fake QEMU that sleeps and dies."""

    def test_runs_wait_for_the_slot_and_then_get_their_whole_timeout(self):
        with tempfile.TemporaryDirectory(prefix="hvlab-slots-") as tmp:
            log = os.path.join(tmp, "spans")
            bin_dir = os.path.join(tmp, "bin")
            os.makedirs(bin_dir)
            fake = os.path.join(bin_dir, "qemu-system-x86_64")
            with open(fake, "w") as f:
                f.write(FAKE_QEMU.format(seconds=2.5, log=log))
            os.chmod(fake, 0o755)
            env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"],
                       **{slots.SLOTS_ENV: slots.create(os.path.join(tmp, "slots"), 1)})
            env.pop(slots.HELD_ENV, None)
            # Three runs of 2.5 s in one slot: the last starts 5 s late, and
            # must still have its 4.5 s (2 s to spare on a loaded machine).
            argv = [sys.executable, os.path.join(ROOT, "tools", "hvrun"), "--quiet", "--timeout", "4.5",
                    "--emu", "qemu", "--boot", "kernel", MBINFO]
            runs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    for _ in range(3)]
            outs = [p.communicate(timeout=60)[0] for p in runs]
            with open(log) as f:
                spans = [tuple(map(float, line.split())) for line in f]
        self.assertEqual(len(spans), 3, outs)
        self.assertEqual(most_at_once(spans), 1, spans)
        self.assertEqual([p.returncode for p in runs], [DIED] * 3, outs)


if __name__ == "__main__":
    unittest.main()
