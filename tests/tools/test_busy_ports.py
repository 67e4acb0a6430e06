"""A Bochs run must not depend on the machine's free TCP ports.

Bochs's rfb display listens on the first free port of 5900-5949, a range
every other Bochs or VNC server on the machine shares (a CI failure came from
it). Here every one of those ports is held, on all addresses, while a real
run boots: the runner's private network namespace must make that harmless.
Runs in the tools suite, which runs alone: the held ports touch no other run.
"""
import os
import socket
import subprocess
import sys
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from runner import emulators  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
HV = os.path.join(BUILD, "hv", "hv.elf")
MBINFO = os.path.join(BUILD, "tests", "mbinfo.elf")
RFB_PORTS = range(5900, 5950)


def hold_ports():
    held = []
    for port in RFB_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("0.0.0.0", port))
            s.listen(1)
            held.append(s)
        except OSError:       # already taken by someone else: just as busy
            s.close()
    return held


@unittest.skipUnless(os.path.exists(HV) and os.path.exists(MBINFO), "build the kit first (make)")
class BusyPortsTest(unittest.TestCase):
    def test_bochs_runs_with_every_rfb_port_taken(self):
        if not emulators.private_network():
            self.skipTest("this machine allows no private network namespace (unshare)")
        held = hold_ports()
        try:
            r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "hvrun"), "--quiet",
                                "--timeout", "60", "--module", MBINFO, HV],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
        finally:
            for s in held:
                s.close()
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("hvrun: power-off, status 0", r.stdout)
        self.assertNotIn("failed to start", r.stdout)


if __name__ == "__main__":
    unittest.main()
