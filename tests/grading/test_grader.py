"""test_grader.py: the autograder, proven on deliberately broken hypervisors.

Each scenario copies the kit's source (what git lists, from the working tree)
into a temporary directory, breaks hv/ the way a student might (a handler
that loops, a bad guest CS, a console flood, a host triple fault, code that
does not compile), builds and grades a few lab 1 tests there with short
timeouts, and checks that every test got a result, that results.json and
junit.xml are valid and complete, and that the reason names the failure.
The Gradescope entry point runs in a fake /autograder tree the same way.
The rest are quick checks of the pure parts (judging, capping, reports).

Run by `make check` (tests/run_checks.py); about a minute on 2 cores.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import grade  # noqa: E402
import judge  # noqa: E402
import kitbuild  # noqa: E402
import labspec  # noqa: E402
import report  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_autograder  # noqa: E402

TIMEOUT = 8          # seconds per test in the scenarios: a lab 1 test passes in about 1
# A scenario's grade.py run may last this long before it counts as hung. The
# grader's own limits (the build's, each test's) end what a submission does;
# the rest of the run's time is the tree's build and the emulator slots'
# queue, which a busy machine stretches without bound (the forgery scenario:
# 42 s quiet, 509 s while five helpers loaded the machine, past the 300 s
# this was). What a scenario checks is what the grader reports, not speed.
HUNG = 1800
JOBS = 2


def copy_source(dst):
    """The kit's source as it is now (tracked and new files), and its
    build's images and hypervisor objects, times kept (as the grader gives
    every submission: grading/kitbuild.py): a scenario's patch is newer,
    and make compiles what it changed."""
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         check=True, stdout=subprocess.PIPE).stdout.decode()
    for rel in sorted(set(f for f in out.split("\0") if f)):
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dst, rel))
    kitbuild.copy(ROOT, dst)
    kitbuild.copy_hypervisor(ROOT, dst)


def patch(root, path, pattern, replacement):
    """Break one file; the pattern must match exactly once, so a change in
    hv/ that moves the code shows here as a clear error, not a silent pass."""
    full = os.path.join(root, path)
    with open(full) as f:
        text = f.read()
    new, n = re.subn(pattern, replacement, text, count=0, flags=re.M | re.S)
    if n != 1:
        raise AssertionError("%s: /%s/ matched %d times, expected once" % (path, pattern, n))
    with open(full, "w") as f:
        f.write(new)


def with_mark(mark):
    """The processes whose command line holds mark."""
    found = []
    for p in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if mark.encode() in f.read().split(b"\0"):
                    found.append(int(p))
        except (OSError, ValueError):
            pass
    return found


def points(name):
    return next(t.points for t in labspec.load_all(ROOT) if t.full_name == name)


class Scenario(unittest.TestCase):
    """A copy of the tree per test, graded there."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hvlab-grader-test-")
        self.root = os.path.join(self.tmp, "tree")
        copy_source(self.root)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def grade(self, *args, timeout=TIMEOUT):
        out = os.path.join(self.root, "build", "grade")
        argv = [sys.executable, os.path.join(self.root, "grading", "grade.py"), "--root", self.root,
                "-j", str(JOBS), "--timeout", str(timeout), "--color", "never", "--show-hidden"] + list(args)
        start = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=HUNG)
        self.seconds = time.monotonic() - start
        self.text = p.stdout.decode("utf-8", "replace")
        self.results = self.check_outputs(os.path.join(out, "results.json"), os.path.join(out, "junit.xml"))
        return p.returncode

    def check_outputs(self, results_path, junit_path):
        """Both files exist, parse, and agree on every test; returns
        {test name: its results.json entry}."""
        with open(results_path, encoding="utf-8") as f:
            doc = json.load(f)
        for key in ("output", "tests"):
            self.assertIn(key, doc, self.text)
        hidden = any(t["visibility"] == "after_published" for t in doc["tests"])
        self.assertEqual("execution_time" in doc, not hidden, self.text)
        # No top-level score (it would reveal hidden results at once: Gradescope
        # adds up the tests) and no max_score (not in Gradescope's format).
        self.assertNotIn("score", doc)
        self.assertNotIn("max_score", doc)
        for t in doc["tests"]:
            self.assertEqual(set(t), {"name", "score", "max_score", "status", "output", "visibility"})
            self.assertIn(t["status"], ("passed", "failed"))
            self.assertIn(t["visibility"], ("visible", "after_published"))
        cases = ET.parse(junit_path).getroot().iter("testcase")
        junit = {c.get("name"): c.find("failure") is not None for c in cases}
        self.assertEqual(junit, {t["name"]: t["status"] == "failed" for t in doc["tests"]})
        return {t["name"]: t for t in doc["tests"]}

    def junit_seconds(self, name):
        """The time junit.xml records for test name's run."""
        junit = os.path.join(self.root, "build", "grade", "junit.xml")
        return next(float(c.get("time")) for c in ET.parse(junit).getroot().iter("testcase") if c.get("name") == name)

    def assertFailed(self, name, *reasons):
        t = self.results[name]
        self.assertEqual(t["status"], "failed", t["output"])
        self.assertEqual(t["score"], 0)
        why = t["output"].split("\nWhy: ", 1)[1].split("\n", 1)[0]
        for r in reasons:
            self.assertRegex(why, r, t["output"])
        self.assertRegex(self.text, r"(?m)^%s\s.*FAIL" % re.escape(name))
        return t["output"]

    def assertPassed(self, name):
        t = self.results[name]
        self.assertEqual(t["status"], "passed", t["output"])


class BrokenHypervisors(Scenario):

    def test_cpuid_handler_loops_forever(self):
        patch(self.root, "hv/exit/exit_cpuid.c", r"(void handle_cpuid\(struct vcpu \*v\)\n\{\n)",
              r'\1    for (;;)\n        __asm__ volatile("pause");\n')
        status = self.grade("--test", "lab1-cpuid", "--test", "lab1-launch")
        self.assertEqual(status, 1, self.text)
        # The runner's own timeout stopped it (not the grader's outer guard,
        # which would say "the grader stopped the runner").
        self.assertFailed("lab1-cpuid", r"^timeout after %d s: the machine never powered off" % TIMEOUT)
        self.assertPassed("lab1-launch")
        self.assertRegex(self.text, r"(?m)^Score: %g/%g$" % (points("lab1-launch"),
                                                            points("lab1-launch") + points("lab1-cpuid")))
        self.assertRegex(self.text, r"log: build/grade/logs/lab1-cpuid\.log|logs/lab1-cpuid\.log")
        self.assertTrue(os.path.exists(os.path.join(self.root, "build", "grade", "logs", "lab1-cpuid.log")))
        # The run's own time, as the grader measured it (junit.xml): its clock
        # starts once the run has an emulator slot, so the machine's load (the
        # builds, the queue: 240 s and more for the whole grading under other
        # helpers' load) is not in it. The timeout fired (at least TIMEOUT s)
        # and the run ended within the grader's outer margin after it.
        seconds = self.junit_seconds("lab1-cpuid")
        self.assertGreaterEqual(seconds, TIMEOUT, self.text)
        self.assertLess(seconds, TIMEOUT + grade.OUTER_MARGIN + 5, self.text)

    def test_guest_cs_access_rights_broken(self):
        patch(self.root, "hv/guest/vmcs_setup.c", r"(    setup_guest_state\(v, caps\);\n)",
              r"\1    vmcs_write(VMCS_GUEST_CS_ACCESS_RIGHTS, 0);\n")
        self.assertEqual(self.grade("--test", "lab1-launch"), 1, self.text)
        out = self.assertFailed("lab1-launch", r"^panic: hv: VM-entry check: SDM .*GUEST_CS_ACCESS_RIGHTS")
        self.assertRegex(out, r"(?m)^  PANIC hv: VM entry failed")
        self.assertRegex(out, r"(?m)^  hv: VM-entry check: .*GUEST_CS_ACCESS_RIGHTS")
        self.assertRegex(out, r"(?m)^  hvrun:   bochs: .*VMENTER")     # Bochs's own reason, through the runner

    def test_console_flood_with_garbage(self):
        patch(self.root, "hv/main.c", r"(    serial_init\(\);\n)",
              r'\1    for (unsigned i = 0;; i++)\n'
              r'        printf("flood %u \\xff\\xfe\\x1b[2J\\x07 not UTF-8\\n", i);\n')
        self.assertEqual(self.grade("--test", "lab1-launch", timeout=5), 1, self.text)
        self.assertFailed("lab1-launch", r"^timeout")
        log = os.path.join(self.root, "build", "grade", "logs", "lab1-launch.log")
        self.assertLess(os.path.getsize(log), 80 << 10)        # capped on disk
        with open(log, encoding="utf-8") as f:
            kept = f.read()
        self.assertIn("cut here", kept)
        self.assertRegex(kept, r"^flood 0 ")                     # the head is kept
        self.assertNotIn("\x1b", self.text)                       # nothing raw reaches the terminal
        self.assertIn("\\x1b[2J", self.results["lab1-launch"]["output"])

    def test_host_triple_fault(self):
        patch(self.root, "hv/exit/exit_cpuid.c", r"(void handle_cpuid\(struct vcpu \*v\)\n\{\n)",
              r"\1    static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) no_idt;\n"
              r'    __asm__ volatile("lidt %0; int3" : : "m"(no_idt));\n')
        self.assertEqual(self.grade("--test", "lab1-cpuid"), 1, self.text)
        self.assertFailed("lab1-cpuid", r"^triple fault")

    def test_build_failure(self):
        patch(self.root, "hv/main.c", r"(\nvoid hv_main\(uint32_t magic, uint32_t mbi_pa\)\n\{)",
              r"\nthis does not compile;\1")
        self.assertEqual(self.grade("--test", "lab1-vmxon", "--test", "lab1-launch"), 1, self.text)
        for name in ("lab1-vmxon", "lab1-launch"):
            # the compiler's own diagnostic, not a command line with "-Wno-error=" in it
            self.assertFailed(name, r"^the build failed: hv/main\.c:\d+:\d+: error: ")
        self.assertRegex(self.text, r"(?m)^Score: 0/")


class GraderGuards(Scenario):

    def test_a_runner_that_hangs_is_stopped(self):
        # A runner that ignores its own timeout and leaves a process behind in
        # a session of its own, as Bochs is: the outer guard stops both.
        # The runner may write only the logs (grading/sandbox.py), and its
        # process ids are its PID namespace's: the child is found by a mark
        # in its command line.
        logs = os.path.join(self.tmp, "logs")
        os.makedirs(logs)
        pidfile = os.path.join(logs, "child.pid")
        mark = "300.%d" % os.getpid()
        with open(os.path.join(self.root, "tools", "hvrun"), "w") as f:
            f.write("#!/usr/bin/env python3\nimport os, signal, subprocess, time\n"
                    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                    "p = subprocess.Popen(['sleep', %r], start_new_session=True)\n"
                    "open(%r, 'w').write(str(p.pid))\ntime.sleep(300)\n" % (mark, pidfile))
        grade.OUTER_MARGIN, saved = 1, grade.OUTER_MARGIN
        try:
            t = [t for t in labspec.load_all(self.root) if t.full_name == "lab1-launch"][0]
            # A fake runner: no emulator, so no slot (tools/runner/slots.py)
            # whose wait would count in the time measured here.
            with mock.patch.dict(os.environ, {grade.slots.SLOTS_ENV: ""}):
                start = time.monotonic()
                r = grade.run_test(t, self.root, logs, 1)
                self.assertLess(time.monotonic() - start, 15)
        finally:
            grade.OUTER_MARGIN = saved
        self.assertFalse(r.passed)
        self.assertIn("the grader stopped the runner", r.runner)
        self.assertRegex(r.reason, "timeout")
        self.assertTrue(os.path.exists(pidfile), "the runner's child never started")
        time.sleep(0.2)
        self.assertEqual(with_mark(mark), [], "the runner's child is still running")

    def test_gradescope_run_autograder(self):
        # The zip as `make gradescope` makes it, unpacked into a fake /autograder.
        ag = os.path.join(self.tmp, "autograder")
        zpath = os.path.join(self.tmp, "autograder.zip")
        p = fake_autograder.pack(zpath, cwd=self.root)
        self.assertEqual(p.returncode, 0, p.stdout)
        names = fake_autograder.unpack(zpath, ag)
        for need in ("setup.sh", "run_autograder", "grading/grade.py", "labs/lab1/tests.toml"):
            self.assertIn(need, names)
        self.assertFalse([n for n in names if n.startswith("build/")])
        # The submission: a repository folder whose CPUID handler loops, and a
        # tests.toml of its own that the autograder must not use.
        sub = os.path.join(ag, "submission", "hvlab-main")
        for rel in ("hv/exit/exit_cpuid.c", "labs/lab1/tests.toml"):
            os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
        shutil.copy(os.path.join(self.root, "hv", "exit", "exit_cpuid.c"),
                    os.path.join(sub, "hv", "exit", "exit_cpuid.c"))
        patch(sub, "hv/exit/exit_cpuid.c", r"(void handle_cpuid\(struct vcpu \*v\)\n\{\n)",
              r'\1    for (;;)\n        __asm__ volatile("pause");\n')
        with open(os.path.join(sub, "labs", "lab1", "tests.toml"), "w") as f:
            f.write('lab = 1\n[[test]]\nname = "cpuid"\npoints = 1000\n')
        env = dict(os.environ, AUTOGRADER_ROOT=ag,
                   GRADE_ARGS="--test lab1-cpuid --test lab1-launch -j %d --timeout %d" % (JOBS, TIMEOUT))
        p = subprocess.run([os.path.join(ag, "source", "run_autograder")], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        self.text = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, self.text)
        self.assertIn("Submission: 1 file ignored: this lab does not let you change these files, "
                      "so the kit's own are graded: labs/lab1/tests.toml", self.text)
        self.results = self.check_outputs(os.path.join(ag, "results", "results.json"),
                                          os.path.join(ag, "results", "junit.xml"))
        self.assertEqual(sorted(self.results), ["lab1-cpuid", "lab1-launch"])
        self.assertEqual(self.results["lab1-cpuid"]["status"], "failed")
        self.assertIn("timeout", self.results["lab1-cpuid"]["output"])
        self.assertEqual(self.results["lab1-launch"]["status"], "passed")
        # What the student sees names nothing of the grader's (issue 13,
        # point 5): what to run in their own tree instead.
        with open(os.path.join(ag, "results", "results.json")) as f:
            doc = json.load(f)
        shown = doc["output"] + "".join(t["output"] for t in doc["tests"])
        for grader_path in (ag, "/tmp/", "results/logs", "build/grade/logs"):
            self.assertNotIn(grader_path, shown)
        self.assertIn("Grade it again in your tree: make grade TEST=lab1-cpuid", shown)
        self.assertRegex(shown, r"Or boot it yourself there: tools/hvrun --timeout \d+ --emu bochs --module "
                                r"'build/guestos/kernel\.elf test=virtcheck' ")


class Pure(unittest.TestCase):
    """The grader's pure parts: no emulator."""

    def test_verdict_is_the_harness_verdict(self):
        self.assertEqual(judge.verdict(0, [r"^a$"], [r"^b"], 0, "a\nc\n"), [])
        errs = judge.verdict(0, [r"^x$"], [r"^a"], 5, "a\n", "hvrun: timeout after 8 s: never\n")
        self.assertEqual(len(errs), 3)
        self.assertIn("exit status 5 (timeout), expected 0 (power-off): hvrun: timeout after 8 s", errs[0])

    def test_a_missing_line_names_the_nearest(self):
        # A result line that came out different is quoted, so a failure
        # seen once (in CI) says what the run printed instead.
        must = r"^hostile: result typed 'ab\ c' in 4 keys$"
        console = "hostile: other\nhostile: result typed 'b c' in 3 keys\nhv: done\n"
        self.assertEqual(judge.verdict("any", [must], [], 0, console),
                         ["console lacks /%s/, nearest: 'hostile: result typed 'b c' in 3 keys'" % must])
        # Nothing that begins alike, or a pattern with a short literal start: no quote.
        self.assertEqual(judge.verdict("any", [must], [], 0, "hostile\n"), ["console lacks /%s/" % must])
        self.assertEqual(judge.verdict("any", [r"^hv: .*x$"], [], 0, "hv: y\n"), ["console lacks /^hv: .*x$/"])

    def test_any_status_judges_the_lines_only(self):
        # A test of an early step: the stubs of later steps panic (status 3).
        self.assertEqual(judge.verdict("any", [r"^a$"], [], 3, "a\n"), [])
        self.assertEqual(judge.verdict("any", [r"^a$"], [], 0, "b\n"), ["console lacks /^a$/"])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tests.toml")
            for status, ok in (('"any"', True), ("3", True), ('"3"', False), ("true", False)):
                with open(path, "w") as f:
                    f.write('lab = 1\n[[test]]\nname = "t"\npoints = 1\nguest = "mbinfo"\nstatus = %s\n' % status)
                if ok:
                    self.assertEqual(labspec.load_lab(path, ROOT)[0].status, "any" if status == '"any"' else 3)
                else:
                    with self.assertRaisesRegex(labspec.LabSpecError, 'status is the runner'):
                        labspec.load_lab(path, ROOT)

    def test_other_vms_follow_vm0_in_order(self):
        # vm1 and vm2 (lab 6's third VM): their modules after vm0's, in that
        # order, and hv_args naming the VMs there are; vm2 only with vm1.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tests.toml")
            head = 'lab = 6\n[[test]]\nname = "t"\npoints = 1\nguest = "pvtest"\nguest_args = "case=a"\n'
            vm = 'vm%d = { guest = "pvtest", guest_args = "case=%s" }\n'
            for body, ok in ((vm % (1, "b") + vm % (2, "c") + 'hv_args = ["vms=3"]\n', True),
                             (vm % (1, "b") + vm % (2, "c") + 'hv_args = ["vms=2"]\n', False),
                             (vm % (2, "c") + 'hv_args = ["vms=2"]\n', False)):
                with open(path, "w") as f:
                    f.write(head + body)
                if ok:
                    argv = labspec.load_lab(path, ROOT)[0].argv
                    cases = [w.split("case=")[1] for w in argv if "case=" in w]
                    self.assertEqual(cases, ["a", "b", "c"])
                else:
                    with self.assertRaisesRegex(labspec.LabSpecError, "vm2 needs vm1|hv_args must say vms=3"):
                        labspec.load_lab(path, ROOT)

    def test_cap_keeps_head_and_tail(self):
        text = "".join("line %d\n" % i for i in range(100000))
        kept = judge.cap(text)
        self.assertTrue(kept.startswith("line 0\n"))
        self.assertTrue(kept.endswith("line 99999\n"))
        self.assertLessEqual(len(kept), (64 << 10) + 200)
        self.assertLessEqual(kept.count("\n"), 401)
        one_line = "x" * (1 << 20)
        self.assertLessEqual(len(judge.cap(one_line)), (64 << 10) + 200)
        self.assertEqual(judge.cap("short\n"), "short\n")

    def test_printable_and_xml(self):
        nasty = judge.decode(b"ok \xff\xfe \x00\x1b[31m\x07 \xef\xbf\xbe end")
        shown = judge.printable(nasty)
        self.assertNotRegex(shown, "[\x00-\x08\x0b-\x1f\x7f\ufffe]")
        t = labspec.LabTest(lab=1, name="x", points=5, description="d", argv=[])
        r = grade.Result(t, passed=False, reason=shown, errors=[nasty], console=nasty + "\n")
        ET.fromstring(report.junit_xml([r], 1.0))       # well-formed
        json.loads(report.results_json([r], 1.0))

    def test_hidden_tests(self):
        shown = labspec.LabTest(lab=1, name="a", points=5, description="", argv=[])
        hidden = labspec.LabTest(lab=1, name="b", points=10, description="", argv=[], hidden=True)
        results = [grade.Result(shown, True, "ok", []), grade.Result(hidden, False, "secret reason", ["e"])]
        doc = json.loads(report.results_json(results, 1))
        self.assertEqual([t["visibility"] for t in doc["tests"]], ["visible", "after_published"])
        self.assertNotIn("score", doc)                               # Gradescope adds up the tests
        self.assertNotIn("execution_time", doc)                      # a hidden test that hung would show
        self.assertEqual(sum(t["score"] for t in doc["tests"]), 5)
        self.assertNotIn("secret reason", doc["output"])             # the summary students see at once
        student = report.summary(results)
        self.assertNotIn("secret", student)
        self.assertNotRegex(student, r"lab1-b|10|\b1 hidden")          # neither named nor sized
        self.assertTrue(student.endswith("Score: 5/5"))
        self.assertTrue(report.summary(results, show_hidden=True).endswith("Score: 5/15"))

    def test_no_test_hands_a_grader_file_to_the_hypervisor(self):
        # Issue 13, finding 5: lab1-multiboot-info once passed the grading
        # tree's labs/lab1/tests.toml (the hidden tests) as a data module,
        # which a hypervisor can print. Every module and blob must be a
        # guest program, a test kernel or a data file of its own.
        for t in labspec.load_all(ROOT):
            argv = t.run_argv("0" * 16) + [w for r in t.references for w in r.run_argv("0" * 16)]
            files = [argv[i + 1].split(" ", 1)[0] for i, w in enumerate(argv) if w in ("--module", "--blob")]
            self.assertTrue(files, t.full_name)
            for path in files:
                rel = os.path.relpath(path, ROOT)
                self.assertFalse(rel.startswith(("grading/", "tools/", ".github/")) or rel.endswith("tests.toml"),
                                 "%s hands %s to the hypervisor" % (t.full_name, rel))
                self.assertTrue(rel.startswith(("build/", "labs/lab")), (t.full_name, rel))

    def test_reason_names_the_failure(self):
        t = labspec.LabTest(lab=1, name="x", points=5, description="", argv=[])
        console = "hv: VM-entry check: SDM 27.3.1.2 (x): CS bad\nPANIC hv: VM entry failed: 1 broken rule\n"
        why = grade.reason(t, ["e"], 3, console, "", "PANIC hv: VM entry failed: 1 broken rule")
        self.assertEqual(why, "panic: hv: VM-entry check: SDM 27.3.1.2 (x): CS bad")
        # The guest's own panic explains better than its power-off does.
        console = ("(guest) PANIC guestos: general protection fault in the kernel, eip=0x00101234\n"
                   "hv: guest stopped: it powered off with status 3\n")
        self.assertEqual(grade.reason(t, ["e"], 1, console, "", "power-off, status 1 (the run reported a failure)"),
                         "power-off with failure status: (guest) PANIC guestos: general protection fault in the kernel, "
                         "eip=0x00101234")
        t.status = 3
        self.assertEqual(grade.reason(t, ["e"], 0, "", "", "power-off, status 0"),
                         "power-off, status 0 (expected panic)")

    def test_unknown_test_is_a_usage_error(self):
        self.assertEqual(grade.main(["--test", "lab1-no-such-test", "--no-build"]), 2)

    def test_classroom_json_matches_the_declarations(self):
        path = os.path.join(ROOT, ".github", "classroom", "autograding.json")
        with open(path) as f:
            self.assertEqual(f.read(), grade.classroom_json(labspec.load_all(ROOT)),
                             "regenerate it: grading/grade.py --classroom %s" % os.path.relpath(path, ROOT))


class Handin(unittest.TestCase):

    def test_refuses_a_dirty_tree_and_packs_a_clean_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "grading"))
            shutil.copy(os.path.join(ROOT, "grading", "handin.py"), os.path.join(tmp, "grading"))
            with open(os.path.join(tmp, ".gitignore"), "w") as f:
                f.write("build/\n__pycache__/\n")
            git = ["git", "-C", tmp, "-c", "user.name=s", "-c", "user.email=s@x"]
            subprocess.run(git + ["init", "-q"], check=True)
            subprocess.run(git + ["add", "."], check=True)
            subprocess.run(git + ["commit", "-qm", "work"], check=True)
            handin = [sys.executable, os.path.join(tmp, "grading", "handin.py")]
            env = dict(os.environ, HANDIN_USER="ada")
            p = subprocess.run(handin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertRegex(p.stdout, r"wrote \S*build/handin-ada-\d{8}-\d{6}\.zip: commit ")
            with open(os.path.join(tmp, "new.c"), "w") as f:
                f.write("int x;\n")
            p = subprocess.run(handin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            self.assertEqual(p.returncode, 1)
            self.assertIn("not committed", p.stdout)
            self.assertIn("new.c", p.stdout)


if __name__ == "__main__":
    unittest.main()
