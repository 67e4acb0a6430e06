"""lab_cases.py: every lab's tests (labs/labN/tests.toml), as integration cases.

`make check` runs them on the reference solution, where every one must pass;
the autograder runs the same declarations on a student's tree. The format is
described at the top of labs/lab1/tests.toml.
"""
import glob
import os
import re
import tomllib

from harness import BUILD, GUEST, HV, MBINFO, ROOT, Case, crc

KERNELS = {
    "guestos": GUEST,
    "mbinfo": MBINFO,
    "badguest": os.path.join(BUILD, "tests", "badguest.elf"),
}
USER_PROGRAMS = os.path.join(BUILD, "guestos", "user")


def expand(pattern):
    """{size:PATH} and {crc32:PATH} in a regex: the file's size and CRC-32."""
    def value(m):
        path = os.path.join(ROOT, m.group(2))
        return str(os.path.getsize(path)) if m.group(1) == "size" else crc(path)
    return re.sub(r"\{(size|crc32):([^}]+)\}", value, pattern)


def guest_modules(test):
    kernel = test.get("guest", "guestos")
    if kernel not in KERNELS:
        raise ValueError("unknown guest '%s' (known: %s)" % (kernel, ", ".join(KERNELS)))
    argv = ["--module", (KERNELS[kernel] + " " + test.get("guest_args", "")).strip()]
    if kernel == "guestos":
        for prog in sorted(glob.glob(os.path.join(USER_PROGRAMS, "*.elf"))):
            argv += ["--module", prog]
    for blob in test.get("blobs", []):
        argv += ["--blob", os.path.join(ROOT, blob)]
    return argv


def lab_tests():
    """[(lab number, test table)] for every lab, in order."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "labs", "lab*", "tests.toml"))):
        with open(path, "rb") as f:
            lab = tomllib.load(f)
        found += [(lab["lab"], t) for t in lab["test"]]
    return found


def lab_cases():
    cases = []
    for lab, t in lab_tests():
        argv = ["--emu", "bochs"] + guest_modules(t) + [HV, "--"] + t.get("hv_args", [])
        cases.append(Case("lab%d-%s" % (lab, t["name"]), argv, t.get("status", 0),
                          must=[expand(p) for p in t.get("must", [])],
                          must_not=[expand(p) for p in t.get("must_not", [])],
                          timeout=t.get("timeout", 120)))
    return cases
