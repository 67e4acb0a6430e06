"""test_grade_class.py: a whole class graded at once (grading/grade_class.py).

Five students hand in lab 1 in every form a class produces: a folder with
the solution (alice), a zip of the untouched skeleton inside a top folder
(bob), a tarball whose code does not compile (carol), a file that is not an
archive at all (dave), and a hostile tarball with the solution plus members
that try to write outside its folder, a link, and a replacement for the
grader itself (eve). Two lab 1 tests are graded for each. The class's
scores.csv, each student's results and the summary must say exactly that,
and nothing may land outside a student's own folder.
"""
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import grade_class  # noqa: E402
import skeleton  # noqa: E402

TESTS = ["lab1-launch", "lab1-cpuid"]


def add_tree(tar, src, arcname):
    for d, _, names in os.walk(src):
        for n in sorted(names):
            path = os.path.join(d, n)
            tar.add(path, os.path.join(arcname, os.path.relpath(path, src)))


def add_bytes(tar, name, data, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


class GradeClass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-test-class-")
        subs = os.path.join(cls.tmp, "submissions")
        os.makedirs(subs)
        hv = os.path.join(ROOT, "hv")
        shutil.copytree(hv, os.path.join(subs, "alice", "hv"))
        skel = os.path.join(cls.tmp, "skel")
        skeleton.make_skeleton(ROOT, skel, 1)
        with zipfile.ZipFile(os.path.join(subs, "bob.zip"), "w") as z:
            for d, _, names in os.walk(os.path.join(skel, "hv")):
                for n in names:
                    path = os.path.join(d, n)
                    z.write(path, os.path.join("bob-main", os.path.relpath(path, skel)))
        broken = os.path.join(cls.tmp, "carol", "hv")
        shutil.copytree(hv, broken)
        with open(os.path.join(broken, "exit.c"), "a") as f:
            f.write("\nthis line does not compile;\n")
        with tarfile.open(os.path.join(subs, "carol.tar.gz"), "w:gz") as t:
            add_tree(t, broken, "hv")
        with open(os.path.join(subs, "dave.zip"), "wb") as f:
            f.write(b"this is not a zip file\n")
        cls.escaped = os.path.join(cls.tmp, "escaped.txt")
        cls.absolute = os.path.join(cls.tmp, "absolute.txt")
        with tarfile.open(os.path.join(subs, "eve.tgz"), "w:gz") as t:
            add_tree(t, hv, "hv")
            add_bytes(t, "../../escaped.txt", b"out of the folder\n")
            add_bytes(t, cls.absolute, b"an absolute path\n")
            add_bytes(t, "hv/passwd", b"", tarfile.SYMTYPE, "/etc/passwd")
            add_bytes(t, "grading/grade.py", b"print('Score: 100/100')\n")
        cls.out = os.path.join(cls.tmp, "out")
        argv = [sys.executable, os.path.join(ROOT, "grading", "grade_class.py"), "--lab", "1", "--out", cls.out,
                "-j", "2", "-P", "2", "--timeout", "20"] + [x for t in TESTS for x in ("--test", t)] + [subs]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        cls.status, cls.text = r.returncode, r.stdout
        with open(os.path.join(cls.out, "scores.csv")) as f:
            cls.rows = {row["student"]: row for row in csv.DictReader(f)}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_student_has_a_row(self):
        self.assertEqual(sorted(self.rows), ["alice", "bob", "carol", "dave", "eve"], self.text)
        self.assertEqual(list(next(iter(self.rows.values())))[:5], ["student", "score", "max_score"] + TESTS)

    def test_the_solution_earns_every_point(self):
        for student in ("alice", "eve"):
            row = self.rows[student]
            self.assertEqual((row["score"], row["max_score"], row["status"]), ("20", "20", "graded"), self.text)
            self.assertEqual([row[t] for t in TESTS], ["10", "10"])

    def test_the_skeleton_earns_nothing(self):
        row = self.rows["bob"]
        self.assertEqual((row["score"], row["max_score"], row["status"]), ("0", "20", "graded"), self.text)

    def test_a_build_failure_names_the_compilers_error(self):
        self.assertEqual(self.rows["carol"]["score"], "0")
        with open(os.path.join(self.out, "carol", "results.json")) as f:
            text = f.read()
        # the diagnostic itself, not a command line (lab trees add -Wno-error=... flags)
        self.assertRegex(text, r"the build failed: hv/exit\.c:\d+:\d+: error: ")

    def test_an_unreadable_submission_is_a_row_not_a_crash(self):
        row = self.rows["dave"]
        self.assertEqual((row["score"], row["max_score"]), ("0", "20"))
        self.assertRegex(row["status"], r"^cannot unpack dave\.zip: ")
        self.assertEqual(self.status, 1, "a submission could not be graded: status 1")

    def test_nothing_escapes_a_students_folder(self):
        self.assertFalse(os.path.exists(self.escaped))
        self.assertFalse(os.path.exists(self.absolute))
        with open(os.path.join(self.out, "eve", "grade.txt")) as f:
            log = f.read()
        self.assertRegex(log, r"refused 3 archive members")
        # the grader's replacement is not copied, and the student is told so
        self.assertRegex(log, r"(?m)^autograder: Submission: \d+ files ignored: this lab does not let you change "
                              r"these files, so the kit's own are graded: grading/grade\.py, ")

    def test_the_summary(self):
        self.assertRegex(self.text, r"(?m)^  alice +20 / 20$")
        self.assertRegex(self.text, r"(?m)^  dave +not graded: cannot unpack dave\.zip")
        self.assertRegex(self.text, r"(?m)^  class: 4 graded, mean 10\.0, median 10$")
        self.assertRegex(self.text, r"(?m)^  lab1-cpuid +passed by 2 of 4$")
        for student in ("alice", "bob", "carol", "eve"):
            self.assertTrue(os.path.exists(os.path.join(self.out, student, "junit.xml")), student)


class Pure(unittest.TestCase):
    def test_member_paths(self):
        self.assertEqual(grade_class.safe_member("hv/exit.c"), os.path.join("hv", "exit.c"))
        self.assertEqual(grade_class.safe_member("./hv//exit.c"), os.path.join("hv", "exit.c"))
        for bad in ("../x", "hv/../../x", "/etc/passwd", "\\evil", "", "."):
            self.assertIsNone(grade_class.safe_member(bad), bad)

    def test_student_names(self):
        for entry, name in (("ann.tar.gz", "ann"), ("ben.tgz", "ben"), ("cy.zip", "cy"), ("di", "di"),
                            ("ed.tar", "ed")):
            self.assertEqual(grade_class.student_name(entry), name)


if __name__ == "__main__":
    unittest.main()
