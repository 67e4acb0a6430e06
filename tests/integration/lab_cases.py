"""lab_cases.py: every lab's tests (labs/labN/tests.toml), as integration cases.

`make check` runs them on the reference solution, where every one must pass;
the autograder (grading/grade.py) runs the same declarations, read by the
same code (grading/labspec.py), on a student's tree.
"""
import os
import sys

from harness import BUILD, ROOT, Case

sys.path.insert(0, os.path.join(ROOT, "grading"))
import labspec  # noqa: E402


def lab_cases():
    return [Case(t.full_name, t.argv, t.status, must=t.must, must_not=t.must_not, timeout=t.timeout)
            for t in labspec.load_all(ROOT, BUILD)]
