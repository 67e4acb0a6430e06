"""The environment Bochs runs in (runner/emulators.py bochs_env): glibc's
malloc asks for transparent huge pages, whatever else GLIBC_TUNABLES says;
and hvrun gives it to Bochs."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, TOOLS)
from runner import emulators  # noqa: E402


class BochsEnv(unittest.TestCase):
    def test_huge_pages_asked_for(self):
        env = emulators.bochs_env({"PATH": "/bin"})
        self.assertEqual(env, {"PATH": "/bin", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"})

    def test_other_tunables_kept_and_ours_not_doubled(self):
        env = emulators.bochs_env({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"})
        self.assertEqual(env["GLIBC_TUNABLES"], "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")

    def test_hvrun_starts_bochs_with_it(self):
        # A "bochs" that writes its environment where the run's console goes
        # and powers off, first on PATH.
        tmp = tempfile.mkdtemp(prefix="hvlab-bochs-env-")
        try:
            fake = os.path.join(tmp, "bochs")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nconf=$3\ncom1=$(sed -n 's/^com1: .*dev=//p' \"$conf\")\n"
                        "echo \"tunables: $GLIBC_TUNABLES\" > \"$com1\"\necho POWEROFF 0 >> \"$com1\"\n")
            os.chmod(fake, 0o755)
            env = dict(os.environ, PATH=tmp + os.pathsep + os.environ["PATH"])
            kernel = os.path.join(TOOLS, "..", "build", "tests", "mbinfo.elf")
            if not os.path.exists(kernel):
                self.skipTest("build/tests/mbinfo.elf is not built (make check builds it)")
            p = subprocess.run([sys.executable, "-S", os.path.join(TOOLS, "hvrun"), "--timeout", "20", kernel],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertIn("tunables: glibc.malloc.hugetlb=1", p.stdout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
