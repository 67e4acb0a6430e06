"""labspec.py: the lab test declarations (labs/labN/tests.toml), read once.

Used by the autograder (grading/grade.py) and by `make check`
(tests/integration/lab_cases.py), so a test means the same in both. The
format is described at the top of labs/lab1/tests.toml.
"""
import glob
import os
import re
import tomllib
import zlib
from dataclasses import dataclass, field

import judge

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class LabTest:
    lab: int
    name: str
    points: float
    description: str
    argv: list                 # tools/hvrun arguments (emulator, modules, kernel, -- hv args)
    status: object = 0         # the runner's expected exit status, or judge.ANY_STATUS
    must: list = field(default_factory=list)
    must_not: list = field(default_factory=list)
    timeout: float = 120
    hidden: bool = False
    references: list = field(default_factory=list)   # Reference runs (same_as_native, same_as)
    challenge: str = ""        # a regex: the guest lines whose answers must be in the emulator's record
    vm_exits: dict = field(default_factory=dict)   # {exit reason: the least count} in that record
    msr_reads: list = field(default_factory=list)  # MSRs the CPU must have read (RDMSR), in that record
    emu: str = "bochs"         # the emulator its runs use (EMULATORS)

    @property
    def needs_record(self):
        """Judged on the emulator's record of VM exits too (judge.evidence_errors):
        Bochs's, so only a run under Bochs has one."""
        return self.declares_evidence and self.emu == "bochs"

    @property
    def declares_evidence(self):
        return bool(self.challenge or self.vm_exits or self.msr_reads)

    def run_argv(self, nonce, record=None):
        """hvrun arguments for one graded run: this run's nonce on the guest's
        command line (where the test declares a challenge), and where the
        runner writes the emulator's record (None: no record)."""
        argv = [w.replace(NONCE_SLOT, nonce) for w in self.argv]
        return (["--vmx-record", record] if record else []) + argv

    def shown_argv(self):
        """The arguments a student types to boot the test in their tree:
        no challenge (the guest prints the same without one)."""
        return [w.replace(" challenge=" + NONCE_SLOT, "") for w in self.argv]

    @property
    def full_name(self):
        return "lab%d-%s" % (self.lab, self.name)


@dataclass
class Reference:
    """A second run of a test's guest, whose first line matching `pattern`
    must read the same as the test's own (judge.same_as): on the bare CPU
    (same_as_native), or under the hypervisor in another mode, perhaps with
    another build of the guest (same_as: lab 5's PV guest against the guest
    OS under EPT)."""
    pattern: str
    argv: list                 # its hvrun arguments (the test's nonce slot kept)
    where: str                 # what it ran on, for messages: "the bare CPU"
    there: str                 # the adverb for its line: "natively"
    tag: str                   # its logs: <test>.<tag>.log

    def run_argv(self, nonce):
        return [w.replace(NONCE_SLOT, nonce) for w in self.argv]


# Where a run's nonce goes in the guest's command line (challenge=...).
NONCE_SLOT = "{nonce}"
# The emulators a lab test can run under: Bochs (VT-x emulated, the
# default, with its record of VM exits), or QEMU with KVM on an Intel host
# with nested virtualisation (real VT-x, no record). QEMU's TCG has no VT-x.
EMULATORS = ("bochs", "qemu-kvm")


class LabSpecError(Exception):
    """A declaration that cannot be used, with the file and the test named."""


def kernels(build):
    return {
        "guestos": os.path.join(build, "guestos", "kernel.elf"),
        "mbinfo": os.path.join(build, "tests", "mbinfo.elf"),
        "badguest": os.path.join(build, "tests", "badguest.elf"),
        "hostile": os.path.join(build, "tests", "hostile.elf"),
        # The conformance kernel (tests/kernels/conform, lab 3's bt=1 tests):
        # do=ACTION runs a group of exact checks of what ring 0 sees.
        "conform": os.path.join(build, "tests", "conform.elf"),
        # Lab 5's PV kernels (cpu=pv): the PV test kernel, one case a boot,
        # and the guest OS's PV build, which gets its programs as guestos does.
        "pvtest": os.path.join(build, "tests", "pvtest.elf"),
        "guestos-pv": os.path.join(build, "guestos-pv", "kernel.elf"),
    }


def file_crc32(path):
    with open(path, "rb") as f:
        return "%08x" % zlib.crc32(f.read())


def expand(pattern, root):
    """{size:PATH} and {crc32:PATH} in a regex: the file's size and CRC-32."""
    def value(m):
        path = os.path.join(root, m.group(2))
        return str(os.path.getsize(path)) if m.group(1) == "size" else file_crc32(path)
    return re.sub(r"\{(size|crc32):([^}]+)\}", value, pattern)


def guest_kernel(t, build, where):
    known = kernels(build)
    kernel = t.get("guest", "guestos")
    if kernel not in known:
        raise LabSpecError("%s: unknown guest '%s' (known: %s)" % (where, kernel, ", ".join(known)))
    return kernel, known[kernel]


def guest_programs(kernel, t, root, build):
    """The modules after the guest kernel: its programs, then the blobs.
    The programs are named from root's sources (guestos.mk builds one per
    guestos/user/*.c), not from what build/ holds: the list is known before
    the build, and nothing a build adds to build/ joins it."""
    argv = []
    if kernel in ("guestos", "guestos-pv"):
        # `programs` names a few (two guest OSes with every program each
        # would not fit the loader's 32 modules).
        names = t.get("programs")
        if names is None:
            names = sorted(os.path.splitext(os.path.basename(src))[0]
                           for src in glob.glob(os.path.join(root, "guestos", "user", "*.c")))
        for name in names:
            argv += ["--module", os.path.join(build, "guestos", "user", name + ".elf")]
    for blob in t.get("blobs", []):
        argv += ["--blob", os.path.join(root, blob)]
    return argv


def guest_modules(t, root, build, where):
    """hvrun arguments that give the hypervisor the guest as its modules."""
    kernel, path = guest_kernel(t, build, where)
    return ["--module", (path + " " + t.get("guest_args", "")).strip()] + guest_programs(kernel, t, root, build)


def other_vms(t, root, build, where):
    """hvrun arguments for the test's VMs 1 and 2 (vm1, vm2 = { guest,
    guest_args, programs }): each one's kernel and programs after the VM before it, a
    group of its own (hv_args must say vms=2, or vms=3 with vm2, which needs
    vm1). Lab 4's tests run two VMs on one CPU so; lab 6's grants to a third."""
    argv, vms = [], 1
    for key in ("vm1", "vm2"):
        vm = t.get(key)
        if vm is None:
            continue
        if not isinstance(vm, dict) or set(vm) - {"guest", "guest_args", "programs"}:
            raise LabSpecError("%s: %s is a table { guest, guest_args, programs }" % (where, key))
        vms += 1
        if key != "vm%d" % (vms - 1):
            raise LabSpecError("%s: vm2 needs vm1" % where)
        argv += guest_modules(vm, root, build, "%s (%s)" % (where, key))
    if vms > 1 and "vms=%d" % vms not in t.get("hv_args", []):
        raise LabSpecError("%s: a test with %s runs %d VMs: hv_args must say vms=%d"
                           % (where, " and ".join(k for k in ("vm1", "vm2") if k in t), vms, vms))
    return argv


def native_run(t, root, build, where, emu="bochs"):
    """same_as_native's reference: the same guest on the bare CPU (the same emulator's)."""
    kernel, path = guest_kernel(t, build, where)
    argv = ["--emu", emu] + guest_programs(kernel, t, root, build) + [path, "--"] + t.get("guest_args", "").split()
    return Reference(t["same_as_native"], argv, "the bare CPU", "natively", "native")


def same_as_run(t, root, build, where, emu="bochs"):
    """same_as's reference: `guest` (default the test's own) with the test's
    guest_args, under the hypervisor with `hv_args` alone: not the lab's
    hv_args, which name the lab's mode (lab 5's cpu=pv), and the reference
    runs in another (mem=ept)."""
    same = t["same_as"]
    if not isinstance(same, dict) or set(same) - {"guest", "hv_args", "line"} or not isinstance(same.get("line"), str):
        raise LabSpecError("%s: same_as is a table { guest, hv_args, line = 'REGEX' }" % where)
    hv_args = same.get("hv_args", [])
    if not isinstance(hv_args, list) or not all(isinstance(w, str) for w in hv_args):
        raise LabSpecError("%s: same_as's hv_args is a list of words" % where)
    guest = same.get("guest", t.get("guest", "guestos"))
    run = {"guest": guest, "guest_args": t.get("guest_args", "")}
    argv = (["--emu", emu] + guest_modules(run, root, build, where + " (same_as)")
            + [os.path.join(build, "hv", "hv.elf"), "--"] + hv_args)
    return Reference(same["line"], argv, "%s with %s" % (guest, " ".join(hv_args) or "no options"),
                     "there", "same-as")


def references(t, root, build, where, emu):
    """The test's reference runs, in the order they are compared."""
    refs = [native_run(t, root, build, where, emu)] if t.get("same_as_native") else []
    if "same_as" in t:
        refs.append(same_as_run(t, root, build, where, emu))
    return refs


def load_lab(path, root=ROOT, build=None, emu="bochs"):
    """The tests of one labs/labN/tests.toml, as LabTest objects, run under emu."""
    if emu not in EMULATORS:
        raise LabSpecError("the lab tests run under %s, not %s" % (" or ".join(EMULATORS), emu))
    build = build or os.path.join(root, "build")
    try:
        with open(path, "rb") as f:
            lab = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LabSpecError("%s: %s" % (path, e))
    lab_args = lab.get("hv_args", [])
    if not isinstance(lab_args, list) or not all(isinstance(w, str) for w in lab_args):
        raise LabSpecError("%s: hv_args (the lab's, before its tests') is a list of words" % path)
    tests = []
    for t in lab.get("test", []):
        where = "%s: test '%s'" % (path, t.get("name", "?"))
        for key in ("name", "points"):
            if key not in t:
                raise LabSpecError("%s: no %s" % (where, key))
        hv = os.path.join(build, "hv", "hv.elf")
        vm_exits = t.get("vm_exits", {})
        if not isinstance(vm_exits, dict) or not all(isinstance(n, int) and n >= 1 for n in vm_exits.values()):
            raise LabSpecError("%s: vm_exits is a table of exit reasons and least counts (>= 1)" % where)
        msr_reads = t.get("msr_reads", [])
        if not isinstance(msr_reads, list) or not all(isinstance(n, int) and n in judge.MSR_NAMES for n in msr_reads):
            raise LabSpecError("%s: msr_reads is a list of MSR numbers the record holds (%s)"
                               % (where, ", ".join("%#x" % n for n in sorted(judge.MSR_NAMES))))
        status = t.get("status", 0)
        if status != judge.ANY_STATUS and (not isinstance(status, int) or isinstance(status, bool)):
            raise LabSpecError("%s: status is the runner's exit status (an integer) or \"%s\""
                               % (where, judge.ANY_STATUS))
        if t.get("challenge"):
            # The guest answers the grader's per-run challenge (lib/
            # challenge.h); the grader puts the nonce here.
            t = dict(t, guest_args=(t.get("guest_args", "") + " challenge=" + NONCE_SLOT).strip())
        argv = ["--emu", emu] + guest_modules(t, root, build, where) + other_vms(t, root, build, where)
        argv += [hv, "--"] + lab_args + t.get("hv_args", [])
        tests.append(LabTest(lab=lab["lab"], name=t["name"], points=t["points"],
                             description=t.get("description", ""), argv=argv,
                             status=status,
                             must=[expand(p, root) for p in t.get("must", [])],
                             must_not=[expand(p, root) for p in t.get("must_not", [])],
                             timeout=t.get("timeout", 120), hidden=t.get("hidden", False),
                             references=references(t, root, build, where, emu),
                             challenge=t.get("challenge", ""), vm_exits=vm_exits,
                             msr_reads=msr_reads, emu=emu))
    return tests


def lab_paths(root=ROOT):
    """{lab number: path of its tests.toml}, for every lab folder."""
    found = {}
    for path in glob.glob(os.path.join(root, "labs", "lab*", "tests.toml")):
        m = re.search(r"lab(\d+)", os.path.basename(os.path.dirname(path)))
        if m:
            found[int(m.group(1))] = path
    return dict(sorted(found.items()))


def load_all(root=ROOT, build=None, labs=None, emu="bochs"):
    """Every test of the given labs (default: all), in lab order."""
    tests = []
    for n, path in lab_paths(root).items():
        if labs is None or n in labs:
            tests += load_lab(path, root, build, emu)
    return tests
