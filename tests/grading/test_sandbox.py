"""test_sandbox.py: a class with hostile submissions (issue 13, grading integrity).

One class of lab 1, graded with a relative --out from its own folder (the
default CLASS_OUT is relative), two lab 1 tests and one hidden test each:

  alice    the reference's lab 1 files, honest: every point, no note;
  mallory  a new file that includes the grading tree's labs/lab1/tests.toml
           (the compiler quotes what it cannot parse) and fails: no visible
           output names a hidden test;
  lena     a hypervisor that prints the contents of its modules and panics:
           its visible output names no hidden test;
  zed.zip  a 2 MB zip holding 2 GiB: refused before it is unpacked.

A second class holds one endless build (carlos: a header that includes
itself twice, 60 levels deep), graded with a build time limit of a few
seconds: it is stopped and named in his result. A build whose own makefile
leaves a daemon (what `make grade` in a student's own tree runs, and what a
submission's makefiles could do before grading laid only the lab's files
over the instructor's tree) is killed with it. A runner that hangs on every
test costs the submission's time budget, not every test's timeout. As root,
the same is done again without bubblewrap (each run as a user id of its
own), and must hold the same way.
"""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zipfile
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import grade as grader  # noqa: E402  (grade() below grades a class)
import grade_class  # noqa: E402
import gradescope  # noqa: E402
import labspec  # noqa: E402
import submission  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_autograder  # noqa: E402
from test_grader import with_mark  # noqa: E402

VISIBLE = ["lab1-launch", "lab1-multiboot-info"]
HIDDEN = "lab1-triple-fault"
TESTS = VISIBLE + [HIDDEN]
MARK = "hvlab-test-sandbox-daemon"


def hidden_words():
    """What would name a hidden test: its names and its description."""
    words = []
    for t in labspec.load_all(ROOT):
        if t.hidden and t.lab == 1:
            words += [t.full_name, 'name = "%s"' % t.name, t.description]
    return words


def marked_pids():
    """The daemons this test's submission started (a word of their command line is MARK)."""
    return with_mark(MARK)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def make_bomb(path):
    """2 GiB of zeros in one member, about 2 MB of zip."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("hv/bomb.c", "w", force_zip64=True) as f:
            chunk = bytes(1 << 24)
            for _ in range(128):
                f.write(chunk)


def honest(folder):
    """The reference's lab 1 files: what a student who did lab 1 hands in."""
    for rel in submission.file_list(ROOT, 1)["files"]:
        os.makedirs(os.path.dirname(os.path.join(folder, rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(folder, rel))


def make_mallory(folder):
    """A build that quotes the grading tree's tests.toml and fails."""
    honest(folder)
    with open(os.path.join(folder, "hv", "mallory.c"), "w") as f:
        f.write('#error "mallory\'s build stops here"\n#include "../labs/lab1/tests.toml"\n')


def daemon_tree(tmp, out):
    """A tree whose own hv.mk leaves a daemon rewriting out (setsid, double
    fork) and then stops the build."""
    tree = os.path.join(tmp, "tree")
    gradescope.fresh_copy(ROOT, tree)
    daemon = "while :; do echo pwned > %s/results.json; sleep 0.2; done" % out
    append(os.path.join(tree, "hv", "hv.mk"),
           "\n$(shell setsid sh -c '(sh -c \"%s\" %s &)' >/dev/null 2>&1 </dev/null)\n"
           "$(error the daemon's build stops here)\n" % (daemon, MARK))
    return tree


def grade_daemon_tree(test, env=None):
    """grade.py on daemon_tree: the daemon is killed, named, and writes nothing."""
    tmp = tempfile.mkdtemp(prefix="hvlab-test-daemon-")
    try:
        out = os.path.join(tmp, "out")
        os.makedirs(out)
        tree = daemon_tree(tmp, out)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "grading", "grade.py"), "--root", tree,
                            "--test", "lab1-launch", "--results", os.path.join(out, "results.json"),
                            "--junit", os.path.join(out, "junit.xml"), "--logs", os.path.join(out, "logs")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, env=env)
        time.sleep(1.5)            # a surviving daemon rewrites results.json within 0.2 s
        test.assertEqual(end_marked(), [], "the daemon outlived the grader")
        with open(os.path.join(out, "results.json")) as f:
            doc = json.load(f)
        test.assertEqual(doc["tests"][0]["score"], 0, r.stdout)
        test.assertIn("the daemon's build stops here", doc["tests"][0]["output"])
        test.assertRegex(" ".join(doc["extra_data"]["notes"]), r"leftover processes killed after the build: [12] ")
    finally:
        end_marked()
        shutil.rmtree(tmp, ignore_errors=True)


def end_marked():
    """End the daemons a grader let live (ours: this test started them)."""
    left = marked_pids()
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def grade(subs, out, cwd, *extra, env=None):
    argv = [sys.executable, os.path.join(ROOT, "grading", "grade_class.py"), "--lab", "1", "--out", out,
            "-j", "2", "--timeout", "30"] + list(extra) + [x for t in TESTS for x in ("--test", t)] + [subs]
    start = time.monotonic()
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
                       env=env)
    return r.returncode, r.stdout, time.monotonic() - start


def rows(out):
    with open(os.path.join(out, "scores.csv")) as f:
        return {row["student"]: row for row in csv.DictReader(f)}


class HostileClass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-test-sandbox-")
        subs = os.path.join(cls.tmp, "subs")
        cls.out = os.path.join(cls.tmp, "class-out")
        honest(os.path.join(subs, "alice"))
        make_mallory(os.path.join(subs, "mallory"))

        lena = os.path.join(subs, "lena")
        honest(lena)
        guest_c = os.path.join(lena, "hv", "guest", "guest.c")
        with open(guest_c) as f:
            text = f.read()
        dump = ('        for (uint64_t k = 0; k < size; k++)\n'
                '            printf("%c", ((const char *)phys_ptr(m->start, size))[k]);\n'
                '        if (i + 1 == nmods)\n'
                '            panic("lena: every module printed");\n')
        anchor = "        memcpy(dst, phys_ptr(m->start, size), size);\n"
        assert anchor in text, "hv/guest/guest.c's guest_load changed: update this test"
        with open(guest_c, "w") as f:
            f.write(text.replace(anchor, anchor + dump, 1))

        make_bomb(os.path.join(subs, "zed.zip"))
        # Relative paths from the class's own folder, as make grade-class's
        # default CLASS_OUT is.
        cls.status, cls.text, cls.seconds = grade("subs", "class-out", cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def results(self, student):
        with open(os.path.join(self.out, student, "results.json")) as f:
            return json.load(f)

    def visible_text(self, student):
        doc = self.results(student)
        return doc.get("output", "") + "".join(t["name"] + t.get("output", "") for t in doc.get("tests", [])
                                               if t.get("visibility") != "after_published")

    def test_relative_out_and_the_honest_submission(self):
        # The console logs went to class-out/alice/logs, not into a temporary tree.
        r = rows(self.out)["alice"]
        self.assertEqual((r["score"], r["max_score"], r["status"]), ("25", "25", "graded"), self.text)
        self.assertEqual([r[t] for t in TESTS], ["10", "10", "5"])
        self.assertEqual(r["notes"], "")
        self.assertTrue(os.path.exists(os.path.join(self.out, "alice", "logs", "lab1-launch.log")))

    def test_a_build_that_quotes_the_tests_fails_and_is_graded(self):
        r = rows(self.out)["mallory"]
        self.assertEqual((r["score"], r["status"]), ("0", "graded"), self.text)
        self.assertEqual(self.results("alice")["tests"][0]["status"], "passed")

    def test_the_build_log_names_no_hidden_test(self):
        text = self.visible_text("mallory")
        self.assertIn("mallory's build stops here", text)     # the student's own build output is shown
        for word in hidden_words():
            self.assertNotIn(word, text)

    def test_the_modules_name_no_hidden_test(self):
        text = self.visible_text("lena")
        self.assertIn("lena: every module printed", text)     # the console is shown
        for word in hidden_words():
            self.assertNotIn(word, text)

    def test_hidden_results_are_neither_named_nor_sized_nor_totalled(self):
        for student in ("alice", "mallory", "lena"):
            doc = self.results(student)
            self.assertNotIn("score", doc)          # Gradescope would show it at once, hidden points in
            self.assertNotIn("max_score", doc)      # not in Gradescope's format
            self.assertNotRegex(doc["output"], r"(?i)triple|\bhidden test|\?/5")
            hidden = [t for t in doc["tests"] if t["name"] == HIDDEN]
            self.assertEqual([t["visibility"] for t in hidden], ["after_published"])

    def test_a_zip_bomb_is_refused_before_it_is_unpacked(self):
        r = rows(self.out)["zed"]
        self.assertEqual(r["score"], "0")
        self.assertRegex(r["status"], r"^refused zed\.zip: it unpacks to 2048\.0 MiB, more than the limit")
        self.assertRegex(r["notes"], r"refused zed\.zip")
        self.assertRegex(self.results("zed")["output"], r"refused zed\.zip")   # the student sees why
        self.assertEqual(self.status, 1, self.text)


class Lifetimes:
    """The processes whose command line holds word, watched from /proc every
    0.1 s in a thread while the block runs: .longest is the longest any of
    them was seen alive (first poll that found it to last), in seconds.
    What a build limit promises is that the build's own processes end soon
    after it, whatever else the grading does and however busy the machine:
    their lives say so; the grading's wall time does not (the kit's build
    and the lab's tests in it took 139 s on a busy CI, 240 s and more under
    five helpers' load)."""

    def __init__(self, word):
        self.word, self.seen, self.longest = word.encode(), {}, 0.0
        self.done = threading.Event()

    def _poll(self):
        while not self.done.wait(0.1):
            now = time.monotonic()
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        if self.word not in f.read():
                            continue
                except (OSError, ValueError):
                    continue
                first = self.seen.setdefault(pid, now)
                self.longest = max(self.longest, now - first)

    def __enter__(self):
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


class EndlessBuild(unittest.TestCase):
    LIMIT = 3                       # --build-timeout: seconds
    LIVES = 60                      # what the endless compiler may live, with a busy machine's delays

    def test_an_endless_build_is_stopped_and_named(self):
        tmp = tempfile.mkdtemp(prefix="hvlab-test-endless-")
        spin_c = "hv/spin%d.c" % os.getpid()        # its compiler's command line: this test's alone
        try:
            subs = os.path.join(tmp, "subs")
            carlos = os.path.join(subs, "carlos")
            honest(carlos)
            # 2^60 inclusions: endless, in constant memory.
            with open(os.path.join(carlos, "hv", "spin.h"), "w") as f:
                f.write('#if __INCLUDE_LEVEL__ < 60\n#include "spin.h"\n#include "spin.h"\n#endif\n')
            with open(os.path.join(carlos, spin_c), "w") as f:
                f.write('#include "spin.h"\n')
            out = os.path.join(tmp, "out")
            with Lifetimes(spin_c) as spin:
                status, text, seconds = grade(subs, out, tmp, "--build-timeout", str(self.LIMIT))
            self.assertNotEqual(subprocess.run(["pgrep", "-f", spin_c], stdout=subprocess.DEVNULL).returncode, 0,
                                "the endless build outlived its grading")
            # Stopped by its limit, not left to the default one (300 s).
            self.assertGreater(spin.longest, 0, "the endless compiler was never seen: " + text)
            self.assertLess(spin.longest, self.LIVES, text)
            r = rows(out)["carlos"]
            self.assertEqual((r["score"], r["status"]), ("0", "graded"), text)
            self.assertRegex(r["notes"], r"build time limit hit: make stopped after 3 s")
            with open(os.path.join(out, "carlos", "results.json")) as f:
                doc = json.load(f)
            self.assertRegex(doc["tests"][0]["output"], r"the build failed: make did not finish in 3 s")
            self.assertRegex(doc["output"], r"build time limit hit")
            # The same in Gradescope's layout, with the limit set when packing.
            zpath, ag = os.path.join(tmp, "autograder.zip"), os.path.join(tmp, "autograder")
            p = fake_autograder.pack(zpath, lab=1)
            self.assertEqual(p.returncode, 0, p.stdout)
            fake_autograder.unpack(zpath, ag)
            with Lifetimes(spin_c) as spin:
                text, doc = fake_autograder.grade(ag, carlos, "--test lab1-launch --build-timeout %d" % self.LIMIT)
            self.assertGreater(spin.longest, 0, "the endless compiler was never seen: " + text)
            self.assertLess(spin.longest, self.LIVES, text)
            self.assertEqual(sum(t["score"] for t in doc["tests"]), 0, text)
            self.assertRegex(doc["tests"][0]["output"], r"the build failed: make did not finish in 3 s")
            self.assertRegex(doc["output"], r"build time limit hit")
            self.assertNotEqual(subprocess.run(["pgrep", "-f", spin_c], stdout=subprocess.DEVNULL).returncode, 0,
                                "the endless build outlived its grading")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@unittest.skipUnless(os.geteuid() == 0, "the unprivileged-user fallback is the grader's as root")
class UserFallback(unittest.TestCase):
    """As root where bubblewrap cannot run (Gradescope's containers may not
    allow it), each run gets a user id of its own: forced here with
    HVLAB_SANDBOX=user. The daemon dies, nothing changes, the build cannot
    read the hidden tests, and every result says how it was isolated."""

    def test_root_without_bubblewrap(self):
        tmp = tempfile.mkdtemp(prefix="hvlab-test-user-")
        try:
            subs, out = os.path.join(tmp, "subs"), os.path.join(tmp, "out")
            honest(os.path.join(subs, "alice"))
            make_mallory(os.path.join(subs, "mallory"))
            status, text, _ = grade(subs, out, tmp, env=dict(os.environ, HVLAB_SANDBOX="user"))
            r = rows(out)
            self.assertEqual((r["alice"]["score"], r["alice"]["max_score"]), ("25", "25"), text)
            self.assertRegex(r["alice"]["notes"], r"ran as an unprivileged user, without bubblewrap")
            self.assertEqual((r["mallory"]["score"], r["mallory"]["status"]), ("0", "graded"), text)
            with open(os.path.join(out, "mallory", "results.json")) as f:
                doc = json.load(f)
            visible = doc["output"] + "".join(t["output"] for t in doc["tests"]
                                              if t["visibility"] != "after_published")
            for word in hidden_words():
                self.assertNotIn(word, visible)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_a_daemon_left_by_a_build_is_killed(self):
        grade_daemon_tree(self, env=dict(os.environ, HVLAB_SANDBOX="user"))


class DaemonBuild(unittest.TestCase):
    def test_a_daemon_left_by_a_build_is_killed_and_writes_nothing(self):
        grade_daemon_tree(self)


class TimeBudget(unittest.TestCase):
    def test_a_hanging_submission_costs_its_budget_not_every_timeout(self):
        # A runner that hangs past its own timeout, for every test: with a
        # budget of 3 s the first test is stopped at the budget (plus the
        # outer guard's margin) and the others are not started, instead of
        # each costing its declared timeout (120 s) and the margin.
        tmp = tempfile.mkdtemp(prefix="hvlab-test-budget-")
        saved = grader.OUTER_MARGIN
        try:
            root, logs = os.path.join(tmp, "root"), os.path.join(tmp, "logs")
            os.makedirs(os.path.join(root, "tools"))
            os.makedirs(logs)
            with open(os.path.join(root, "tools", "hvrun"), "w") as f:
                f.write("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(300)\n")
            tests = [t for t in labspec.load_all(ROOT) if t.lab == 1 and not t.references][:3]
            grader.OUTER_MARGIN = 1
            # A fake runner: no emulator, so no slot (tools/runner/slots.py)
            # whose wait would count in the time measured here.
            with mock.patch.dict(os.environ, {grader.slots.SLOTS_ENV: ""}):
                start = time.monotonic()
                results = grader.grade(tests, root, logs, 1, None, grader.Progress(3, False, True),
                                       budget=grader.Budget(3))
                self.assertLess(time.monotonic() - start, 15)
            self.assertFalse(any(r.passed for r in results))
            for r in results[1:]:
                self.assertIn("grading time budget (3 s) was spent", r.reason)
        finally:
            grader.OUTER_MARGIN = saved
            shutil.rmtree(tmp, ignore_errors=True)


class Pure(unittest.TestCase):
    def test_a_bomb_writes_nothing(self):
        with tempfile.TemporaryDirectory(prefix="hvlab-test-bomb-") as tmp:
            bomb = os.path.join(tmp, "bomb.zip")
            with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr("hv/a.c", bytes(3 << 20))
            dest = os.path.join(tmp, "dest")
            os.makedirs(dest)
            limits = grade_class.Limits(unpacked=1 << 20)
            with self.assertRaisesRegex(grade_class.Unpackable, r"unpacks to 3\.0 MiB"):
                grade_class.unpack(bomb, dest, limits)
            self.assertEqual(os.listdir(dest), [])

    def test_too_many_files(self):
        with tempfile.TemporaryDirectory(prefix="hvlab-test-bomb-") as tmp:
            many = os.path.join(tmp, "many.zip")
            with zipfile.ZipFile(many, "w") as z:
                for i in range(20):
                    z.writestr("hv/%d.c" % i, b"")
            with self.assertRaisesRegex(grade_class.Unpackable, r"20 files, more than the limit of 10"):
                grade_class.unpack(many, tmp, grade_class.Limits(files=10))


if __name__ == "__main__":
    unittest.main()
