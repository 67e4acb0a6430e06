"""test_grade_same_as.py: a lab test's reference runs (same_as_native and
same_as, labs/lab1/tests.toml's header), from the declaration to the grade.

The declarations are read from a made-up lab (labs/lab9/tests.toml in a
temporary source tree) beside the kit's own tests: what hvrun arguments
the reference runs get, and what a malformed same_as is told. Then the real
grader (grading/grade.py --source that tree --no-build) grades the made-up
tests with a stand-in tools/hvrun, which prints a PTFUZZ line whose digest
depends on the hypervisor's options it was given: the grade passes when
both runs print the same line and fails, naming both lines, when they do
not (and when the reference prints none).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))
import judge  # noqa: E402
import labspec  # noqa: E402

LINE = "'^PTFUZZ seed .*$'"


def ptfuzz_test(name, points, hv_args, references, guest=None):
    """A made-up test's declaration: ptfuzz's PTFUZZ line under hv_args,
    compared with its references (same_as_native, same_as: TOML lines)."""
    return "\n".join(['[[test]]', 'name = "%s"' % name, 'points = %d' % points]
                     + ['guest = "%s"' % guest] * bool(guest)
                     + ['guest_args = "test=ptfuzz"', 'hv_args = %s' % json.dumps(hv_args),
                        "must = ['^PTFUZZ seed ']"] + references) + "\n"


LAB = "\n".join([
    'lab = 9\ntitle = "made up"\nhv_args = ["devices=virtual"]\n',
    ptfuzz_test("pv-equals-ept", 10, ["cpu=pv"], ['same_as = { guest = "guestos", hv_args = ["mem=ept"], '
                                                  'line = %s }' % LINE], guest="guestos-pv"),
    ptfuzz_test("shadow-equals-ept", 5, ["mem=shadow"], ['same_as = { hv_args = ["mem=ept"], line = %s }' % LINE]),
    ptfuzz_test("ept-equals-native-and-shadow", 5, ["mem=ept"],
                ["same_as_native = %s" % LINE, 'same_as = { hv_args = ["mem=shadow"], line = %s }' % LINE]),
    ptfuzz_test("reference-silent", 5, ["mem=ept"],
                ['same_as = { hv_args = ["mem=ept", "silent"], line = %s }' % LINE]),
])

# A stand-in for tools/hvrun: the console has the PTFUZZ line with a digest
# chosen by the run's options ($FAKE_DIGESTS: {option: digest}; a run with
# "silent" prints none; the bare CPU's, with no hypervisor, "native").
FAKE_HVRUN = textwrap.dedent('''\
    import json, os, sys
    argv = sys.argv[1:]
    log = argv[argv.index("--log") + 1]
    after = argv[len(argv) - argv[::-1].index("--") :]
    hv = any(w.endswith("hv.elf") for w in argv)
    digests = json.loads(os.environ["FAKE_DIGESTS"])
    key = next((w for w in after if w in digests), None) if hv else "native"
    with open(os.environ["FAKE_HVRUN_LOG"], "a") as f:
        f.write(json.dumps(argv) + "\\n")
    with open(log, "w") as f:
        f.write("guestos: hvlab guest OS (i386)\\n")
        if "silent" not in after:
            f.write("PTFUZZ seed 0x19: 240 ops, digest %s\\n" % digests.get(key, "0xunknown"))
        f.write("POWEROFF 0\\n")
    ''')


def make_source(tmp):
    """A source tree for grade.py --source: the made-up lab and the stand-in runner."""
    source = os.path.join(tmp, "source")
    os.makedirs(os.path.join(source, "labs", "lab9"))
    os.makedirs(os.path.join(source, "tools"))
    with open(os.path.join(source, "labs", "lab9", "tests.toml"), "w") as f:
        f.write(LAB)
    with open(os.path.join(source, "tools", "hvrun"), "w") as f:
        f.write(FAKE_HVRUN)
    return source


class Declarations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-same-as-")
        cls.source = make_source(cls.tmp)
        cls.path = os.path.join(cls.source, "labs", "lab9", "tests.toml")
        cls.build = os.path.join(ROOT, "build")
        cls.tests = {t.name: t for t in labspec.load_lab(cls.path, ROOT, cls.build)}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_same_as_boots_its_guest_under_the_hypervisor_with_its_options(self):
        t = self.tests["pv-equals-ept"]
        self.assertEqual(len(t.references), 1)
        ref = t.references[0]
        argv = ref.run_argv("0" * 16)
        hv = os.path.join(self.build, "hv", "hv.elf")
        # its own options alone: the lab's (devices=virtual) name the lab's mode
        self.assertEqual(argv[argv.index(hv) + 1:], ["--", "mem=ept"])
        kernel = argv[argv.index("--module") + 1]
        self.assertEqual(kernel, os.path.join(self.build, "guestos", "kernel.elf") + " test=ptfuzz")
        # the guest's programs follow it, as they follow the test's own PV kernel
        self.assertIn(os.path.join(self.build, "guestos", "user", "ptfuzz.elf"), argv)
        own = t.run_argv("0" * 16)
        self.assertEqual(own[own.index("--module") + 1], os.path.join(self.build, "guestos-pv", "kernel.elf")
                         + " test=ptfuzz")
        self.assertEqual((ref.pattern, ref.tag), ("^PTFUZZ seed .*$", "same-as"))
        self.assertEqual(ref.where, "guestos with mem=ept")

    def test_same_as_defaults_to_the_tests_own_guest(self):
        argv = self.tests["shadow-equals-ept"].references[0].run_argv("0" * 16)
        self.assertEqual(argv[argv.index("--module") + 1], os.path.join(self.build, "guestos", "kernel.elf")
                         + " test=ptfuzz")

    def test_both_references_in_order(self):
        refs = self.tests["ept-equals-native-and-shadow"].references
        self.assertEqual([r.tag for r in refs], ["native", "same-as"])
        native = refs[0].run_argv("0" * 16)
        self.assertFalse(any(w.endswith("hv.elf") for w in native), native)
        self.assertEqual(native[-2:], ["--", "test=ptfuzz"])

    def test_a_challenge_reaches_the_reference_run_too(self):
        with open(self.path) as f:
            text = f.read().replace("hv_args = [\"mem=shadow\"]\n", "hv_args = [\"mem=shadow\"]\nchallenge = '^PTFUZZ'\n")
        path = os.path.join(self.tmp, "challenge.toml")
        with open(path, "w") as f:
            f.write(text)
        t = next(t for t in labspec.load_lab(path, ROOT, self.build) if t.name == "shadow-equals-ept")
        argv = t.references[0].run_argv("0123456789abcdef")
        self.assertTrue(argv[argv.index("--module") + 1].endswith(" test=ptfuzz challenge=0123456789abcdef"), argv)

    def test_malformed_same_as_is_refused(self):
        for same_as, said in (('"^x$"', "same_as is a table"),
                              ('{ hv_args = ["mem=ept"] }', "same_as is a table"),
                              ('{ line = "x", mem = "ept" }', "same_as is a table"),
                              ('{ line = "x", hv_args = "mem=ept" }', "hv_args is a list of words"),
                              ('{ line = "x", guest = "nosuch" }', "unknown guest 'nosuch'")):
            path = os.path.join(self.tmp, "bad.toml")
            with open(path, "w") as f:
                f.write('lab = 9\n[[test]]\nname = "bad"\npoints = 1\nsame_as = %s\n' % same_as)
            with self.assertRaisesRegex(labspec.LabSpecError, "test 'bad'.*" + said):
                labspec.load_lab(path, ROOT, self.build)

    def test_judge_names_both_lines(self):
        self.assertEqual(judge.same_as("^L .*$", "x\nL 1\n", "L 1\n", "guestos with mem=ept", "there"), [])
        self.assertEqual(judge.same_as("^L .*$", "L 1\n", "L 2\n", "guestos with mem=ept", "there"),
                         ["differs from guestos with mem=ept: 'L 1', there 'L 2'"])
        self.assertEqual(judge.same_as("^L .*$", "L 1\n", "L 2\n"), ["differs from the bare CPU: 'L 1', natively 'L 2'"])
        self.assertEqual(judge.same_as("^L .*$", "L 1\n", "", "guestos with mem=ept", "there"),
                         ["the reference run on guestos with mem=ept printed no line matching /^L .*$/"])
        self.assertEqual(judge.same_as("^L .*$", "", "L 1\n"), ["console lacks /^L .*$/"])


class Grade(unittest.TestCase):
    """The grader itself, with the stand-in runner."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hvlab-same-as-")
        self.source = make_source(self.tmp)
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.runs = os.path.join(self.logs, "hvrun-argv.jsonl")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def grade(self, test, digests):
        results = os.path.join(self.tmp, "results.json")
        env = dict(os.environ, FAKE_DIGESTS=json.dumps(digests), FAKE_HVRUN_LOG=self.runs,
                   HVLAB_EMULATOR_SLOTS="")
        p = subprocess.run([sys.executable, os.path.join(ROOT, "grading", "grade.py"), "--source", self.source,
                            "--root", ROOT, "--no-build", "--quiet", "--color", "never", "--logs", self.logs,
                            "--results", results, "--junit", os.path.join(self.tmp, "junit.xml"),
                            "--test", test], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        with open(results) as f:
            self.json = json.load(f)
        with open(self.runs) as f:
            self.argvs = [json.loads(line) for line in f]
        return p

    def test_the_same_line_passes(self):
        p = self.grade("lab9-pv-equals-ept", {"cpu=pv": "0xb0cc2183", "mem=ept": "0xb0cc2183"})
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("Score: 10/10", p.stdout)
        self.assertEqual(len(self.argvs), 2, self.argvs)
        self.assertIn("cpu=pv", self.argvs[0])
        self.assertIn("mem=ept", self.argvs[1])
        self.assertTrue(os.path.exists(os.path.join(self.logs, "lab9-pv-equals-ept.same-as.log")))

    def test_a_different_line_fails_naming_both(self):
        p = self.grade("lab9-pv-equals-ept", {"cpu=pv": "0x0badf00d", "mem=ept": "0xb0cc2183"})
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("Score: 0/10", p.stdout)
        why = "differs from guestos with mem=ept: 'PTFUZZ seed 0x19: 240 ops, digest 0x0badf00d', " \
              "there 'PTFUZZ seed 0x19: 240 ops, digest 0xb0cc2183'"
        self.assertIn(why, self.json["tests"][0]["output"])

    def test_each_reference_is_compared(self):
        same = {"native": "0x1", "mem=ept": "0x1", "mem=shadow": "0x1"}
        self.assertEqual(self.grade("lab9-ept-equals-native-and-shadow", same).returncode, 0)
        p = self.grade("lab9-ept-equals-native-and-shadow", dict(same, **{"mem=shadow": "0x2"}))
        self.assertEqual(p.returncode, 1, p.stdout)
        out = self.json["tests"][0]["output"]
        self.assertIn("differs from guestos with mem=shadow:", out)
        self.assertNotIn("differs from the bare CPU", out)

    def test_a_silent_reference_fails(self):
        p = self.grade("lab9-reference-silent", {"mem=ept": "0x1"})
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("the reference run on guestos with mem=ept silent printed no line matching",
                      self.json["tests"][0]["output"])


if __name__ == "__main__":
    unittest.main()
