#!/usr/bin/env python3
"""grade_class.py: grade a whole class's submissions for one lab.

    grading/grade_class.py --lab N SUBMISSIONS [--out DIR] [-j JOBS] [-P PARALLEL] [--test NAME ...]
                           [--timeout S] [--build-timeout S] [--budget S]
                           [--max-archive MIB] [--max-unpacked MIB] [--max-files N]
    make grade-class LAB=N SUBMISSIONS=DIR [CLASS_OUT=DIR] [JOBS=n] [PARALLEL=n]

SUBMISSIONS holds one entry per student, named for the student: a folder (a
clone of the student's repository, an unpacked hand-in), or an archive
(.zip, .tar.gz, .tgz, .tar: `make handin`'s, a GitHub download). Each is
graded exactly as Gradescope grades it (gradescope.py): on a fresh copy of
the student tree of lab N with the reference's tests of labs 1..N, hidden
ones included, and only the files the lab lets students change taken from
the submission (grading/submission.py). A file the submission leaves out is
the skeleton's stub, which fails. The tree every submission is copied from
is read-only, and checked after each one: if it changed anyway, that
submission and every later one are reported not graded.

Written to OUT (default build/class):
    scores.csv                 a row per student: score, max, each test's points,
                               and "graded" or why it could not be graded
    <student>/results.json     Gradescope's format, with every test's full story
    <student>/junit.xml, <student>/logs/, <student>/grade.txt (the grader's output)
and a summary on the terminal: each student's score, the class's mean and
median, and how many passed each test (where the class struggles).

Archives are unpacked with care: absolute paths, "..", links and special
files are refused, so a submission writes nowhere but its own folder; an
archive over the size, unpacked-size or file-count limit is refused before
it is unpacked (its index is read first). Each submission's build and tests
run isolated (sandbox.py) within a time budget (--budget, default 600 s).
scores.csv's `notes` column and the terminal name anything odd per student:
members refused, limits hit, leftover processes killed. One
submission that breaks anything (a corrupt archive, a build that fails, a
hypervisor that hangs) gets its row with the reason; the others are graded
all the same. Exit status: 0 when every submission was graded (missing
points are grades), 1 when some could not be, 2 usage.
"""
import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import stat
import statistics
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor

GRADING = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(GRADING)
sys.path.insert(0, GRADING)
import gradescope  # noqa: E402
import kitbuild  # noqa: E402

ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip")

# Disk limits for one submission (--max-archive, --max-unpacked, --max-files):
# a lab's hand-in is a few hundred KiB in some tens of files. The unpacked
# size and the file count are read from the archive's own index, before a
# byte is written, and checked again while writing (an index can lie).
MAX_ARCHIVE = 50 << 20
MAX_UNPACKED = 200 << 20
MAX_FILES = 5000


class Unpackable(Exception):
    """A submission archive that cannot be read, or that is over a limit."""


class Limits:
    def __init__(self, archive=MAX_ARCHIVE, unpacked=MAX_UNPACKED, files=MAX_FILES):
        self.archive, self.unpacked, self.files = archive, unpacked, files


def mib(n):
    return "%.1f MiB" % (n / (1 << 20))


def student_name(entry):
    for ext in ARCHIVES:
        if entry.endswith(ext):
            return entry[:-len(ext)]
    return entry


def safe_member(name):
    """The relative path an archive member may be written to, or None."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or name.startswith(("/", "\\")) or ".." in parts:
        return None
    return os.path.join(*parts)


def check_index(name, sizes, limits):
    """Refuse an archive whose index declares more than the limits allow:
    a zip bomb is refused before it is unpacked."""
    if len(sizes) > limits.files:
        raise Unpackable("refused %s: %d files, more than the limit of %d" % (name, len(sizes), limits.files))
    if sum(sizes) > limits.unpacked:
        raise Unpackable("refused %s: it unpacks to %s, more than the limit of %s"
                         % (name, mib(sum(sizes)), mib(limits.unpacked)))


def unpack(archive, dest, limits=None):
    """Unpack regular files and folders only, within the limits. Returns the
    members refused; raises Unpackable for an unreadable archive or one over
    a limit."""
    limits = limits or Limits()
    name = os.path.basename(archive)
    refused = []
    if os.path.getsize(archive) > limits.archive:
        raise Unpackable("refused %s: the archive is %s, more than the limit of %s"
                         % (name, mib(os.path.getsize(archive)), mib(limits.archive)))
    budget = [limits.unpacked]     # what may still be written, whatever the index said
    try:
        if archive.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                infos = z.infolist()
                check_index(name, [i.file_size for i in infos if not i.is_dir()], limits)
                for info in infos:
                    rel = safe_member(info.filename)
                    is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
                    if rel is None or is_link:
                        refused.append(info.filename)
                    elif info.is_dir():
                        os.makedirs(os.path.join(dest, rel), exist_ok=True)
                    else:
                        write_member(dest, rel, z.open(info), budget, name)
        else:
            with tarfile.open(archive) as t:
                members = t.getmembers()
                check_index(name, [m.size for m in members if m.isfile()], limits)
                for m in members:
                    rel = safe_member(m.name)
                    if rel is None or not (m.isfile() or m.isdir()):
                        refused.append(m.name)
                    elif m.isdir():
                        os.makedirs(os.path.join(dest, rel), exist_ok=True)
                    else:
                        write_member(dest, rel, t.extractfile(m), budget, name)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError, ValueError) as e:
        raise Unpackable("cannot unpack %s: %s" % (name, e))
    return refused


def write_member(dest, rel, src, budget, name):
    path = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with src, open(path, "wb") as out:
        while True:
            chunk = src.read(1 << 16)
            if not chunk:
                break
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise Unpackable("refused %s: it unpacks to more than the limit of its index" % name)
            out.write(chunk)


def fingerprint(tree):
    """Every file of tree with its type, whether it is executable, and its
    contents' hash: what must not change while a class is graded on it.
    (Read permissions may: without bubblewrap the grader makes the hidden
    tests unreadable to the builds.)"""
    found = {}
    for d, dirs, names in os.walk(tree):
        dirs.sort()
        for n in sorted(names):
            path = os.path.join(d, n)
            with open(path, "rb") as f:
                mode = os.lstat(path).st_mode
                found[os.path.relpath(path, tree)] = (stat.S_IFMT(mode), bool(mode & 0o111),
                                                      hashlib.sha256(f.read()).hexdigest())
    return found


def set_writable(tree, writable):
    """Take write permission away from tree (or give it back to its owner):
    the source every submission is copied from is no build's to change."""
    for d, dirs, names in os.walk(tree):
        for path in [d] + [os.path.join(d, n) for n in names]:
            if not os.path.islink(path):
                mode = os.stat(path).st_mode
                os.chmod(path, (mode | 0o200) if writable else (mode & ~0o222))


def folder_size(path, limits):
    """Refuse a submission folder over the limits (before it is copied)."""
    total = files = 0
    for d, dirs, names in os.walk(path):
        dirs[:] = [x for x in dirs if x not in gradescope.SKIPPED]
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files += 1
                total += os.path.getsize(p)
    name = os.path.basename(path.rstrip("/"))
    if files > limits.files:
        raise Unpackable("refused %s: %d files, more than the limit of %d" % (name, files, limits.files))
    if total > limits.unpacked:
        raise Unpackable("refused %s: %s, more than the limit of %s" % (name, mib(total), mib(limits.unpacked)))


def grade_one(entry_path, source, out_dir, lab, extra, log, output, limits=None, notes=None):
    """Grade one student: (results dict or None, why it could not be graded).
    Anything odd on the way (members refused, limits hit, processes killed)
    is added to notes."""
    limits = limits or Limits()
    notes = [] if notes is None else notes
    results_path = os.path.join(out_dir, "results.json")
    with tempfile.TemporaryDirectory(prefix="hvlab-class-") as tmp:
        submission = entry_path
        try:
            if os.path.isdir(entry_path):
                folder_size(entry_path, limits)
            else:
                submission = os.path.join(tmp, "submission")
                os.makedirs(submission)
                refused = unpack(entry_path, submission, limits)
                if refused:
                    log("grade-class: refused %d archive members (%s)" % (len(refused), ", ".join(refused[:5])))
                    notes.append("refused %d archive members (%s)" % (len(refused), ", ".join(refused[:3])))
        except Unpackable as e:
            gradescope.fallback_results(results_path, str(e), refused=True)
            notes.append(str(e))
            return None, str(e)
        status = gradescope.grade_submission(source, submission, out_dir, lab, extra, say=log, output=output)
    with open(results_path) as f:
        results = json.load(f)
    if notes:
        results = add_notes(results_path, results, notes)
    notes += [n for n in (results.get("extra_data") or {}).get("notes", []) if n not in notes]
    if status not in (0, 1):
        return results, "the grader failed (status %d): %s" % (status, results.get("output", "").strip()[:200])
    refused = re.match(r"This submission was not graded: (.*)", results.get("output", ""))
    if refused and not results.get("tests"):
        notes.append(refused.group(1))
        return None, refused.group(1)
    return results, None


def add_notes(path, results, notes):
    """Name what grade-class itself refused in the student's own results."""
    extra = results.setdefault("extra_data", {})
    extra["notes"] = list(notes) + [n for n in extra.get("notes", []) if n not in notes]
    results["output"] = results.get("output", "") + "\nNotes from grade-class:\n" + "".join(
        "  %s\n" % n for n in notes)
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return results


def test_columns(rows):
    names = []
    for _, results, _, _ in rows:
        for t in (results or {}).get("tests", []):
            if t["name"] not in names:
                names.append(t["name"])
    return names


def max_score(results):
    return sum(t.get("max_score", 0) for t in (results or {}).get("tests", []))


def total(results):
    """The score: the sum of the tests (results.json has no top-level score,
    which Gradescope would show at once, hidden points included)."""
    return sum(t.get("score", 0) for t in (results or {}).get("tests", []))


def write_csv(path, rows, tests):
    # A submission that could not be graded scores 0 of what the others could earn.
    class_max = max(max_score(r) for _, r, _, _ in rows)
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "score", "max_score"] + tests + ["status", "notes"])
        for student, results, why, notes in rows:
            by_name = {t["name"]: t for t in (results or {}).get("tests", [])}
            score = total(results) if not why else 0
            w.writerow([student, fmt(score), fmt(max_score(results) or class_max)]
                       + [fmt(by_name[t]["score"]) if t in by_name else "" for t in tests]
                       + [why or "graded", "; ".join(notes)])
    os.replace(path + ".tmp", path)


def fmt(x):
    return ("%g" % x) if isinstance(x, (int, float)) else str(x)


def summary(rows, tests):
    lines = []
    width = max([7] + [len(s) for s, _, _, _ in rows])
    for student, results, why, notes in rows:
        if why:
            lines.append("  %-*s  not graded: %s" % (width, student, why))
        else:
            lines.append("  %-*s  %6s / %s" % (width, student, fmt(total(results)), fmt(max_score(results))))
        for n in notes:
            lines.append("  %-*s    note: %s" % (width, "", n))
    scores = [total(r) for _, r, why, _ in rows if r and not why]
    if scores:
        lines.append("  class: %d graded, mean %.1f, median %s" % (len(scores), statistics.mean(scores),
                                                                     fmt(statistics.median(scores))))
    for t in tests:
        took = [x for _, r, why, _ in rows if r and not why for x in r["tests"] if x["name"] == t]
        passed = sum(1 for x in took if x.get("status") == "passed")
        lines.append("  %-40s passed by %d of %d" % (t, passed, len(took)))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="grade_class.py", description="Grade every submission of a class for one lab.")
    p.add_argument("submissions", help="a folder with one entry per student (folder or archive)")
    p.add_argument("--lab", type=int, required=True, help="the lab to grade")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "class"), help="where results go (default build/class)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="emulators at once, in all (default: the number of cores)")
    p.add_argument("-P", "--parallel", type=int, default=1,
                   help="submissions graded at once (default 1); each gets jobs/parallel emulators")
    p.add_argument("--test", action="append", default=[], metavar="NAME", help="grade only this test (repeatable)")
    p.add_argument("--timeout", type=float, metavar="S", help="stop every test after at most S seconds")
    p.add_argument("--build-timeout", type=float, metavar="S", help="stop a build after S seconds (default 300)")
    p.add_argument("--budget", type=float, metavar="S", default=600,
                   help="one submission's whole grading takes at most about S seconds (default %(default)g)")
    p.add_argument("--max-archive", type=float, metavar="MIB", default=MAX_ARCHIVE / (1 << 20),
                   help="refuse an archive larger than this (default %(default)g MiB)")
    p.add_argument("--max-unpacked", type=float, metavar="MIB", default=MAX_UNPACKED / (1 << 20),
                   help="refuse a submission that unpacks to more than this (default %(default)g MiB)")
    p.add_argument("--max-files", type=int, metavar="N", default=MAX_FILES,
                   help="refuse a submission with more files than this (default %(default)d)")
    a = p.parse_args(argv)
    # Absolute from here on: grading happens in temporary trees, and a
    # relative path would point into them (the logs of a relative --out
    # landed in a tree that was then deleted).
    a.submissions, a.out = os.path.abspath(a.submissions), os.path.abspath(a.out)
    if not os.path.isdir(a.submissions):
        p.error("'%s' is not a folder of submissions" % a.submissions)
    entries = sorted(e for e in os.listdir(a.submissions)
                     if not e.startswith(".") and (os.path.isdir(os.path.join(a.submissions, e))
                                                   or e.endswith(ARCHIVES)))
    if not entries:
        p.error("'%s' holds no submissions (folders or %s archives)" % (a.submissions, ", ".join(ARCHIVES)))
    names = [student_name(e) for e in entries]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        p.error("two submissions for %s: keep one each" % ", ".join(twice))
    if a.jobs < 1 or a.parallel < 1:
        p.error("--jobs and --parallel must be at least 1")
    for name in ("timeout", "build_timeout", "budget", "max_archive", "max_unpacked", "max_files"):
        if getattr(a, name) is not None and getattr(a, name) <= 0:
            p.error("--%s must be positive" % name.replace("_", "-"))
    limits = Limits(int(a.max_archive * (1 << 20)), int(a.max_unpacked * (1 << 20)), a.max_files)
    extra = ["-j", str(max(1, a.jobs // a.parallel)), "--quiet"] + [x for t in a.test for x in ("--test", t)]
    for option, value in (("--timeout", a.timeout), ("--build-timeout", a.build_timeout), ("--budget", a.budget)):
        if value:
            extra += [option, "%g" % value]
    os.makedirs(a.out, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="hvlab-class-source-") as tmp:
        source = os.path.join(tmp, "source")
        try:
            gradescope.grading_source(ROOT, source, a.lab)
        except Exception as e:   # a lab with no markers, a broken reference: one clear line
            print("grade-class: error: cannot make lab %d's tree: %s: %s" % (a.lab, type(e).__name__, e),
                  file=sys.stderr)
            return 2
        # The kit's own images, once for the class (kitbuild.py); if they do
        # not build here, each submission's build tries, and says why.
        why = kitbuild.build(source)
        if why:
            print("grade-class: warning: the kit's images (guest OS, loader, test kernels) did not build: %s"
                  % why, file=sys.stderr)
        set_writable(source, False)
        pristine = fingerprint(source)
        changed = []     # who was graded when the source changed: every later row says so
        done = []

        def one_student(entry, student):
            out_dir = os.path.join(a.out, student)
            shutil.rmtree(out_dir, ignore_errors=True)
            os.makedirs(out_dir)
            notes = []
            with open(os.path.join(out_dir, "grade.txt"), "w") as log_file:
                def log(line, f=log_file):
                    f.write(line + "\n")
                    f.flush()
                    # The copy's own report of what it left out (files the kit provides).
                    if line.startswith("autograder: ") and ("ignored" in line or "refused" in line):
                        notes.append(line[len("autograder: "):])
                try:
                    if changed:
                        raise RuntimeError("the grading source changed while %s was graded: not graded"
                                           % changed[0])
                    results, why = grade_one(os.path.join(a.submissions, entry), source, out_dir, a.lab, extra,
                                             log, log_file, limits, notes)
                    if fingerprint(source) != pristine:
                        changed.append(student)
                        results, why = None, "the grading source changed while this submission was graded"
                except Exception as e:   # whatever it was, the next student is graded all the same
                    results, why = None, "%s: %s" % (type(e).__name__, e)
            done.append(student)
            print("grade-class: [%d/%d] %s: %s" % (len(done), len(entries), student,
                                                   why or "%s points" % fmt(total(results))), flush=True)
            for n in notes:
                print("grade-class:     %s: note: %s" % (student, n), flush=True)
            return student, results, why, notes

        try:
            with ThreadPoolExecutor(max_workers=a.parallel) as pool:
                rows = list(pool.map(one_student, entries, names))
        finally:
            set_writable(source, True)     # so that the temporary directory can go
    tests = test_columns(rows)
    write_csv(os.path.join(a.out, "scores.csv"), rows, tests)
    print("grade-class: lab %d, %d submissions\n%s" % (a.lab, len(rows), summary(rows, tests)))
    print("grade-class: wrote %s" % os.path.join(a.out, "scores.csv"))
    return 1 if any(why for _, _, why, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
