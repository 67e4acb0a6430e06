"""studenttree.py: which lab a tree is for, and which lab a run needs.

A student tree (grading/skeleton.py) holds the code of the labs before its
own, stubs for its own lab and every later one, and says which lab it is in
mk/lab.mk (`STUDENT_LAB := N`). The kit's checks and benchmarks read that
here, so that in a lab N tree they leave out what needs a later lab (its
stubs panic whatever the student does) and say so, instead of failing.
The reference solution has no mk/lab.mk: nothing is left out there.
"""
import os
import re

LAB_LINE = re.compile(r"^STUDENT_LAB\s*:?=\s*(\d+)\s*$", re.M)

# The hypervisor's options that need a lab's code (labs/README.md): any run
# of the hypervisor needs lab 1 (VMX bring-up).
OPTION_LABS = {"mem=shadow": 2, "cpu=deprivileged": 3, "patch=1": 3, "scan=1": 3, "devices=virtual": 4,
               "cpu=pv": 5, "mem=direct": 5}
# Options that need a lab whatever their value: resident= (the hypervisor's
# paging and pseudo page faults, issue 20: lab 6).
OPTION_NAME_LABS = {"resident": 6}
# devices= left out means virtual only in the trees where lab 4 is done (the
# reference, and those of later labs); machine in the trees of labs 1-4
# (hv/hv.mk). A run that needs the default to be virtual needs this lab.
DEVICES_VIRTUAL_BY_DEFAULT_LAB = 5
# Grants, event channels between VMs and the rings over them are lab 6's.
# No option names them (two PV VMs alone need only lab 5: cpu=pv vms=2),
# so the runs that use them say so (tests/integration/pv_cases.py's
# interdomain(), tests/bench/pipe.py).
INTERDOMAIN_LAB = 6


def student_lab(root):
    """The lab of the student tree at root, or None for the reference."""
    try:
        with open(os.path.join(root, "mk", "lab.mk")) as f:
            m = LAB_LINE.search(f.read())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def lab_of_options(words):
    """The lab whose code a run of the hypervisor with these options needs."""
    needed = 1
    for arg in words:
        for word in arg.split():
            needed = max(needed, OPTION_LABS.get(word, 0), OPTION_NAME_LABS.get(word.split("=")[0], 0))
    return needed


def reached(root, lab):
    """Whether the tree at root holds lab `lab`'s code (solved or the
    student's own): the reference holds every lab."""
    mine = student_lab(root)
    return mine is None or lab <= mine


def left_out_note(root, what, names):
    """One line saying what a student tree leaves out, or None."""
    if not names:
        return None
    return "%s: left out in this lab %d student tree (labs not reached yet): %s" % (
        what, student_lab(root), ", ".join(names))


def reference_only(root, tool):
    """For a check of the reference solution run in a student tree: say in
    its summary form that there is nothing to check there, and return True.
    Its trees would be cut from a tree whose LAB markers are gone: every
    test would "pass on its own skeleton", which says nothing."""
    mine = student_lab(root)
    if mine is None:
        return False
    print("%s: a check of the reference solution, not of this lab %d student tree (its LAB markers are "
          "gone): nothing to check here" % (tool, mine))
    print("%s: 0 passed, 0 failed" % tool)
    return True
