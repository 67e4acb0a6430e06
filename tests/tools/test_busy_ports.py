"""A Bochs run must not depend on the machine's free TCP ports.

Bochs's rfb display listens on the first free port of 5900-5949, a range
every other Bochs or VNC server on the machine shares (a CI failure came from
it). Here every one of those ports is held, on all addresses, while a real
run boots: the runner's private network namespace must make that harmless.
The test holds them in a network namespace of its own, so that it disturbs
nothing else on the machine (another user's Bochs, say).
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
        prefix = emulators.private_network()
        if not prefix:
            self.skipTest("this machine allows no private network namespace (unshare)")
        # The ports are held in a namespace of the test's own, so that no
        # other Bochs on the machine (another user's run) is disturbed; the
        # runner, started in there, must still find ports of its own.
        r = subprocess.run(prefix + [sys.executable, os.path.abspath(__file__), "--hold-ports-and-run"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("held 50 ports", r.stdout)
        self.assertIn("hvrun: power-off, status 0", r.stdout)
        self.assertNotIn("failed to start", r.stdout)


def hold_ports_and_run():
    """Inside the test's namespace: take every rfb port, boot, report."""
    held = hold_ports()
    print("held %d ports" % len(held), flush=True)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "hvrun"), "--quiet", "--timeout", "60",
                        "--module", MBINFO, HV], stderr=subprocess.STDOUT, timeout=180)
    return r.returncode


if __name__ == "__main__":
    if sys.argv[1:] == ["--hold-ports-and-run"]:
        sys.exit(hold_ports_and_run())
    unittest.main()
