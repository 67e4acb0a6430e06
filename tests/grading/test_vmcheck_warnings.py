"""test_vmcheck_warnings.py: vmcheck=1's warnings, on planted mistakes.

Some wrong VMCS or EPT settings pass every check the CPU makes at VM entry,
so no test loses points for them (labs/labN/bugs.toml holds those that do):
the VM-entry checker names them as warnings instead. Each scenario copies
the tree, plants one such mistake, builds, boots the mbinfo guest with
vmcheck=1, and checks the warning and how the run ends. The reference's own
run has none (tests/integration/hv_cases.py, hv-vmcheck-clean).
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_grader import Scenario, patch  # noqa: E402

TIMEOUT = 30


class VmcheckWarnings(Scenario):

    def run_vmcheck(self):
        """Build the planted tree and boot mbinfo with vmcheck=1: the console."""
        subprocess.run(["make", "-s", "-C", self.root, "all", "build/tests/mbinfo.elf"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=300)
        return subprocess.run([sys.executable, os.path.join(self.root, "tools", "hvrun"), "--quiet", "--log", "/dev/stdout",
                               "--timeout", str(TIMEOUT), "--module", "build/tests/mbinfo.elf", "build/hv/hv.elf",
                               "--", "vmcheck=1"], cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=TIMEOUT + 60).stdout

    def test_uncacheable_guest_ram(self):
        # UC is legal, so the guest runs (slowly, on real hardware); the
        # warning names the range and the type (SDM 29.3.7).
        patch(self.root, "hv/guest/ept.c", r"hpa \| EPT_MEMTYPE_WB \| perms", "hpa | perms")
        out = self.run_vmcheck()
        self.assertRegex(out, r"(?m)^hv: VM-entry check: the VMCS passes every check the checker knows$")
        self.assertRegex(out, r"(?m)^hv: VM-entry check: warning: SDM 29\.3\.7 \(EPT and Memory Typing\): guest RAM "
                              r"should be write-back \(6\) in the EPT \[guest-physical 0x0-0x3ffffff has memory type 0 "
                              r"\(UC\)\]: a legal VM entry, but every guest access there bypasses the caches")
        self.assertRegex(out, r"(?m)^POWEROFF 0$")

    def test_host_rip_never_written(self):
        # HOST_RIP 0 is canonical: no entry check fails, the warning comes
        # before the entry, and the first exit's #PF at rip 0 repeats it.
        patch(self.root, "hv/guest/vmcs_setup.c", r"\n    vmcs_write\(VMCS_HOST_RIP, \(uint64_t\)vmx_exit\);", "")
        out = self.run_vmcheck()
        self.assertRegex(out, r"(?m)^hv: VM-entry check: warning: HOST_RIP \(VMCS field 0x6c16\) is 0x0, not vmx_exit "
                              r"\(0x[0-9a-f]+\): every VM exit continues there \(SDM 28\.5\.3, loading host RIP\)"
                              r"(?s:.*)^hv: entering the guest")
        self.assertRegex(out, r"(?m)^PANIC hv: exception #PF .* at rip=0x0000000000000000")
        self.assertRegex(out, r"(?m)^POWEROFF 3$")


if __name__ == "__main__":
    unittest.main()
