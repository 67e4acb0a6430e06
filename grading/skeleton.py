#!/usr/bin/env python3
"""skeleton.py: the student tree for lab N, made from the reference solution.

    grading/skeleton.py --lab N --dest DIR [--step K] [--root DIR]

The reference solution marks each lab's student code (labs/README.md):

    /* LAB 1 BEGIN: what the student writes here */
    ...
    /* LAB 1 END */

In the tree for lab N, the code of the labs before N stays as it is, and the
code of lab N and every later lab becomes a stub that fails loudly:
  - a region inside a function body becomes a call
        panic("LAB k: your code here: <function> (<file>)");
  - a region at file scope keeps the signature and the comment of every
    function it defines, each with that panic as its body, and drops the
    rest (static data, macros): the student writes those.
The tree also gets mk/lab.mk, which names its lab (STUDENT_LAB: the checks
and benchmarks leave out what needs a later lab) and turns off the "unused"
diagnostics in the files that hold stubs (a stub leaves helpers, parameters
and locals unused), so that the tree builds without a warning, and loses
every hidden test from labs/*/tests.toml, the tests of later labs, and the
kit's own tests of the solution.

With --step K, lab N's regions whose functions the handout's steps 1..K
solve (labs/labN/steps.toml) stay as in the reference too: the tree a
student has after step K, which passes exactly the tests of steps 1..K
(grading/check_steps.py proves it).

The files copied are those git tracks (git ls-files), so nothing built or
untracked leaks into a student's tree. The tree is a git repository with a
first commit (--no-git: not), which `make handin` packs from.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass

import labspec
import studenttree

MARKER = re.compile(r"/\*\s*LAB (\d+) (BEGIN|END)\b(?::\s*(.*?))?\s*\*/")
SOURCE_SUFFIXES = (".c", ".h", ".S")

# Kit files that test the reference solution itself, not a student's work
# (the planted bugs quote the solution).
KIT_ONLY = ("tests/integration/vmx_entry_cases.py",)
KIT_ONLY_PATTERN = re.compile(r"labs/lab\d+/bugs\.toml$")

LAB_MK = """\
# mk/lab.mk: written by grading/skeleton.py for the lab %(lab)d student tree.
#
# The kit's checks and benchmarks read STUDENT_LAB (grading/studenttree.py):
# what needs a later lab's code is left out here, and they say so.
STUDENT_LAB := %(lab)d
# Sources holding stubs of later labs: their unit tests and fuzzers are left
# out, since those stubs panic whatever you write in this lab.
LATER_LAB_SOURCES := %(later)s
#
# The files below hold stubs, each a panic("LAB k: your code here: ...") in
# place of code of lab %(lab)d or a later lab. A stub leaves unused the helpers,
# constants, locals and parameters that the missing code would use, and gcc
# would warn about each on every build, most of them in files of labs you
# have not reached. So in these files only, the "unused" diagnostics are
# off: the build prints nothing but the files it makes, and the stubs'
# panics say what is left to write. This is done here rather than by
# marking each helper in the C files, so that your files read as the
# reference solution does. Every other diagnostic is checked as in the
# reference (-Wall -Wextra -Werror), except that unused parameters are not
# reported anywhere, and that elsewhere an unused helper or variable of your
# own code is a warning, not an error.
LAB_STUBBED := %(stubbed)s
LAB_STUB_CFLAGS := -Wno-unused-parameter -Wno-unused-function -Wno-unused-variable \\
                   -Wno-unused-but-set-variable -Wno-unused-const-variable
$(patsubst hv/%%,$(BUILD)/hv/%%.o,$(filter hv/%%,$(LAB_STUBBED))) \\
$(patsubst lib/%%,$(BUILD)/hv/lib/%%.o,$(filter lib/%%,$(LAB_STUBBED))): CFLAGS64 += $(LAB_STUB_CFLAGS)
# lib/'s stubbed modules in the other programs that link them: their rules
# add LAB_STUB_CFLAGS to those objects (tests/kernels/pvtest/pvtest.mk).
CFLAGS64 += -Wno-unused-parameter -Wno-error=unused-function -Wno-error=unused-variable \\
            -Wno-error=unused-but-set-variable -Wno-error=unused-const-variable
# The host unit tests and fuzzers build some of the same stubbed modules.
HOST_CFLAGS += -Wno-unused-parameter -Wno-unused-function -Wno-unused-variable \\
               -Wno-unused-but-set-variable -Wno-unused-const-variable
"""

# The first commit of a student tree: a fixed author, so that it works where
# git has no identity configured yet.
GIT_AUTHOR = ["-c", "user.name=hvlab", "-c", "user.email=hvlab@localhost"]


class SkeletonError(Exception):
    pass


def regions(text, path):
    """[(lab, what, begin_start, begin_end, end_start, end_end)] of a file's markers."""
    found, open_marker = [], None
    for m in MARKER.finditer(text):
        lab, kind, what = int(m.group(1)), m.group(2), m.group(3) or ""
        line = text.count("\n", 0, m.start()) + 1
        if kind == "BEGIN":
            if open_marker:
                raise SkeletonError("%s:%d: LAB %d BEGIN inside another region" % (path, line, lab))
            open_marker = (lab, what, m.start(), m.end(), line)
        else:
            if not open_marker or open_marker[0] != lab:
                raise SkeletonError("%s:%d: LAB %d END without its BEGIN" % (path, line, lab))
            found.append(open_marker[:4] + (m.start(), m.end()))
            open_marker = None
    if open_marker:
        raise SkeletonError("%s:%d: LAB %d BEGIN without its END" % (path, open_marker[4], open_marker[0]))
    return found


def strip_comments_and_strings(text):
    """The same text with comments and string literals blanked out (lengths
    kept), so braces and parentheses can be counted."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', blank, text, flags=re.S)


def depth_at(code, pos):
    return code[:pos].count("{") - code[:pos].count("}")


def matching_brace(code, open_pos):
    depth = 0
    for i in range(open_pos, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise SkeletonError("unbalanced braces")


def enclosing_function(code, text, pos):
    """The name of the function whose body contains pos."""
    depth, i = 0, pos
    while i > 0:
        i -= 1
        if code[i] == "}":
            depth += 1
        elif code[i] == "{":
            if depth == 0:
                break
            depth -= 1
    m = re.search(r"(\w+)\s*\([^;{}]*\)\s*$", code[:i])
    return m.group(1) if m else "?"


def stub_call(lab, function, path):
    return 'panic("LAB %d: your code here: %s (%s)");' % (lab, function, path)


def stub_file_scope(lab, what, body, path):
    """A file-scope region: each function keeps its comment and signature and
    gets a stub body; everything else goes. (stub text, the functions)"""
    code = strip_comments_and_strings(body)
    out = ["/* LAB %d: your code here: %s */" % (lab, what)]
    functions = []
    i, item_start = 0, 0
    while i < len(code):
        c = code[i]
        if c == ";":
            item_start = i + 1
        elif c == "{":
            close = matching_brace(code, i)
            head = code[item_start:i]
            m = re.search(r"(\w+)\s*\([^;{}]*\)\s*$", head)
            if m and "=" not in head:
                # The function's own text from its comment (if any) to '{'.
                start = item_start
                raw = body[start:i].strip("\n")
                out.append(raw.rstrip() + "\n{\n    " + stub_call(lab, m.group(1), path) + "\n}")
                functions.append(m.group(1))
            i = close
            item_start = close + 1
            # a data definition's closing "};" ends the item
            if code[item_start:item_start + 1] == ";":
                item_start += 1
        i += 1
    return "\n\n".join(out) + "\n", functions


def stub_region(text, code, path, region):
    """(the stub that replaces one region, the functions it leaves to the
    student)."""
    lab, what, b0, b1, e0, e1 = region
    if depth_at(code, b0) > 0:
        function = enclosing_function(code, text, b0)
        indent = re.search(r"[ \t]*$", text[:b0]).group(0)
        return ("/* LAB %d: your code here: %s */\n%s%s" % (lab, what, indent, stub_call(lab, function, path)),
                [function])
    stub, functions = stub_file_scope(lab, what, text[b1:e0], path)
    return stub.rstrip("\n"), functions


def make_stubs(text, path, lab_from, solved=frozenset()):
    """The file with every region of lab >= lab_from stubbed out, except a
    region whose functions are all in `solved` ((path, function) pairs: the
    steps done in a per-step tree), which stays as in the reference."""
    found = regions(text, path)
    if not found:
        return text, 0
    code = strip_comments_and_strings(text)
    out, last, count = [], 0, 0
    for region in found:
        if region[0] < lab_from:
            continue
        stub, functions = stub_region(text, code, path, region)
        done = [(path, f) in solved for f in functions]
        if all(done) and functions:
            continue
        if any(done):
            raise SkeletonError("%s:%d: the region '%s' is solved only in part (%s): a step solves whole regions"
                                % (path, text.count("\n", 0, region[2]) + 1, region[1],
                                   ", ".join(f for f, d in zip(functions, done) if d)))
        count += 1
        out.append(text[last:region[2]])
        out.append(stub)
        last = region[5]
    out.append(text[last:])
    result = "".join(out)
    # The stubs call panic(): make sure it is declared (lib/'s modules,
    # which the guests and host tests link too, declare it in lib/panic.h;
    # the guest OS's kernel in its defs.h).
    if path.startswith("lib/"):
        header = '#include "panic.h"'
    elif path.startswith("guestos/kernel/"):
        header = '#include "%s"' % os.path.relpath("guestos/kernel/defs.h", os.path.dirname(path))
    else:
        header = '#include "cpu/panic.h"'
    if count and header not in result:
        first_include = re.search(r'^#include .*$', result, re.M)
        at = first_include.start() if first_include else 0
        result = result[:at] + header + "\n" + result[at:]
    return result, count


def strip_tests(toml_text, lab, max_lab):
    """A tests.toml without its hidden tests (and empty for labs after max_lab)."""
    if lab > max_lab:
        return None
    parts = re.split(r"(?m)^(?=\[\[test\]\])", toml_text)
    kept = [p for p in parts if not re.search(r"(?m)^hidden\s*=\s*true\s*$", p)]
    return "".join(kept)


def read_text(path):
    with open(path) as f:
        return f.read()


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SkeletonError("cannot list the reference's files with git ls-files: %s" % e)
    return [f for f in out.decode().split("\0") if f]


def make_skeleton(root, dest, lab, step=None):
    """Write the lab's student tree in dest; with `step`, the tree where the
    handout's steps 1..step of the lab are solved (load_steps)."""
    if os.path.exists(dest) and os.listdir(dest):
        raise SkeletonError("%s exists and is not empty: choose a new DEST" % dest)
    solved = solved_by(load_steps(root, lab), step) if step is not None else frozenset()
    stubs, stubbed, later = 0, [], []
    for rel in tracked_files(root):
        src = os.path.join(root, rel)
        if rel in KIT_ONLY or KIT_ONLY_PATTERN.match(rel) or not os.path.isfile(src):
            continue
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        m = re.match(r"labs/lab(\d+)/tests\.toml$", rel)
        if m:
            text = strip_tests(read_text(src), int(m.group(1)), lab)
            if text is not None:
                with open(dst, "w") as f:
                    f.write(text)
            continue
        if rel.endswith(SOURCE_SUFFIXES):
            text = read_text(src)
            new, n = make_stubs(text, rel, lab, solved)
            stubs += n
            if any(k > lab for k, *_ in regions(text, rel)):
                later.append(rel)
            if n:
                stubbed.append(rel)
                with open(dst, "w") as f:
                    f.write(new)
                shutil.copymode(src, dst)
                continue
        # Unchanged files keep their times, so a build copied along with
        # the tree (check_labs.py does) stays up to date where it can.
        shutil.copy2(src, dst)
    os.makedirs(os.path.join(dest, "mk"), exist_ok=True)
    with open(os.path.join(dest, "mk", "lab.mk"), "w") as f:
        f.write(lab_mk(lab, stubbed, later))
    return stubs


def lab_mk(lab, stubbed, later):
    """mk/lab.mk of the tree for `lab`, whose files `stubbed` hold stubs
    (those in `later` stubs of a later lab)."""
    # The hypervisor's rules are the ones mk/lab.mk names objects of, and
    # lib/'s and the guest OS's modules are compiled with LAB_STUB_CFLAGS
    # where each program that builds them says so (guestos/guestos.mk,
    # tests/kernels/pvtest/pvtest.mk); stubs anywhere else would need their
    # own line.
    other = [p for p in stubbed if not (p.startswith(("hv/", "lib/", "guestos/kernel/")) and p.endswith(".c"))]
    if other:
        raise SkeletonError("stubs outside hv/*.c, lib/*.c and guestos/kernel/*.c: %s: mk/lab.mk (lab_mk) does not "
                            "name their objects" % ", ".join(other))
    return LAB_MK % {"lab": lab, "later": " ".join(later),
                     "stubbed": " \\\n               ".join(sorted(stubbed))}


def lab_regions(root, lab):
    """[(path, line, what, [(path, function)...])]: lab's own regions, each
    with the functions its stub leaves to the student."""
    found = []
    for rel in tracked_files(root):
        if not rel.endswith(SOURCE_SUFFIXES):
            continue
        with open(os.path.join(root, rel), errors="replace") as f:
            text = f.read()
        code = None
        for region in regions(text, rel):
            if region[0] == lab:
                code = code or strip_comments_and_strings(text)
                functions = stub_region(text, code, rel, region)[1]
                found.append((rel, text.count("\n", 0, region[2]) + 1, region[1], [(rel, f) for f in functions]))
    return found


def stubs_of(root, lab):
    """(the (path, function) pairs that lab's own stubs hold in its student
    tree, how many regions they come from): what its handout counts."""
    found = lab_regions(root, lab)
    return {f for *_, functions in found for f in functions}, len(found)


def stub_census(root, lab):
    """(functions, regions) of lab's own stubs: "There are F stubbed
    functions in R regions"."""
    functions, count = stubs_of(root, lab)
    return len(functions), count


def stub_names(root, lab):
    """The names of the functions lab's stubs leave to the student."""
    return {name for _, name in stubs_of(root, lab)[0]}


# ------------------------------------------------ per-step trees
#
# labs/labN/steps.toml lists the steps of lab N's handout, in its order:
# which stubbed functions each solves and which tests it makes pass. The
# handout follows it (tests/tools/test_handouts.py), --step makes the tree
# of its first k steps, and grading/check_steps.py proves that such a tree
# passes exactly the tests of steps 1..k.

STEPS_FILE = os.path.join("labs", "lab%d", "steps.toml")


@dataclass
class Step:
    number: int       # 1, 2, ...: the order of the handout
    handout: str      # the handout's number of the step ("4.1", "2")
    functions: list   # [(path, function)]: the stubs it solves
    tests: list       # ["lab1-vmxon"]: the tests that pass once it is done (and not before)


def function_of(name, stubs, where):
    """The (path, function) a steps.toml entry names: "function", or
    "function (path)" as the stub's panic says it where two files share the
    name."""
    m = re.fullmatch(r"(\w+)(?: \(([^)]+)\))?", name)
    found = [s for s in stubs if m and s[1] == m.group(1) and m.group(2) in (None, s[0])]
    if len(found) != 1:
        raise SkeletonError("%s: '%s' %s" % (where, name, "names no stubbed function of the lab" if not found else
                                           "is in %s: say which, as 'function (path)'"
                                           % " and ".join(sorted(p for p, _ in found))))
    return found[0]


def load_steps(root, lab):
    """The lab's steps (labs/labN/steps.toml), checked: every stubbed function
    of the lab solved by exactly one step, a region's functions by one step
    (a tree keeps or stubs whole regions), and every test of the lab passed
    first at exactly one step."""
    path = os.path.join(root, STEPS_FILE % lab)
    try:
        with open(path, "rb") as f:
            decl = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SkeletonError("the steps of lab %d: %s" % (lab, e))
    tests = [t.full_name for t in labspec.load_lab(os.path.join(root, "labs", "lab%d" % lab, "tests.toml"), root)]
    return parse_steps(decl, lab_regions(root, lab), tests, os.path.relpath(path, root))


def parse_steps(decl, found, tests, rel):
    """The steps a steps.toml declares (decl, as read), checked against the
    lab's regions (lab_regions) and its tests' names; rel names the file in
    the errors."""
    stubs = {f for *_, functions in found for f in functions}
    steps, owner, tested = [], {}, {}
    for number, d in enumerate(decl.get("step", []), 1):
        where = "%s: step %s" % (rel, d.get("handout", number))
        if not d.get("handout") or not d.get("solves"):
            raise SkeletonError("%s: each step needs its handout number and the functions it solves" % where)
        step = Step(number, str(d["handout"]), [function_of(n, stubs, where) for n in d["solves"]],
                    list(d.get("tests", [])))
        for f in step.functions:
            if f in owner:
                raise SkeletonError("%s: %s (%s) is solved by step %s already" % (where, f[1], f[0], owner[f]))
            owner[f] = step.handout
        for t in step.tests:
            if t not in tests:
                raise SkeletonError("%s: %s is no test of the lab" % (where, t))
            if t in tested:
                raise SkeletonError("%s: %s passes first at step %s already" % (where, t, tested[t]))
            tested[t] = step.handout
        steps.append(step)
    missing = ["%s (%s)" % (f, p) for p, f in sorted(stubs - set(owner))]
    if missing:
        raise SkeletonError("%s: no step solves %s" % (rel, ", ".join(missing)))
    untested = [t for t in tests if t not in tested]
    if untested:
        raise SkeletonError("%s: no step makes %s pass" % (rel, ", ".join(untested)))
    for p, line, what, functions in found:
        split = sorted({owner[f] for f in functions})
        if len(split) > 1:
            raise SkeletonError("%s: the region '%s' (%s:%d) is split between steps %s: a tree keeps or stubs "
                                "whole regions" % (rel, what, p, line, " and ".join(split)))
    return steps


def solved_by(steps, k):
    """The (path, function) pairs that steps 1..k solve."""
    if not 0 <= k <= len(steps):
        raise SkeletonError("no step %d: the lab has steps 1 to %d (0: none solved)" % (k, len(steps)))
    return frozenset(f for s in steps[:k] for f in s.functions)


def init_repository(dest, lab):
    """Make the student tree a git repository with one commit, so that the
    student's work has a history from the start and make handin (git
    archive of HEAD) works."""
    def git(*args):
        subprocess.run(["git", "-C", dest] + GIT_AUTHOR + list(args), check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        git("init", "-q")
        git("add", "-A")
        git("commit", "-q", "-m", "hvlab: the lab %d student tree" % lab)
    except (OSError, subprocess.CalledProcessError) as e:
        raise SkeletonError("cannot make %s a git repository: %s" % (
            dest, (getattr(e, "stderr", b"") or b"").decode().strip() or e))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write the student tree for lab N.")
    ap.add_argument("--lab", type=int, required=True, help="the lab the tree is for")
    ap.add_argument("--dest", required=True, help="an empty or new directory")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="the reference tree (default: this repository)")
    ap.add_argument("--no-git", dest="git", action="store_false",
                    help="do not make the tree a git repository (it is one by default, with a first commit)")
    ap.add_argument("--step", type=int,
                    help="solve the lab's first STEP steps of its handout (labs/labN/steps.toml), stub the rest")
    a = ap.parse_args(argv)
    if a.step is not None and studenttree.student_lab(a.root) is not None:
        # Its LAB markers are gone: no region is left to keep or stub.
        print("skeleton: error: a step's tree is made from the reference solution, not from this lab %d "
              "student tree" % studenttree.student_lab(a.root), file=sys.stderr)
        return 2
    try:
        n = make_skeleton(a.root, a.dest, a.lab, a.step)
        if a.git:
            init_repository(a.dest, a.lab)
    except (SkeletonError, labspec.LabSpecError) as e:
        print("skeleton: error: %s" % e, file=sys.stderr)
        return 2
    solved = "" if a.step is None else ", its handout's first %d step%s solved," % (a.step, "" if a.step == 1 else "s")
    print("skeleton: lab %d tree%s written to %s (%d regions stubbed%s)" % (
        a.lab, solved, a.dest, n, ", a git repository with its first commit" if a.git else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
