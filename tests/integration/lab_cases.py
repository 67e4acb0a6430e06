"""lab_cases.py: every lab's tests (labs/labN/tests.toml), as integration cases.

`make check` runs them on the reference solution, where every one must pass
(the last lab's here, the others in check-labs: lab_cases says why);
the autograder (grading/grade.py) runs the same declarations, read by the
same code (grading/labspec.py), on a student's tree.
"""
import os
import sys

from harness import BUILD, OUT, ROOT, Case, console_of, judge, studenttree

sys.path.insert(0, os.path.join(ROOT, "grading"))
import labspec  # noqa: E402


def record_path(t):
    return os.path.join(OUT, t.full_name + ".vmx") if t.needs_record else None


def lab_check(t, nonce):
    """The checks beyond status and regexes, as the grader makes them: the
    emulator's record of VM exits (challenge, vm_exits), then the reference
    runs (same_as_native: the guest booted on the bare CPU too; same_as: under
    the hypervisor in another mode), each compared."""
    def check(console):
        if t.needs_record:
            try:
                with open(record_path(t)) as f:
                    record = f.read()
            except OSError:
                record = None
            errors = judge.evidence_errors(t.challenge, t.vm_exits, console, nonce, record, t.msr_reads)
            if errors:
                return "; ".join(errors)
        errors = []
        for ref in t.references:
            errors += judge.same_as(ref.pattern, console, console_of(ref.run_argv(nonce), t.timeout), ref.where,
                                    ref.there)
        return "; ".join(errors) or None
    return check


def lab_cases(every_lab=False):
    """The lab tests as cases. In the reference (studenttree.student_lab
    None) only the last lab's, unless every_lab: check-labs, also part of
    `make check`, runs every other lab's tests on the next lab's student
    tree, where they pass on the very code they pass on here (its
    docstring says why), so a second run here proves nothing more. A
    student tree runs every lab it holds: nothing else grades them there."""
    tests = labspec.load_all(ROOT, BUILD)
    if not every_lab and studenttree.student_lab(ROOT) is None and tests:
        last = max(t.lab for t in tests)
        tests = [t for t in tests if t.lab == last]
    cases = []
    for t in tests:
        nonce = judge.new_nonce()
        cases.append(Case(t.full_name, t.run_argv(nonce, record_path(t)), t.status, must=t.must,
                          must_not=t.must_not, timeout=t.timeout,
                          check=lab_check(t, nonce) if t.needs_record or t.references else None))
    return cases
