"""Unit tests of grading/skeleton.py: how a lab's code becomes its stubs."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "grading"))
import skeleton  # noqa: E402
import studenttree  # noqa: E402

FILE_SCOPE = '''#include "exit.h"

static int kept(void) { return 1; }

/* LAB 1 BEGIN: emulate CPUID */
static const int table[] = { 1, 2, 3 };

/* Emulate one CPUID. */
void handle_cpuid(struct vcpu *v)
{
    if (v) { v->regs.rax = table[0]; }
    advance_rip(v);
}

static int helper(int x) { return x + "}"[0]; }
/* LAB 1 END */
'''

IN_BODY = '''#include "cpu/panic.h"
uint64_t read_thing(int n)
{
    uint64_t x = 0;
    /* LAB 2 BEGIN: read it */
    x = n * 2;
    /* LAB 2 END */
    return x;
}
'''


class StubTest(unittest.TestCase):
    def test_file_scope_region_keeps_signatures_and_comments(self):
        out, n = skeleton.make_stubs(FILE_SCOPE, "hv/exit/exit_cpuid.c", 1)
        self.assertEqual(n, 1)
        self.assertIn("/* Emulate one CPUID. */\nvoid handle_cpuid(struct vcpu *v)\n{\n    panic(\"LAB 1: your "
                      "code here: handle_cpuid (hv/exit/exit_cpuid.c)\");\n}", out)
        self.assertIn("static int helper(int x)\n{\n    panic(\"LAB 1: your code here: helper", out)
        self.assertNotIn("table[]", out)          # data in the region goes
        self.assertNotIn("advance_rip", out)      # and so does the solution
        self.assertIn("static int kept(void) { return 1; }", out)
        self.assertIn("/* LAB 1: your code here: emulate CPUID */", out)
        self.assertTrue(out.startswith('#include "cpu/panic.h"\n#include "exit.h"'))

    def test_region_inside_a_body_becomes_a_call(self):
        out, n = skeleton.make_stubs(IN_BODY, "hv/x.c", 2)
        self.assertEqual(n, 1)
        self.assertIn('    /* LAB 2: your code here: read it */\n    panic("LAB 2: your code here: read_thing (hv/x.c)");', out)
        self.assertIn("return x;", out)
        self.assertNotIn("n * 2", out)
        self.assertEqual(out.count('#include "cpu/panic.h"'), 1)

    def test_a_guest_kernel_stub_declares_panic_by_its_defs_h(self):
        guest = '#include "../defs.h"\n' + IN_BODY[IN_BODY.index("\n") + 1:]
        out, n = skeleton.make_stubs(guest, "guestos/kernel/pv/x.c", 2)
        self.assertEqual(n, 1)
        self.assertTrue(out.startswith('#include "../defs.h"\nuint64_t read_thing'), out)
        out, n = skeleton.make_stubs(IN_BODY[IN_BODY.index("\n") + 1:], "guestos/kernel/x.c", 2)
        self.assertTrue(out.startswith('#include "defs.h"\n'), out)
        self.assertEqual(skeleton.lab_mk(6, ["guestos/kernel/pv/x.c"], []).count("guestos/kernel/pv/x.c"), 1)

    def test_earlier_labs_stay(self):
        out, n = skeleton.make_stubs(IN_BODY, "hv/x.c", 3)
        self.assertEqual((out, n), (IN_BODY, 0))

    def test_later_labs_are_stubbed_too(self):
        out, n = skeleton.make_stubs(IN_BODY, "hv/x.c", 1)
        self.assertEqual(n, 1)
        self.assertNotIn("n * 2", out)

    def test_unbalanced_markers_are_refused(self):
        with self.assertRaisesRegex(skeleton.SkeletonError, "x.c:1: LAB 1 BEGIN without its END"):
            skeleton.make_stubs("/* LAB 1 BEGIN: a */\nint x;\n", "x.c", 1)
        with self.assertRaisesRegex(skeleton.SkeletonError, "END without its BEGIN"):
            skeleton.make_stubs("int x;\n/* LAB 1 END */\n", "x.c", 1)
        with self.assertRaisesRegex(skeleton.SkeletonError, "inside another region"):
            skeleton.make_stubs("/* LAB 1 BEGIN: a */\n/* LAB 1 BEGIN: b */\n", "x.c", 1)


class TestsTomlTest(unittest.TestCase):
    TOML = ('lab = 1\n\n[[test]]\nname = "a"\npoints = 1\n\n[[test]]\nname = "b"\npoints = 2\nhidden = true\n\n'
            '[[test]]\nname = "c"\npoints = 3\n')

    def test_hidden_tests_leave_the_student_tree(self):
        out = skeleton.strip_tests(self.TOML, 1, 1)
        self.assertIn('name = "a"', out)
        self.assertIn('name = "c"', out)
        self.assertNotIn('name = "b"', out)

    def test_later_labs_leave_entirely(self):
        self.assertIsNone(skeleton.strip_tests(self.TOML, 2, 1))

    def test_the_planted_bugs_stay_in_the_kit(self):
        # labs/labN/bugs.toml quotes the solution (grading/check_bugs.py).
        for rel in ("labs/lab1/bugs.toml", "labs/lab3/bugs.toml", "tests/integration/vmx_entry_cases.py"):
            self.assertTrue(rel in skeleton.KIT_ONLY or skeleton.KIT_ONLY_PATTERN.match(rel), rel)
        self.assertFalse(skeleton.KIT_ONLY_PATTERN.match("labs/lab1/tests.toml"))


class ReferenceTreeTest(unittest.TestCase):
    """Every marker in the reference is well formed."""

    def test_every_source_file_parses(self):
        root = skeleton.os.path.dirname(os.path.dirname(os.path.abspath(skeleton.__file__)))
        if studenttree.student_lab(root) is not None:
            self.skipTest("a student tree: its LAB markers are gone (a check of the reference)")
        total = 0
        for rel in skeleton.tracked_files(root):
            if rel.endswith(skeleton.SOURCE_SUFFIXES):
                with open(os.path.join(root, rel)) as f:
                    total += skeleton.make_stubs(f.read(), rel, 1)[1]
        self.assertGreater(total, 10)


if __name__ == "__main__":
    unittest.main()
