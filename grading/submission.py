"""submission.py: which files of a submission are graded, and where they go.

A lab declares the files a student may change: every file that holds a LAB
region of that lab or an earlier one (found from the reference's markers,
grading/skeleton.py), plus what labs/labN/files.toml adds (`files`: more
existing files; `new_files`: patterns of files the student may add, never
one the kit already has). Grading lays only those files over a pristine
copy of the instructor's tree; everything else a submission holds (makefile
fragments, a GNUmakefile, grading/, labs/, tools/...) is not copied, and is
listed in the student's output, so the build, the runner and the tests are
the instructor's whatever the submission contains.

Files uploaded flat (Gradescope's drag and drop: exit_cpuid.c at the top,
no folder) are placed by name where one allowed path has that name.
"""
import fnmatch
import os
import re
import tomllib

import skeleton

# Never a student's, whatever a declaration says: they decide the grade or
# what make reads (GNU make reads GNUmakefile and makefile before Makefile).
KIT_TOPS = ("grading", "labs", "tools", "tests", "mk", ".github")
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
# Not source: skipped without a word.
SKIPPED = ("build", ".git", "__pycache__")
# How many names a list in the student's output shows before "and N more".
SHOWN = 12


class FileListError(Exception):
    """A lab's file list that would let a submission change the kit."""


class Refused(Exception):
    """A submission over a limit: not graded, and the student is told why."""


def kit_owned(rel):
    parts = rel.split("/")
    return parts[0] in KIT_TOPS or parts[-1] in MAKEFILES or rel.endswith(".mk")


def marker_files(root, lab):
    """The files of root (the reference) that hold a LAB region of lab 1..lab
    (every lab when lab is None)."""
    found = []
    for rel in source_files(root):
        if not rel.endswith(skeleton.SOURCE_SUFFIXES):
            continue
        with open(os.path.join(root, rel), errors="replace") as f:
            labs = {int(m.group(1)) for m in skeleton.MARKER.finditer(f.read())}
        if any(lab is None or n <= lab for n in labs):
            found.append(rel)
    return found


def source_files(root):
    """What git tracks in root; every file when root is no git checkout (an
    unpacked autograder)."""
    try:
        return skeleton.tracked_files(root)
    except skeleton.SkeletonError:
        return [rel for rel, _ in walk(root)]


def declared(root, lab):
    """labs/labK/files.toml of every lab up to lab: (files, new_files)."""
    files, new = [], []
    for path in sorted(os.listdir(os.path.join(root, "labs"))):
        m = re.fullmatch(r"lab(\d+)", path)
        toml = os.path.join(root, "labs", path, "files.toml")
        if not m or (lab is not None and int(m.group(1)) > lab) or not os.path.exists(toml):
            continue
        with open(toml, "rb") as f:
            decl = tomllib.load(f)
        files += decl.get("files", [])
        new += decl.get("new_files", [])
    return files, new


def file_list(root, lab):
    """The lab's file list, {"files": [...], "new_files": [...]}, from the
    reference tree root. Raises FileListError if it names a kit file."""
    extra, new = declared(root, lab)
    files = sorted(set(marker_files(root, lab) + extra))
    for rel in files + new:
        if kit_owned(rel) or rel.startswith("/") or ".." in rel.split("/"):
            raise FileListError("a lab may not let students change %s" % rel)
    return {"files": files, "new_files": sorted(set(new))}


def same_file(a, b):
    try:
        with open(a, "rb") as x, open(b, "rb") as y:
            return x.read() == y.read()
    except OSError:
        return False


def walk(sub):
    """Every entry of the submission below sub, as (relative path with '/',
    full path), build products and version control left out."""
    for d, dirs, names in os.walk(sub):
        dirs[:] = sorted(x for x in dirs if x not in SKIPPED)
        # os.walk does not enter a link to a folder: it is an entry (refused).
        for name in sorted([x for x in dirs if os.path.islink(os.path.join(d, x))] + names):
            if name in SKIPPED or name.endswith(".pyc"):
                continue
            path = os.path.join(d, name)
            yield os.path.relpath(path, sub).replace(os.sep, "/"), path


def plan(sub, source, files):
    """What to do with each file of the submission rooted at sub, graded on
    the instructor's tree source with the file list files. Returns (copies:
    [(full path, destination relative path)], notes: {kind: [names]}) where
    kind is "placed" (a flat upload put in its folder: "name -> path"),
    "ignored" (not a file this lab lets students change, and not the same
    as the kit's), "ambiguous" (a flat upload whose name fits several
    paths, or whose path the submission holds too) or "refused" (links, special files)."""
    allowed = set(files["files"])
    entries = list(walk(sub))
    given = {rel for rel, _ in entries}
    by_name = {}
    for rel in allowed:
        by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    copies, notes = [], {"placed": [], "ignored": [], "ambiguous": [], "refused": []}
    for rel, path in entries:
        if os.path.islink(path) or not os.path.isfile(path):
            notes["refused"].append(rel)
        elif rel in allowed or new_file(rel, files["new_files"], source):
            copies.append((path, rel))
        elif "/" not in rel and rel in by_name:
            targets = by_name[rel]
            if len(targets) == 1 and targets[0] not in given:
                copies.append((path, targets[0]))
                notes["placed"].append("%s -> %s" % (rel, targets[0]))
            else:
                notes["ambiguous"].append(rel)
        elif not same_file(path, os.path.join(source, rel)):
            # An unchanged copy of the kit's file (a zip of the whole
            # repository) is no news; a changed one is, since it is not graded.
            notes["ignored"].append(rel)
    return copies, notes


def new_file(rel, patterns, source):
    """A file the lab lets students add: it matches a new_files pattern and
    the kit has no file of that name (a new file never replaces the kit's)."""
    # fnmatch's * crosses "/": hv/*.c must not take hv/x/y.c (hv/*/*.c
    # names that), nor hv/*/*.c hv/x/y/z.c, which no makefile builds.
    fits = any(fnmatch.fnmatchcase(rel, p) and rel.count("/") == p.count("/") for p in patterns)
    return fits and not kit_owned(rel) and not os.path.lexists(os.path.join(source, rel))


def describe(notes):
    """The lines the student sees about their files (empty: nothing odd)."""
    say = {
        "placed": "placed by name (uploaded without their folder)",
        "ignored": "ignored: this lab does not let you change these files, so the kit's own are graded",
        "ambiguous": ("ignored: uploaded without a folder, and the name fits several files of this lab, "
                      "or the file is in your upload with its folder too: put it in its folder"),
        "refused": "refused: links and special files",
    }
    lines = []
    for kind in ("placed", "ignored", "ambiguous", "refused"):
        names = notes.get(kind, [])
        if names:
            shown = ", ".join(names[:SHOWN]) + (", and %d more" % (len(names) - SHOWN) if len(names) > SHOWN else "")
            lines.append("Submission: %d %s %s: %s" % (len(names), "file" if len(names) == 1 else "files",
                                                       say[kind], shown))
    return lines
