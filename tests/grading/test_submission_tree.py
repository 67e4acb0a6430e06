"""test_submission_tree.py: a submission is graded by the instructor's files alone.

Issue 13's attacks as hostile lab 1 submissions, each graded the way
Gradescope runs the autograder (the zip of `make gradescope LAB=1` unpacked
into a fake /autograder, AUTOGRADER_ROOT, run_autograder) and in one
grade-class run, beside an honest submission (the reference's lab files in
hv/) graded after them, whose score must not change:

  a-mkinject   the skeleton plus an hv/hv.mk whose $(shell ...) runs a script
               that starts a daemon, rewrites the work tree's labs/lab1/tests.toml (tests with
               nothing to match) and tools/hvrun (a runner that passes
               everything), and the class's shared source's tools/hvrun (a
               runner that fails everything, for whoever comes next)
  b-gnumake    the same script from a top-level GNUmakefile (make reads it
               before the kit's Makefile)
  c-flat       the reference's lab 1 files uploaded flat, without hv/ (what
               Gradescope's drag and drop gives): placed by name, full marks
  d-overwrite  the skeleton with grading/grade.py, tools/hvrun and
               labs/lab1/tests.toml of its own: none is used, each is listed
               in what the student sees
  e-leak       the reference's files and a new hv/leak.c that includes the
               work tree's labs/lab1/tests.toml and the Gradescope source's
               (the compiler quotes what it cannot parse): the build fails
               and nothing the student sees names a hidden test
  f-forger     a forging hypervisor in the lab's own files (tests/grading/
               forger/forge.c in hv/guest/guest.c, vmx_detect and vmx_on that
               execute nothing): it prints every line the test looks for,
               and scores 0 on the emulator's record
  g-bomb       the reference's files and a 100 MiB hv/bomb.c (more than
               the 64 MiB of lab files a submission may hold): refused
               before anything is copied, and told so
  z-honest     the reference's lab 1 files in hv/

Without the allow-list the first two scored every point on the skeleton and
the honest submission after them 0 in grade-class; the flat upload scored 0;
nothing told the student which files were left out. One lab 1 test is
graded each time (about 10 s a submission, build included, on 2 cores;
about 80 s in all).
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import labspec  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_autograder  # noqa: E402
from test_grader import with_mark  # noqa: E402

TESTS = ["lab1-cpuid"]     # it launches the guest and handles its exits
FULL = "10"
HOSTILE = ("a-mkinject", "b-gnumake", "c-flat", "d-overwrite", "e-leak", "f-forger", "g-bomb")

# Run by the hostile makefiles while make reads them (as root on Gradescope).
DAEMON_MARK = "hvlab-test-tree-daemon"
POISON = r'''import glob, os, subprocess, sys
# A daemon (its own session) that outlives the build, if anything lets it start.
subprocess.Popen(["sh", "-c", "while :; do sleep 1; done", "hvlab-test-tree-daemon"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
# The grader's view of the work tree: tests that ask for nothing, a runner that passes.
tests = "lab = 1\n" + "".join('[[test]]\nname = "%s"\npoints = 10\n' % n for n in ("launch", "cpuid"))
open("labs/lab1/tests.toml", "w").write(tests)
open("tools/hvrun", "w").write("import sys\na = sys.argv\nopen(a[a.index('--log') + 1], 'w').close()\n")
# The class's shared source (found under the test's own TMPDIR only): whoever
# is graded next gets a runner that fails everything.
for path in glob.glob(os.path.join(os.environ.get("TMPDIR", "/nonexistent"), "hvlab-class-source-*",
                                   "source", "tools", "hvrun")):
    try:
        os.chmod(path, 0o755)
        open(path, "w").write("import sys\nsys.exit(1)\n")
    except OSError:
        pass
'''
RULE = "$(shell python3 hv/poison.py)\n"


def lab_files():
    """The reference's files that hold a LAB 1 region (what a lab 1 student changes)."""
    found = []
    for dirpath, dirs, names in os.walk(os.path.join(ROOT, "hv")):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith((".c", ".h", ".S")):
                continue
            path = os.path.join(dirpath, name)
            with open(path, errors="replace") as f:
                if re.search(r"/\*\s*LAB 1 BEGIN", f.read()):
                    found.append(os.path.relpath(path, ROOT).replace(os.sep, "/"))
    return sorted(found)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make_forger(sub):
    """forge.c in hv/guest/guest.c, called first thing in guest_load; vmx_detect
    makes up the capabilities main() checks, vmx_on does nothing."""
    with open(os.path.join(ROOT, "tests", "grading", "forger", "forge.c")) as f:
        forge = f.read()
    path = os.path.join(sub, "hv", "guest", "guest.c")
    with open(path) as f:
        text = f.read()
    head = "/* LAB 1 BEGIN: boot the guest kernel as a Multiboot loader would */\n"
    call = ("void guest_load(struct guest *g, const struct boot_info *bi, const struct boot_group *group,\n"
            "                const char *extra_args)\n{\n")
    assert head in text and call in text, "hv/guest/guest.c changed: update make_forger"
    text = text.replace(head, '#include "crc32.h"\n' + forge + "\n" + head).replace(call, call + "    forge(bi);\n")
    with open(path, "w") as f:
        f.write(text)
    path = os.path.join(sub, "hv", "vmx", "vmx_on.c")
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(void vmx_detect\(struct vmx_caps \*caps\)\n\{\n).*?(\n\}\n/\* LAB 1 END \*/)",
                      r"\1    caps->procbased2 = ~0ull;\n    caps->ept_vpid = ~0ull;\2", text, count=1, flags=re.S)
    text, m = re.subn(r"(void vmx_on\(const struct vmx_caps \*caps\)\n\{\n).*?(\n\}\n/\* LAB 1 END \*/)",
                      r"\1    (void)caps;\2", text, count=1, flags=re.S)
    assert n == m == 1, "hv/vmx/vmx_on.c changed: update make_forger"
    with open(path, "w") as f:
        f.write(text)


def make_submissions(subs, skel):
    """The five students above, as folders."""
    for rel in lab_files():
        dst = os.path.join(subs, "z-honest", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(ROOT, rel), dst)
        os.makedirs(os.path.join(subs, "c-flat"), exist_ok=True)
        shutil.copy(os.path.join(ROOT, rel), os.path.join(subs, "c-flat", os.path.basename(rel)))
    for student in ("a-mkinject", "b-gnumake", "d-overwrite"):
        shutil.copytree(os.path.join(skel, "hv"), os.path.join(subs, student, "hv"))
    with open(os.path.join(skel, "hv", "hv.mk")) as f:
        hv_mk = f.read()
    for student in ("a-mkinject", "b-gnumake"):
        write(os.path.join(subs, student), "hv/poison.py", POISON)
    write(os.path.join(subs, "a-mkinject"), "hv/hv.mk", RULE + hv_mk)
    write(os.path.join(subs, "b-gnumake"), "GNUmakefile", RULE + "include Makefile\n")
    for student in ("e-leak", "f-forger", "g-bomb"):
        for rel in lab_files():
            dst = os.path.join(subs, student, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.join(ROOT, rel), dst)
    write(os.path.join(subs, "e-leak"), "hv/leak.c",
          '#error "e-leak stops here"\n#include "../labs/lab1/tests.toml"\n'
          '#include "/autograder/source/labs/lab1/tests.toml"\n')
    make_forger(os.path.join(subs, "f-forger"))
    with open(os.path.join(subs, "g-bomb", "hv", "bomb.c"), "wb") as f:
        f.truncate(100 << 20)
    over = os.path.join(subs, "d-overwrite")
    write(over, "grading/grade.py", "print('Score: 100/100')\n")
    write(over, "tools/hvrun", "import sys\nsys.exit(0)\n")
    write(over, "labs/lab1/tests.toml", 'lab = 1\n[[test]]\nname = "launch"\npoints = 1000\n')


class SubmissionTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import skeleton
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-test-tree-")
        skel = os.path.join(cls.tmp, "skel")
        skeleton.make_skeleton(ROOT, skel, 1)
        cls.subs = os.path.join(cls.tmp, "submissions")
        make_submissions(cls.subs, skel)
        # Every temporary directory of the graders under the test's own: the
        # poison looks for the class's source there and nowhere else.
        tmpdir = os.path.join(cls.tmp, "tmp")
        os.makedirs(tmpdir)
        cls.env = dict(os.environ, TMPDIR=tmpdir)
        cls.class_run()
        cls.gradescope_runs()

    @classmethod
    def class_run(cls):
        # Two at a time, in name order: the honest one starts after the
        # first three have finished.
        cls.out = os.path.join(cls.tmp, "class")
        argv = [sys.executable, os.path.join(ROOT, "grading", "grade_class.py"), "--lab", "1", "--out", cls.out,
                "-j", "2", "-P", "2", "--timeout", "20"] + [x for t in TESTS for x in ("--test", t)] + [cls.subs]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
                           env=cls.env)
        cls.class_text = r.stdout
        with open(os.path.join(cls.out, "scores.csv")) as f:
            cls.rows = {row["student"]: row for row in csv.DictReader(f)}

    @classmethod
    def gradescope_runs(cls):
        """Each submission through run_autograder in one fake /autograder."""
        ag = os.path.join(cls.tmp, "autograder")
        zpath = os.path.join(cls.tmp, "autograder.zip")
        p = fake_autograder.pack(zpath, lab=1, env=cls.env)
        assert p.returncode == 0, p.stdout
        fake_autograder.unpack(zpath, ag)
        fake_autograder.setup(ag)
        cls.gs, cls.gs_text = {}, {}
        for student in sorted(os.listdir(cls.subs)):
            cls.gs_text[student], cls.gs[student] = fake_autograder.grade(
                ag, os.path.join(cls.subs, student),
                " ".join("--test " + t for t in TESTS) + " -j 2 --timeout 20", env=cls.env)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def score(self, student):
        """(Gradescope's score, grade-class's score and status) of a student."""
        row = self.rows[student]
        # Gradescope adds up the tests (results.json has no top-level score).
        return "%g" % sum(t["score"] for t in self.gs[student]["tests"]), row["score"], row["status"]

    def shown(self, student):
        """What the student sees at once on Gradescope: the top-level output."""
        return self.gs[student]["output"]

    def assertListed(self, student, kind, *names):
        for where, text in (("Gradescope", self.shown(student)),
                            ("grade-class", self.class_results(student)["output"])):
            line = re.search(r"(?m)^Submission: \d+ files? %s.*$" % kind, text)
            self.assertTrue(line, "%s: no '%s' line in:\n%s" % (where, kind, text))
            for n in names:
                self.assertIn(n, line.group(0), where)

    def class_results(self, student):
        with open(os.path.join(self.out, student, "results.json")) as f:
            return json.load(f)

    def test_the_honest_submission_earns_every_point(self):
        self.assertEqual(self.score("z-honest"), (FULL, FULL, "graded"), self.class_text)
        self.assertNotIn("Submission:", self.shown("z-honest"))      # nothing odd: nothing said

    def test_a_submission_builds_its_own_files_alone(self):
        # The kit's images and the hypervisor's objects were made once, in
        # the class's source; the honest submission's build compiled its
        # lab files and nothing else (kitbuild.py).
        with open(os.path.join(self.out, "z-honest", "logs", "build.log")) as f:
            log = f.read()
        compiled = re.findall(r"(?m)^\s*CC\s+(\S+)", log)
        self.assertTrue(compiled, log)
        self.assertEqual([c for c in compiled if c not in lab_files()], [], log)

    def test_makefile_fragment_injection_changes_nothing(self):
        self.assertEqual(self.score("a-mkinject"), ("0", "0", "graded"), self.gs_text["a-mkinject"])
        self.assertListed("a-mkinject", "ignored", "hv/hv.mk", "hv/poison.py")

    def test_a_gnumakefile_is_not_read(self):
        self.assertEqual(self.score("b-gnumake"), ("0", "0", "graded"), self.gs_text["b-gnumake"])
        self.assertListed("b-gnumake", "ignored", "GNUmakefile")

    def test_a_flat_upload_scores_like_the_folder(self):
        self.assertEqual(self.score("c-flat"), (FULL, FULL, "graded"), self.gs_text["c-flat"])
        self.assertListed("c-flat", "placed by name", "%d files placed" % len(lab_files()),
                          "exit_cpuid.c -> hv/exit/exit_cpuid.c")

    def test_kit_files_of_a_submission_are_ignored_and_listed(self):
        self.assertEqual(self.score("d-overwrite"), ("0", "0", "graded"), self.gs_text["d-overwrite"])
        self.assertListed("d-overwrite", "ignored", "grading/grade.py", "labs/lab1/tests.toml", "tools/hvrun")
        self.assertEqual(sorted(t["name"] for t in self.gs["d-overwrite"]["tests"]), sorted(TESTS))

    def test_a_build_that_quotes_the_tests_shows_no_hidden_test(self):
        self.assertEqual(self.score("e-leak"), ("0", "0", "graded"), self.gs_text["e-leak"])
        hidden = [t for t in labspec.load_all(ROOT, labs=[1]) if t.hidden]
        self.assertTrue(hidden)
        for doc in (self.gs["e-leak"], self.class_results("e-leak")):
            shown = doc["output"] + "".join(t["output"] for t in doc["tests"] if t["visibility"] == "visible")
            self.assertIn("e-leak stops here", shown)
            for t in hidden:
                for word in (t.full_name, 'name = "%s"' % t.name, t.description):
                    self.assertNotIn(word, shown)

    def test_a_forger_scores_nothing(self):
        self.assertEqual(self.score("f-forger"), ("0", "0", "graded"), self.gs_text["f-forger"])
        for doc in (self.gs["f-forger"], self.class_results("f-forger")):
            for t in doc["tests"]:
                self.assertRegex(t["output"], r"the emulator saw")

    def test_a_bomb_is_refused_before_it_is_copied(self):
        self.assertEqual(self.score("g-bomb")[:2], ("0", "0"), self.gs_text["g-bomb"])
        why = r"the lab's files in this submission hold 100\.\d MiB, more than the limit of 64 MiB"
        self.assertRegex(self.rows["g-bomb"]["status"], "^" + why)
        for doc in (self.gs["g-bomb"], self.class_results("g-bomb")):
            self.assertRegex(doc["output"], r"^This submission was not graded: " + why)

    def test_no_process_of_a_submission_survives(self):
        self.assertEqual(with_mark(DAEMON_MARK), [])

    def test_the_class_summary(self):
        self.assertRegex(self.class_text, r"(?m)^  z-honest +%s / %s$" % (FULL, FULL))
        self.assertRegex(self.class_text, r"(?m)^  class: 7 graded, mean 2\.9, median 0$")


class Pure(unittest.TestCase):
    """The file list and the placement, without building anything."""

    def setUp(self):
        import submission
        self.sub = submission
        self.tmp = tempfile.mkdtemp(prefix="hvlab-test-plan-")
        self.source = os.path.join(self.tmp, "source")
        for rel in ("hv/exit.c", "hv/exit/exit_io.c", "lib/exit_io.c", "hv/vmx/vmx.h", "hv/hv.mk", "Makefile"):
            write(self.source, rel, "kit " + rel)
        self.files = {"files": ["hv/exit.c", "hv/exit/exit_io.c", "lib/exit_io.c"], "new_files": ["hv/*.c"]}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def plan(self, tree):
        sub = os.path.join(self.tmp, "sub")
        for rel, text in tree.items():
            write(sub, rel, text)
        copies, notes = self.sub.plan(sub, self.source, self.files)
        return sorted(rel for _, rel in copies), notes

    def test_only_the_lab_files_are_copied(self):
        copied, notes = self.plan({"hv/exit.c": "mine", "hv/helper.c": "new", "hv/vmx/vmx.h": "changed",
                                   "hv/hv.mk": "kit hv/hv.mk", "GNUmakefile": "x", "hv/hv2.mk": "y"})
        self.assertEqual(copied, ["hv/exit.c", "hv/helper.c"])
        # an unchanged kit file is no news; the changed ones are named
        self.assertEqual(notes["ignored"], ["GNUmakefile", "hv/hv2.mk", "hv/vmx/vmx.h"])

    def test_new_files_only_where_the_lab_allows(self):
        copied, notes = self.plan({"hv/helper.c": "new", "hv/exit/helper.c": "not in hv/*.c", "lib/new.c": "no"})
        self.assertEqual(copied, ["hv/helper.c"])
        self.assertEqual(notes["ignored"], ["hv/exit/helper.c", "lib/new.c"])

    def test_links_are_refused(self):
        sub = os.path.join(self.tmp, "sub")
        write(sub, "hv/exit.c", "mine")
        os.symlink("/etc", os.path.join(sub, "hv", "etc"))
        os.makedirs(os.path.join(sub, "hv", "exit"))
        os.symlink("/etc/passwd", os.path.join(sub, "hv", "exit", "exit_io.c"))
        copies, notes = self.sub.plan(sub, self.source, self.files)
        self.assertEqual([rel for _, rel in copies], ["hv/exit.c"])
        self.assertEqual(notes["refused"], ["hv/etc", "hv/exit/exit_io.c"])

    def test_flat_files_go_where_the_name_is_unique(self):
        copied, notes = self.plan({"exit.c": "mine", "exit_io.c": "which one?", "notes.txt": "hi"})
        self.assertEqual(copied, ["hv/exit.c"])
        self.assertEqual(notes["placed"], ["exit.c -> hv/exit.c"])
        self.assertEqual(notes["ambiguous"], ["exit_io.c"])
        self.assertEqual(notes["ignored"], ["notes.txt"])

    def test_a_flat_file_never_beats_the_one_in_its_folder(self):
        copied, notes = self.plan({"exit.c": "flat", "hv/exit.c": "in place"})
        self.assertEqual(copied, ["hv/exit.c"])
        self.assertEqual(notes["ambiguous"], ["exit.c"])

    def test_the_student_sees_what_was_left_out(self):
        lines = self.sub.describe({"placed": ["a.c -> hv/a.c"], "ignored": ["x%d" % i for i in range(20)]})
        self.assertEqual(lines[0], "Submission: 1 file placed by name (uploaded without their folder): a.c -> hv/a.c")
        self.assertRegex(lines[1], r"^Submission: 20 files ignored: .*x11, and 8 more$")

    def test_a_lab_cannot_hand_out_the_kit(self):
        write(self.source, "labs/lab1/files.toml", 'files = ["hv/hv.mk"]\n')
        with self.assertRaises(self.sub.FileListError):
            self.sub.file_list(self.source, 1)

    def test_the_lab_file_list_is_the_marked_files(self):
        self.assertEqual(self.sub.file_list(ROOT, 1)["files"], lab_files())

    def test_lab_1_takes_new_files_beside_the_kits_in_hv_and_its_folders(self):
        patterns = self.sub.file_list(ROOT, 1)["new_files"]
        for rel in ("hv/helper.c", "hv/exit/helper.c", "hv/exit/helper.h"):
            self.assertTrue(self.sub.new_file(rel, patterns, ROOT), rel)
        for rel in ("hv/exit/deep/helper.c", "hv/exit/exit_cpuid.c", "lib/helper.c"):
            self.assertFalse(self.sub.new_file(rel, patterns, ROOT), rel)

    def test_a_gnumakefile_stops_the_build(self):
        import grade
        write(self.source, "GNUmakefile", "all:\n\ttrue\n")
        why = grade.build([], self.source, self.tmp, 1, source=ROOT)
        self.assertRegex(why or "", r"^the build failed: GNUmakefile would replace the kit's Makefile")


if __name__ == "__main__":
    unittest.main()
