"""test_unit_panic.py: a host unit test that reaches a stub (tests/unit/).

A student tree's stub is panic("LAB k: your code here: ..."). In a cmocka
test binary (unit.h with host_panic.c) it fails the case it is in, with the
panic's line, and the cases after it still run; tests/unit/run.sh prints
each case's verdict beside its failure details and sums them, non-zero
while one fails. A test binary of three cases, the middle one panicking,
built as tests/unit/unit.mk builds them.
"""
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SOURCE = r"""
#include "unit.h"
#include "cpu/panic.h"

static int after;

static void test_before(void **state) { (void)state; }
static void test_stub(void **state) { (void)state; panic("LAB 9: your code here: %s (%s)", "stub", "hv/x.c"); }
static void test_after(void **state) { (void)state; after = 1; assert_int_equal(after, 1); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before), cmocka_unit_test(test_stub), cmocka_unit_test(test_after),
    };
    return RUN_UNIT_TESTS("panics", tests);
}
"""


class UnitPanic(unittest.TestCase):
    def test_a_panic_fails_its_case_and_the_next_runs(self):
        with tempfile.TemporaryDirectory(prefix="hvlab-test-unit-panic-") as tmp:
            src, binary = os.path.join(tmp, "test_panics.c"), os.path.join(tmp, "test_panics")
            with open(src, "w") as f:
                f.write(SOURCE)
            subprocess.run(["cc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-iquote", "hv", "-iquote", "lib",
                            "-iquote", "tests/unit", "-o", binary, src, "tests/unit/host_panic.c", "-lcmocka"],
                           cwd=ROOT, check=True)
            p = subprocess.run(["sh", "tests/unit/run.sh", binary], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=60)
        out = p.stdout
        self.assertNotEqual(p.returncode, 0, out)
        self.assertIn("unit: 2 passed, 1 failed\n", out)
        self.assertIn("[       OK ] test_before\n", out)
        self.assertIn("[       OK ] test_after\n", out)
        # The panic's line between the case's RUN and its FAILED.
        self.assertRegex(out, r"\[ RUN      \] test_stub\nERROR: PANIC hv: LAB 9: your code here: stub \(hv/x\.c\)\n"
                              r"(.*\n)*?\[  FAILED  \] test_stub\n\[ RUN      \] test_after\n")
        self.assertNotIn("unit-result", out)


if __name__ == "__main__":
    unittest.main()
