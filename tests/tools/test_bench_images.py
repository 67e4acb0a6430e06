"""make bench builds every image its scripts run (tests/bench/*.py): on a
fresh clone `make bench` once stopped at the timer bench, whose badguest.elf
only make check built. Asked of make itself (make -n with an empty build
directory), not of the Makefile's text."""
import glob
import os
import re
import subprocess
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# An image a bench script names: os.path.join(BUILD, "tests", "badguest.elf").
IMAGE = re.compile(r'os\.path\.join\((?:benchrun\.)?BUILD, ((?:"[\w.-]+", )*"[\w.-]+\.elf")\)')


def images_named():
    names = set()
    for script in glob.glob(os.path.join(ROOT, "tests", "bench", "*.py")):
        with open(script) as f:
            for parts in IMAGE.findall(f.read()):
                names.add(os.path.join(*re.findall(r'"([\w.-]+)"', parts)))
    return names


class BenchImagesTest(unittest.TestCase):
    def test_the_scripts_name_images(self):
        self.assertIn(os.path.join("tests", "badguest.elf"), images_named())

    def test_make_bench_builds_every_image_named(self):
        with tempfile.TemporaryDirectory() as build:
            out = subprocess.run(["make", "-n", "bench", "BUILD=" + build], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120).stdout
            built = set(os.path.relpath(p, build) for p in re.findall(r"-o (" + re.escape(build) + r"/\S+\.elf)", out))
        missing = images_named() - built
        self.assertFalse(missing, "make bench does not build %s" % sorted(missing))


if __name__ == "__main__":
    unittest.main()
