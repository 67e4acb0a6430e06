"""test_grade_emu.py: `make grade EMU=qemu-kvm`, on a made-up host.

This machine has no VT-x, so the host is made up (HVLAB_HOST_ROOT: a
/proc/cpuinfo with the vmx flag, a /dev/kvm, kvm_intel's nested=Y) and QEMU
is a stand-in: a qemu-system-x86_64 first on PATH that records its command
line and prints the console lines a lab test wants, as a hypervisor under
KVM would. The grader runs for real (build/'s images, the runner, the
sandbox, the judge), and the test checks the command line QEMU got, the
grade, and what the grader says; then that a host without VT-x, or
EMU=qemu, stops with a clear message and exit status 2; and that make
passes EMU to the grader only when it is given.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GRADE = os.path.join(ROOT, "grading", "grade.py")

FAKE_QEMU = textwrap.dedent('''\
    #!%s
    # A stand-in for qemu-system-x86_64: records its command line, prints
    # the lines of $FAKE_QEMU_CONSOLE on COM1 and the hypervisor's verdict
    # on the debug port, and exits as QEMU's isa-debug-exit does for 0.
    import json, os, sys
    argv = sys.argv[1:]
    with open(os.environ["FAKE_QEMU_LOG"], "a") as f:
        f.write(json.dumps(argv) + "\\n")
    def file_of(option):
        return argv[argv.index(option) + 1][len("file:"):]
    first = "hv: hvlab hypervisor (x86-64), a stand-in QEMU\\n"
    with open(file_of("-serial"), "w") as f:
        f.write(first + os.environ.get("FAKE_QEMU_CONSOLE", "") + "POWEROFF 0\\n")
    with open(file_of("-debugcon"), "w") as f:
        f.write(first + "POWEROFF 0\\n")
    sys.exit(1)
    ''') % sys.executable


def make_host(root, vmx=True):
    """A host's files as kvm_vtx_problem reads them."""
    for path, text in (("proc/cpuinfo", "flags\t\t: fpu vme de pse tsc msr pae%s\n" % (" vmx" if vmx else "")),
                       ("dev/kvm", ""), ("sys/module/kvm_intel/parameters/nested", "Y\n")):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    os.chmod(os.path.join(root, "dev", "kvm"), 0o666)


class GradeUnderKvm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The images the runner boots (a no-op when make check has built them).
        subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "all", "build/tests/mbinfo.elf"], check=True)
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-kvm-")
        # Inside the logs folder: the sandbox shows the runs that folder
        # (its /tmp is private), so the made-up host and QEMU live there.
        cls.logs = os.path.join(cls.tmp, "logs")
        cls.host = os.path.join(cls.logs, "host")
        cls.bin = os.path.join(cls.logs, "bin")
        cls.argv_log = os.path.join(cls.logs, "qemu-argv.jsonl")
        make_host(cls.host)
        os.makedirs(cls.bin)
        qemu = os.path.join(cls.bin, "qemu-system-x86_64")
        with open(qemu, "w") as f:
            f.write(FAKE_QEMU)
        os.chmod(qemu, os.stat(qemu).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        cls.results = os.path.join(cls.tmp, "results.json")
        cls.graded = cls.grade("--emu", "qemu-kvm", "--test", "lab1-vmxon", console="hv: VMXON ok\n")
        with open(cls.results) as f:
            cls.json = json.load(f)
        with open(cls.argv_log) as f:
            cls.qemu_runs = [json.loads(l) for l in f]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def grade(cls, *args, host=None, console=""):
        env = dict(os.environ, PATH=cls.bin + os.pathsep + os.environ["PATH"], HVLAB_HOST_ROOT=host or cls.host,
                   FAKE_QEMU_LOG=cls.argv_log, FAKE_QEMU_CONSOLE=console)
        return subprocess.run([sys.executable, GRADE, "--no-build", "--quiet", "--logs", cls.logs, "--results",
                               cls.results, "--junit", os.path.join(cls.tmp, "junit.xml")] + list(args),
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def test_qemu_gets_kvm_with_the_hosts_cpu_and_the_kits_image(self):
        self.assertEqual(len(self.qemu_runs), 1, self.graded.stdout)
        argv = self.qemu_runs[0]
        self.assertEqual(argv[argv.index("-accel") + 1], "kvm")
        self.assertEqual(argv[argv.index("-cpu") + 1], "host")
        self.assertIn("-no-reboot", argv)
        # The fast route: the kit's raw disk image, built for this run.
        drive = argv[argv.index("-drive") + 1]
        self.assertRegex(drive, r"^file=.+,format=raw,if=ide$")
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", argv)

    def test_the_test_is_graded_on_its_console(self):
        self.assertEqual(self.graded.returncode, 0, self.graded.stdout)
        self.assertIn("Score: 5/5", self.graded.stdout)
        test = self.json["tests"][0]
        self.assertEqual(test["score"], test["max_score"])

    def test_the_grader_says_what_it_did_not_check(self):
        self.assertIn("grade: QEMU with KVM, real VT-x", self.graded.stdout)
        self.assertIn("Bochs's record of VM exits", self.graded.stdout)
        self.assertIn("Bochs's record of VM exits", json.dumps(self.json))

    def test_a_host_without_vtx_is_told_why(self):
        host = os.path.join(self.tmp, "amd-host")
        make_host(host, vmx=False)
        r = self.grade("--emu", "qemu-kvm", "--test", "lab1-vmxon", host=host)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("needs an Intel host with VT-x and nested KVM, but this host's CPU shows no VT-x", r.stdout)
        self.assertIn("make grade (without EMU)", r.stdout)

    def test_qemu_tcg_is_refused(self):
        r = self.grade("--emu", "qemu", "--test", "lab1-vmxon")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("no VT-x", r.stdout)


class MakeGrade(unittest.TestCase):
    def dry(self, *args):
        return subprocess.run(["make", "-n", "--no-print-directory", "-C", ROOT, "grade"] + list(args),
                              stdout=subprocess.PIPE, text=True, check=True).stdout

    def test_emu_reaches_the_grader_only_when_given(self):
        self.assertIn("--emu qemu-kvm", self.dry("EMU=qemu-kvm"))
        self.assertNotIn("--emu", self.dry())


if __name__ == "__main__":
    unittest.main()
