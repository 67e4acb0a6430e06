"""test_build_output.py: what the build prints (mk/quiet.mk).

The kit's tracked files are copied to a temporary tree and built there with
-j2, so that touching a source never disturbs the working tree's build.
By default each step prints one line, the tool and its file; make V=1
prints the commands in full; a build with nothing to do prints nothing; a
lab 1 student tree builds without a warning; and the grader still finds the
compiler's error in a quiet build's log, never a step's line.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import grade  # noqa: E402
import skeleton  # noqa: E402

# "  CC      hv/exit.c": the line a step prints.
STEP = re.compile(r"^  ([A-Z][A-Z0-9]*) +(\S+)$")
TOUCHED = "hv/exit.c"


def make(tree, *args):
    """(exit status, everything make printed) of make -j2 in tree, as a
    student types it: not as a sub-make of `make check` (MAKELEVEL would
    have it print its directory)."""
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "MAKE_TERMOUT", "MAKE_TERMERR", "V"):
        env.pop(name, None)
    p = subprocess.run(["make", "-j2"] + list(args), cwd=tree, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    return p.returncode, p.stdout


def steps(text):
    """[(tool, file)] of a quiet build's output; fails on any other line."""
    out = []
    for line in text.splitlines():
        m = STEP.match(line)
        if not m:
            raise AssertionError("not a step's line: %r in:\n%s" % (line, text))
        out.append(m.groups())
    return out


class BuildOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-test-build-")
        cls.tree = os.path.join(cls.tmp, "ref")
        for rel in skeleton.tracked_files(ROOT):
            src = os.path.join(ROOT, rel)
            if os.path.isfile(src):
                os.makedirs(os.path.dirname(os.path.join(cls.tree, rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(cls.tree, rel))
        status, cls.first = make(cls.tree)
        if status != 0:
            raise AssertionError("the reference copy does not build:\n" + cls.first)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def settle(self):
        """Bring the copy up to date (an earlier test may have touched it)."""
        status, text = make(self.tree)
        self.assertEqual(status, 0, text)

    def test_a_first_build_prints_one_line_a_step(self):
        done = steps(self.first)
        self.assertIn(("CC", TOUCHED), done)
        self.assertIn(("AS", "hv/boot.S"), done)
        self.assertIn(("LD", "build/hv/hv.elf"), done)
        self.assertIn(("CC32", "guestos/kernel/main.c"), done)
        self.assertIn(("LD32", "build/guestos/kernel.elf"), done)

    def test_nothing_to_do_prints_nothing(self):
        self.settle()
        status, text = make(self.tree)
        self.assertEqual((status, text), (0, ""), "a build with nothing to do printed:\n" + text)

    def test_one_touched_file_is_compiled_and_linked(self):
        self.settle()
        os.utime(os.path.join(self.tree, TOUCHED))
        status, text = make(self.tree)
        self.assertEqual(status, 0, text)
        # The hypervisor is linked twice, the second time with the symbol
        # table of the first (hv/hv.mk): those are its link's steps.
        self.assertEqual(steps(text), [("CC", TOUCHED), ("LD", "build/hv/hv.pass1.elf"),
                                       ("KSYMS", "build/hv/ksyms_table.S"), ("AS", "build/hv/ksyms_table.S"),
                                       ("LD", "build/hv/hv.elf")])

    def test_v1_prints_the_commands(self):
        self.settle()
        os.utime(os.path.join(self.tree, TOUCHED))
        status, text = make(self.tree, "V=1")
        self.assertEqual(status, 0, text)
        self.assertRegex(text, r"(?m)^\S*gcc .*-Wall -Wextra -Werror .*-c %s -o build/hv/exit\.c\.o$"
                         % re.escape(TOUCHED))
        self.assertRegex(text, r"(?m)^\S*ld .* -o build/hv/hv\.elf\.tmp ")
        self.assertNotRegex(text, r"(?m)^  [A-Z]")

    def test_s_prints_nothing_but_the_tools_own(self):
        self.settle()
        os.utime(os.path.join(self.tree, TOUCHED))
        self.assertEqual(make(self.tree, "-s"), (0, ""))

    def test_the_grader_finds_the_compilers_error(self):
        self.settle()
        path = os.path.join(self.tree, TOUCHED)
        with open(path) as f:
            good = f.read()
        try:
            with open(path, "a") as f:
                f.write("\nthis line does not compile;\n")
            status, text = make(self.tree)
        finally:
            with open(path, "w") as f:
                f.write(good)
        self.assertNotEqual(status, 0, text)
        self.assertRegex(grade.first_error(text), r"^hv/exit\.c:\d+:\d+: error: ")

    def test_a_lab1_student_tree_builds_without_a_warning(self):
        self.settle()
        tree = os.path.join(self.tmp, "lab1")
        skeleton.make_skeleton(ROOT, tree, 1)
        # The guest OS and the loader are no lab's: the reference's serve
        # (as check_labs.py copies them), and the hypervisor is built anew.
        for part in ("guestos", "loader"):
            shutil.copytree(os.path.join(self.tree, "build", part), os.path.join(tree, "build", part),
                            symlinks=True)
        status, text = make(tree)
        self.assertEqual(status, 0, text)
        self.assertNotRegex(text, r"warning:")
        self.assertIn(("CC", "hv/exit/exit_pf.c"), steps(text))


class FirstError(unittest.TestCase):
    def test_a_steps_line_is_no_error_even_named_so(self):
        log = ("  CC      hv/error.c\n  LD      build/hv/hv.pass1.elf\n"
               "x86_64-linux-gnu-ld: build/hv/exit.c.o: in function `f':\n"
               "hv/exit.c:3:(.text+0x5): undefined reference to `g'\n"
               "make[1]: *** [hv/hv.mk:48: build/hv/hv.pass1.elf] Error 1\n")
        self.assertEqual(grade.first_error(log), "make[1]: *** [hv/hv.mk:48: build/hv/hv.pass1.elf] Error 1")


if __name__ == "__main__":
    unittest.main()
