"""lab_cases.py: every lab's tests (labs/labN/tests.toml), as integration cases.

`make check` runs them on the reference solution, where every one must pass;
the autograder (grading/grade.py) runs the same declarations, read by the
same code (grading/labspec.py), on a student's tree.
"""
import os
import sys

from harness import BUILD, ROOT, Case, console_of, judge

sys.path.insert(0, os.path.join(ROOT, "grading"))
import labspec  # noqa: E402


def native_check(t):
    """same_as_native: boot the guest on the bare CPU too, and compare."""
    def check(console):
        native = console_of(t.native_argv, t.timeout)
        return "; ".join(judge.same_as_native(t.same_as_native, console, native)) or None
    return check


def lab_cases():
    return [Case(t.full_name, t.argv, t.status, must=t.must, must_not=t.must_not, timeout=t.timeout,
                 check=native_check(t) if t.same_as_native else None)
            for t in labspec.load_all(ROOT, BUILD)]
