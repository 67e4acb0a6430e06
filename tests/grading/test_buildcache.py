"""test_buildcache.py: check-labs' and check-steps' compiler cache
(grading/buildcache.py): a file alike in two trees compiles once, and
without ccache the trees build as before."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import buildcache  # noqa: E402

SOURCE = "int answer(void) { return 42; }\n"


@unittest.skipUnless(shutil.which("ccache") and shutil.which("cc"), "needs ccache and cc (make deps)")
class BuildCache(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hvlab-buildcache-")
        self.env = dict(os.environ, **buildcache.env(self.tmp))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def compile_in(self, tree):
        """cc, as a tree's makefile runs it (relative paths, -g), in its own folder."""
        os.makedirs(os.path.join(tree, "src"))
        with open(os.path.join(tree, "src", "answer.c"), "w") as f:
            f.write(SOURCE)
        subprocess.run(["cc", "-g", "-O2", "-MMD", "-MP", "-c", "src/answer.c", "-o", "answer.o"], cwd=tree,
                       env=self.env, check=True)
        with open(os.path.join(tree, "answer.o"), "rb") as f:
            return f.read()

    def stats(self):
        out = subprocess.run(["ccache", "--print-stats"], env=self.env, stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)

    def test_a_file_alike_in_two_trees_compiles_once(self):
        first = self.compile_in(os.path.join(self.tmp, "lab1"))
        second = self.compile_in(os.path.join(self.tmp, "lab2"))
        s = self.stats()
        self.assertEqual((s.get("cache_miss"), s.get("direct_cache_hit")), ("1", "1"), s)
        self.assertEqual(first, second)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "lab2", "answer.d")))

    def test_the_cache_lies_in_the_tree_that_checks(self):
        self.assertEqual(self.env["CCACHE_DIR"], os.path.join(self.tmp, "build", "ccache", "cache"))
        for name in buildcache.COMPILERS:
            self.assertEqual(os.path.realpath(os.path.join(self.tmp, "build", "ccache", "bin", name)),
                             os.path.realpath(shutil.which("ccache")))


class WithoutCcache(unittest.TestCase):
    def test_no_ccache_changes_nothing(self):
        with mock.patch.object(buildcache.shutil, "which", return_value=None):
            self.assertEqual(buildcache.env("/nonexistent"), {})


if __name__ == "__main__":
    unittest.main()
