"""test_kitbuild.py: what a class's builds share (grading/kitbuild.py)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import kitbuild  # noqa: E402


def touch(path, text="x", mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


class KitBuild(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hvlab-kitbuild-")
        self.src, self.dest = os.path.join(self.tmp, "src"), os.path.join(self.tmp, "dest")
        touch(os.path.join(self.src, "build", "hv", "exit", "exit_cpuid.c.o"), mtime=1000)
        touch(os.path.join(self.src, "build", "guestos", "kernel.elf"), mtime=1000)
        touch(os.path.join(self.src, "build", "tests", "hostile", "attacks_cpu.o"), mtime=1000)
        touch(os.path.join(self.src, "build", "tests", "hostile", "cpuid-sweep.ept.log"))
        touch(os.path.join(self.src, "build", "tests", "integration", "x.log"))
        os.makedirs(self.dest)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def has(self, rel):
        return os.path.exists(os.path.join(self.dest, "build", rel))

    def test_the_kit_images_are_copied_with_their_times_and_no_logs(self):
        kitbuild.copy(self.src, self.dest)
        self.assertTrue(self.has("guestos/kernel.elf"))
        self.assertEqual(os.path.getmtime(os.path.join(self.dest, "build", "guestos", "kernel.elf")), 1000)
        self.assertTrue(self.has("tests/hostile/attacks_cpu.o"))
        self.assertFalse(self.has("tests/hostile/cpuid-sweep.ept.log"))
        self.assertFalse(self.has("tests/integration"))
        self.assertFalse(self.has("hv"))

    def test_the_hypervisor_objects_when_only_c_files_changed(self):
        self.assertTrue(kitbuild.copy_hypervisor(self.src, self.dest, ["hv/exit/exit_cpuid.c", "hv/mine.c"]))
        self.assertEqual(os.path.getmtime(os.path.join(self.dest, "build", "hv", "exit", "exit_cpuid.c.o")), 1000)

    def test_no_hypervisor_objects_when_a_header_came(self):
        # A new header could shadow one that unchanged files include.
        self.assertFalse(kitbuild.copy_hypervisor(self.src, self.dest, ["hv/exit/exit_cpuid.c", "hv/printf.h"]))
        self.assertFalse(self.has("hv"))

    def test_nothing_to_copy_from_an_unbuilt_source(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.assertEqual(kitbuild.copy(empty, self.dest), 0)
        self.assertFalse(kitbuild.copy_hypervisor(empty, self.dest))

    def test_every_kit_image_is_copied(self):
        # The Makefile's KIT_IMAGES, as make sees them: each one the copy
        # leaves out would be built again in every submission's tree.
        p = subprocess.run(["make", "-C", ROOT, "-pnq", "kit-images-files"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        line = re.search(r"(?m)^KIT_IMAGES :?= (.*)$", p.stdout)
        self.assertTrue(line, "make printed no KIT_IMAGES")
        images = [os.path.relpath(f, os.path.join(ROOT, "build")) if os.path.isabs(f) else
                  os.path.relpath(f, "build") for f in line.group(1).split()]
        self.assertGreater(len(images), 10)
        for rel in images:
            with self.subTest(image=rel):
                self.assertTrue(rel in kitbuild.FILES or any(rel.startswith(part + "/") for part in kitbuild.PARTS),
                                "%s is a kit image that kitbuild.py does not copy" % rel)


if __name__ == "__main__":
    unittest.main()
