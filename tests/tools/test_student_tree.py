"""Tests of what makes a student tree usable on its own: the lab it says it
is (grading/studenttree.py), its first commit (grading/skeleton.py), make
handin outside git (grading/handin.py), make grade's TIMEOUT, and make
bench's RESULTS file (tests/bench/results.py) and its failed runs
(tests/bench/guest.py, benchrun.py)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
import guest  # noqa: E402
import results  # noqa: E402
import benchrun  # noqa: E402
import skeleton  # noqa: E402
import studenttree  # noqa: E402


class TempDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hvlab-test-student-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def write(self, rel, text):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


class LabOfTreeTest(TempDir):
    def test_the_reference_is_no_student_tree(self):
        self.assertIsNone(studenttree.student_lab(self.tmp))
        self.assertTrue(studenttree.reached(self.tmp, 3))

    def test_the_skeletons_lab_mk_names_the_lab(self):
        self.write("mk/lab.mk", skeleton.lab_mk(2, ["hv/depriv/depriv_patch.c"], ["hv/depriv/depriv_patch.c"]))
        self.assertEqual(studenttree.student_lab(self.tmp), 2)
        self.assertTrue(studenttree.reached(self.tmp, 2))
        self.assertFalse(studenttree.reached(self.tmp, 3))
        self.assertIn("lab 2 student tree", studenttree.left_out_note(self.tmp, "x", ["a"]))
        self.assertIsNone(studenttree.left_out_note(self.tmp, "x", []))

    def test_each_mode_needs_its_lab(self):
        self.assertEqual(studenttree.lab_of_options([]), 1)
        self.assertEqual(studenttree.lab_of_options(["mem=ept", "vmcheck=2"]), 1)
        self.assertEqual(studenttree.lab_of_options(["mem=shadow"]), 2)
        self.assertEqual(studenttree.lab_of_options(["mem=shadow cpu=deprivileged"]), 3)
        self.assertEqual(studenttree.lab_of_options(["scan=1"]), 3)
        self.assertEqual(studenttree.lab_of_options(["vms=2 devices=virtual"]), 4)
        self.assertEqual(studenttree.lab_of_options(["devices=virtual", "timer_mode=delay"]), 4)


class GitTreeTest(TempDir):
    def git(self, *args):
        return subprocess.run(["git", "-C", self.tmp] + list(args), check=True, stdout=subprocess.PIPE,
                              text=True).stdout

    def test_the_tree_gets_a_first_commit_without_a_git_identity(self):
        self.write("hv/a.c", "int a;\n")
        env = dict(os.environ, HOME=self.tmp, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
        for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
            env.pop(k, None)
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            skeleton.init_repository(self.tmp, 1)
        finally:
            os.environ.clear()
            os.environ.update(old)
        self.assertEqual(self.git("log", "--format=%an <%ae> %s").strip(),
                         "hvlab <hvlab@localhost> hvlab: the lab 1 student tree")
        self.assertEqual(self.git("status", "--porcelain"), "")

    def handin(self):
        shutil.copytree(os.path.join(ROOT, "grading"), os.path.join(self.tmp, "grading"),
                        ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        return subprocess.run([sys.executable, os.path.join(self.tmp, "grading", "handin.py")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(self.tmp)))

    def test_handin_outside_git_says_what_to_run(self):
        p = self.handin()
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn("is not a git repository: run  git init && git add -A && git commit", p.stderr)
        self.assertNotIn("Traceback", p.stderr)

    def test_handin_packs_the_first_commit(self):
        self.handin()   # copies grading/ in
        self.write(".gitignore", "build/\n__pycache__/\n")
        skeleton.init_repository(self.tmp, 1)
        p = self.handin()
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.match(r"^handin: wrote (.*handin-.*\.zip): commit [0-9a-f]+ hvlab: the lab 1", p.stdout)
        self.assertTrue(m, p.stdout)
        # A zip (what Gradescope unpacks on upload) of the commit, in one folder.
        with zipfile.ZipFile(os.path.join(self.tmp, m.group(1))) as z:
            names = z.namelist()
        top = {n.split("/")[0] for n in names}
        self.assertEqual(len(top), 1)
        self.assertIn(top.pop() + "/grading/handin.py", names)


class GradeTimeoutTest(unittest.TestCase):
    def grade_command(self, *args):
        return subprocess.run(["make", "-n", "--no-print-directory", "grade"] + list(args), cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, check=True).stdout

    def test_timeout_reaches_the_grader_only_when_given(self):
        self.assertIn("--timeout 7 ", self.grade_command("LAB=1", "TEST=lab1-cpuid", "TIMEOUT=7"))
        self.assertNotIn("--timeout", self.grade_command("LAB=1"))


class LaterLabSourcesTest(unittest.TestCase):
    """mk/lab.mk's LATER_LAB_SOURCES leave their unit tests and fuzzers out."""

    def make_n(self, target, *args):
        return subprocess.run(["make", "-n", "--no-print-directory", target] + list(args), cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, check=True).stdout

    def test_a_lab_1_tree_leaves_out_the_guest_page_walk(self):
        lab1 = ("STUDENT_LAB=1", "LATER_LAB_SOURCES=hv/guest/guest_paging.c")
        out = self.make_n("unit-check", *lab1)
        self.assertIn("unit: left out in this lab 1 student tree (labs not reached yet): guest_paging", out)
        # test_guest_paging itself, not test_guest_paging_pae (the PAE and
        # 4-level walk, which is no lab's student code).
        self.assertNotRegex(out, r"test_guest_paging\b(?!_)")
        self.assertRegex(self.make_n("unit-check"), r"test_guest_paging\b(?!_)")
        out = self.make_n("fuzz-run", "RUNS=1", *lab1)
        self.assertIn("fuzz: left out in this lab 1 student tree (labs not reached yet): guest_paging", out)
        self.assertNotIn("'guest_paging ", out)


class BenchResultsTest(TempDir):
    def test_an_empty_file_starts_a_new_one(self):
        path = self.write("r.json", "")
        results.merge(path, "boot", {"x": 1})
        self.assertEqual(results.read(path), {"boot": {"x": 1}})

    def test_a_corrupt_file_stops_in_one_line(self):
        for text in ("{not json", "[1, 2]"):
            path = self.write("r.json", text)
            with self.assertRaises(SystemExit) as cm:
                results.merge(path, "boot", {})
            self.assertRegex(str(cm.exception), r"^bench: RESULTS=.*r\.json .*: remove it or give another RESULTS=$")
            with open(path) as f:
                self.assertEqual(f.read(), text)    # left as it was


# A stand-in for tools/hvrun: writes the console and the outcome that the
# test puts in its environment, or fails to start as a bad option would.
FAKE_HVRUN = """#!/usr/bin/env python3
import json, os, sys
a = sys.argv[1:]
if os.environ.get("FAKE_NO_START"):
    sys.exit("hvrun: no such emulator: " + a[a.index("--emu") + 1])
with open(a[a.index("--log") + 1], "w") as f:
    f.write(os.environ["FAKE_CONSOLE"])
with open(a[a.index("--json") + 1], "w") as f:
    json.dump({"status": int(os.environ["FAKE_STATUS"]), "summary": "guest stopped: it panicked"}, f)
"""


class BenchFailureTest(TempDir):
    """make bench stops, exits non-zero and says where to look when a run
    fails, when a benchmark prints no figure, or when a run cannot start."""
    def setUp(self):
        super().setUp()
        hvrun = self.write("tools/hvrun", FAKE_HVRUN)
        os.chmod(hvrun, 0o755)
        for name in ("bench_null.elf", "bench_cpuid.elf"):
            self.write("user/" + name, "")
        for module, name, value in ((benchrun, "ROOT", self.tmp), (guest, "USER", os.path.join(self.tmp, "user"))):
            self.addCleanup(setattr, module, name, getattr(module, name))
            setattr(module, name, value)

    def run_once(self, status=0, console="", under_hv="shadow", **env):
        env = dict(FAKE_STATUS=str(status), FAKE_CONSOLE=console, **env)
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with self.assertRaises(SystemExit) as cm:
                guest.run_once("bochs", "fast", self.tmp, under_hv)
        finally:
            for k, v in old.items():
                if v is None:
                    del os.environ[k]
                else:
                    os.environ[k] = v
        self.assertIsInstance(cm.exception.code, str)   # Python exits 1 with it
        return cm.exception.code

    def test_all_figures_is_no_failure(self):
        console = "BENCH null cycles=10 iterations=5\nBENCH cpuid cycles=20 iterations=5\n"
        os.environ.update(FAKE_STATUS="0", FAKE_CONSOLE=console)
        self.addCleanup(os.environ.pop, "FAKE_STATUS")
        self.addCleanup(os.environ.pop, "FAKE_CONSOLE")
        self.assertEqual(guest.run_once("bochs", "fast", self.tmp, None), {"null": (10, 5), "cpuid": (20, 5)})

    def test_a_missing_figure_is_named(self):
        why = self.run_once(console="BENCH null cycles=10 iterations=5\n")
        self.assertEqual(why, 'bench: the bochs/fast run printed no figure for cpuid: see its console with '
                              'make run GUEST_ARGS=bench=all ARGS="mem=shadow devices=machine" TIMEOUT=600')

    def test_a_failed_run_says_how_to_see_it(self):
        why = self.run_once(status=3, under_hv=None)
        self.assertEqual(why, "bench: the bochs/fast run failed: guest stopped: it panicked: see its console with "
                              "make run-native ARGS=bench=all NATIVE_EMU=bochs NATIVE_BOOT=fast TIMEOUT=600")

    def test_a_run_that_cannot_start_is_one_line(self):
        why = self.run_once(FAKE_NO_START="1")
        self.assertEqual(why, "bench: the bochs/fast run did not start (tools/hvrun exited 1: "
                              "hvrun: no such emulator: bochs)")


class HandingInSectionTest(unittest.TestCase):
    """Every lab handout says how to hand in, and says what make handin does."""
    def test_each_lab_handout_has_handing_in(self):
        sys.path.insert(0, os.path.join(ROOT, "grading"))
        import handin
        import labspec
        for lab, path in labspec.lab_paths(ROOT).items():
            with open(os.path.join(ROOT, "handouts", "lab%d.md" % lab)) as f:
                text = f.read()
            m = re.search(r"^### Handing in\n(.*?)(?=^#)", text, re.S | re.M)
            self.assertTrue(m, "handouts/lab%d.md has no Handing in section" % lab)
            said = " ".join(m.group(1).split())
            for must in ("`make handin`", "build/handin-<you>-<date>.zip", handin.FIRST_COMMIT.replace("'my", "\n'my"),
                         "`make grade LAB=%d`" % lab):
                self.assertIn(" ".join(must.split()), said, "handouts/lab%d.md, Handing in" % lab)


if __name__ == "__main__":
    unittest.main()
