#!/usr/bin/env python3
"""gradescope.py: the Gradescope autograder, packed and run.

    grading/gradescope.py pack [--lab N] [--out FILE]    (make gradescope)
    grading/gradescope.py run                            (run_autograder)

pack writes autograder.zip: the kit's source at the top (Gradescope unpacks
it into /autograder/source), setup.sh (run once, as root, when Gradescope
builds its image: installs the Debian packages) and run_autograder (run for
every submission). With --lab N the source is the student tree of lab N
(grading/skeleton.py) with the reference's tests of labs 1..N, hidden ones
included, and a submission is graded on lab N: a file the submission leaves
out is the skeleton's stub, which fails, never the reference solution.
Without --lab the source is this tree as it is, graded on every lab (for
trying the autograder out on the reference).

run grades one submission: a fresh copy of the source, and over it only the
files the lab lets a student change (grading/submission.py: the files with
its LAB regions, the new files labs/labN/files.toml allows; the list is in
hvlab-autograder.json), placed by name when uploaded flat; then the
source's own grading/grade.py builds the copy and runs the source's tests
and runner on it, and its results.json goes to /autograder/results/, with
what the submission held that was not graded listed at the top of its
output. Whatever fails, a results.json is written.

AUTOGRADER_ROOT (default /autograder) moves the whole tree, so that a test
can run run_autograder in a temporary directory. GRADE_ARGS adds arguments
to grade.py (e.g. "--test lab1-cpuid --timeout 20").
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

GRADING = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(GRADING)
sys.path.insert(0, GRADING)
import kitbuild  # noqa: E402
import submission  # noqa: E402

CONFIG = "hvlab-autograder.json"
# Build products and version control are not source.
SKIPPED = submission.SKIPPED

SETUP_SH = """#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the
# autograder's image. It installs the Debian packages hvlab needs.
set -euo pipefail
cd "${AUTOGRADER_ROOT:-/autograder}/source"
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup.sh: hvlab's grader needs Python 3.11 or later (tomllib):" \\
         "choose a newer base image (Ubuntu 24.04) in the assignment's settings" >&2
    exit 1
fi
apt-get update -q
tools/deps.sh run
# The hypervisor, the guest OS, the loader and the test kernels, once:
# every submission's build then compiles its own files alone
# (grading/kitbuild.py).
make --no-print-directory -j"$(nproc)" all kit-images
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# run_autograder: Gradescope runs this for every submission
# (grading/gradescope.py run: copy, build, grade, write results.json).
exec python3 "${AUTOGRADER_ROOT:-/autograder}/source/grading/gradescope.py" run
"""


# --------------------------------------------------------------------- pack

def source_files(root):
    """The tree's source files: what git tracks plus new files it does not
    ignore (so build/ never ships), from the working tree."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        names = out.split("\0")
    except (OSError, subprocess.CalledProcessError):
        # Not a git checkout (an unpacked copy): every file but build products.
        names = []
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x not in SKIPPED]
            names += [os.path.relpath(os.path.join(d, f), root) for f in files if not f.endswith(".pyc")]
    return sorted(f for f in set(names) if f and os.path.isfile(os.path.join(root, f)))


def add_file(z, path, arcname):
    info = zipfile.ZipInfo.from_file(path, arcname)
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())


def add_text(z, arcname, text, mode=0o644):
    info = zipfile.ZipInfo(arcname, time.localtime()[:6])
    info.external_attr = (0o100000 | mode) << 16     # a regular file and its permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def grading_source(root, dest, lab):
    """Write the tree a class's submissions for lab N are graded on: the
    student tree of lab N with the reference's tests of labs 1..N, hidden
    ones included (the skeleton keeps only the visible ones). Returns its
    files."""
    import skeleton
    skeleton.make_skeleton(root, dest, lab)
    for n in range(1, lab + 1):
        ref = os.path.join(root, "labs", "lab%d" % n, "tests.toml")
        if os.path.exists(ref):
            os.makedirs(os.path.join(dest, "labs", "lab%d" % n), exist_ok=True)
            shutil.copy2(ref, os.path.join(dest, "labs", "lab%d" % n, "tests.toml"))
    # The student tree has lost lab N's markers: the file list, made from
    # the reference's, goes with it.
    with open(os.path.join(dest, CONFIG), "w") as f:
        json.dump({"lab": lab, "files": submission.file_list(root, lab)}, f)
        f.write("\n")
    return sorted(os.path.relpath(os.path.join(d, f), dest) for d, _, names in os.walk(dest) for f in names)


# What grade.py gets on Gradescope unless `make gradescope GRADE_ARGS=...`
# says otherwise: a hanging submission must end well inside Gradescope's own
# time limit for the assignment (set there; 10 minutes is common), or no
# results.json is written at all.
DEFAULT_GRADE_ARGS = "--budget 480 --build-timeout 240"


def pack(lab, out, root=ROOT, grade_args=DEFAULT_GRADE_ARGS):
    with tempfile.TemporaryDirectory(prefix="hvlab-pack-") as tmp:
        if lab:
            base = os.path.join(tmp, "source")
            files = grading_source(root, base, lab)
        else:
            base, files = root, source_files(root)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with zipfile.ZipFile(out + ".tmp", "w") as z:
            for f in files:
                if f not in (CONFIG, "setup.sh", "run_autograder"):
                    add_file(z, os.path.join(base, f), f)
            add_text(z, "setup.sh", SETUP_SH, 0o755)
            add_text(z, "run_autograder", RUN_AUTOGRADER, 0o755)
            # The file list comes from the reference's markers, which the
            # student tree of lab N no longer has: it travels in the config.
            add_text(z, CONFIG, json.dumps({"lab": lab, "made": time.strftime("%Y-%m-%d %H:%M"),
                                            "files": submission.file_list(root, lab),
                                            "grade_args": grade_args}) + "\n")
        os.replace(out + ".tmp", out)
    return len(files)


# ---------------------------------------------------------------------- run

def submission_root(sub, work):
    """Where the submitted tree starts: the submission itself, or the one
    folder it holds when that is not one of the kit's own folders (a zip of
    the whole repository, say hvlab-main/)."""
    entries = [e for e in os.listdir(sub) if e not in SKIPPED and not e.startswith(".")]
    if (len(entries) == 1 and os.path.isdir(os.path.join(sub, entries[0]))
            and not os.path.exists(os.path.join(work, entries[0]))):
        return os.path.join(sub, entries[0])
    return sub


# The most a submission's lab files may hold together: a lab's sources are
# tens of KiB; a 2 GiB "hv/bomb.c" must not fill the grading machine's disk.
MAX_COPIED = 64 << 20


def overlay(sub, work, files, limit=MAX_COPIED):
    """Copy over the pristine work tree only the submission's files that the
    lab's file list allows. Returns (copied, notes): see submission.plan.
    Raises submission.Refused, copying nothing, if they hold more than limit."""
    copies, notes = submission.plan(sub, work, files)
    total = sum(os.path.getsize(path) for path, _ in copies)
    if total > limit:
        raise submission.Refused("the lab's files in this submission hold %.1f MiB, more than the limit "
                                 "of %d MiB: refused" % (total / (1 << 20), limit >> 20))
    copied = []
    for path, rel in copies:
        dst = os.path.join(work, *rel.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst):
            os.remove(dst)                 # the kit's copy may be read-only
        shutil.copyfile(path, dst)         # a fresh time: make rebuilds what it changes
        copied.append(rel)
    return copied, notes


def fresh_copy(source, work):
    """A writable copy of the source (which may be read-only, as grade-class
    keeps it), build products left out but the kit's images, which no
    submission changes (kitbuild.py: built once, in the source)."""
    shutil.copytree(source, work, dirs_exist_ok=True, symlinks=True, ignore=shutil.ignore_patterns(*SKIPPED))
    kitbuild.copy(source, work)
    for d, dirs, names in os.walk(work):
        for x in [d] + [os.path.join(d, n) for n in names]:
            if not os.path.islink(x):
                os.chmod(x, os.stat(x).st_mode | 0o200)


def lab_files(source, lab):
    """The lab's file list: from the config the zip carries, else (this
    tree, every lab) from the source's own markers."""
    try:
        with open(os.path.join(source, CONFIG)) as f:
            config = json.load(f)
    except (OSError, ValueError):
        config = {}
    if config.get("files"):
        return config["files"]
    if lab:
        # A student tree has lost lab N's markers: its list would be short.
        raise submission.FileListError("%s holds no file list: make the autograder again (make gradescope)"
                                       % CONFIG)
    return submission.file_list(source, lab)


def fallback_results(path, message, notes=(), refused=False):
    """results.json when grading itself could not run (or the submission was
    refused: a limit it broke): zero, and why."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = ("This submission was not graded: %s\n" % message if refused else
            "The autograder could not grade this submission: %s\nPlease tell your instructor." % message)
    with open(path, "w") as f:
        json.dump({"score": 0, "output": "".join(n + "\n" for n in notes) + text, "tests": []}, f, indent=1)
        f.write("\n")


def add_notes(path, notes):
    """Put what happened to the submission's files at the top of the output
    the student sees at once (results.json's top-level output)."""
    if not notes:
        return
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["output"] = "".join(n + "\n" for n in notes) + "\n" + doc.get("output", "")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


def grade_submission(source, sub, results_dir, lab, extra, say=print, output=None, files=None):
    """Grade one submission: a fresh copy of source, the files of the lab's
    file list (files; default lab_files) from the submission over it, then
    the source's own grade.py, which builds the copy and runs the source's
    tests and runner on it (nothing the copy holds is read as grading code).
    results.json, junit.xml and logs/ go to results_dir; whatever fails,
    results.json is written. grade.py prints to output (a file; default:
    this process's own). Returns grade.py's status (0 all points, 1 points
    missing) or 2 and more when grading failed."""
    results = os.path.join(results_dir, "results.json")
    os.makedirs(results_dir, exist_ok=True)
    if os.path.exists(results):
        os.remove(results)
    work = tempfile.mkdtemp(prefix="hvlab-submission-")
    try:
        notes = []
        try:
            files = files or lab_files(source, lab)
            fresh_copy(source, work)
            copied, kinds = overlay(submission_root(sub, work), work, files)
            kitbuild.copy_hypervisor(source, work, copied)
            notes = submission.describe(kinds)
        except submission.Refused as e:
            fallback_results(results, str(e), refused=True)
            return 1
        except (OSError, ValueError, submission.FileListError) as e:
            fallback_results(results, "copying the submission failed: %s" % e)
            return 3
        say("autograder: %d files from the submission%s" % (len(copied), ", lab %d" % lab if lab else ""))
        for n in notes:
            say("autograder: " + n)
        argv = [sys.executable, os.path.join(source, "grading", "grade.py"), "--root", work, "--source", source,
                "--results", results, "--junit", os.path.join(results_dir, "junit.xml"),
                "--logs", os.path.join(results_dir, "logs"), "--show-hidden", "--color", "never"]
        if lab:
            argv += ["--lab", str(lab)]
        argv += extra
        say("autograder: " + shlex.join(argv))
        # No __pycache__ written into the source: it stays as it was packed
        # (grade-class checks that it does).
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        status = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=output, env=env,
                                stderr=subprocess.STDOUT if output else None).returncode
        if not os.path.exists(results):
            fallback_results(results, "the grader stopped with status %d and wrote no results" % status, notes)
            return max(status, 2)
        add_notes(results, notes)
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(ag_root, extra):
    source = os.path.join(ag_root, "source")
    try:
        with open(os.path.join(source, CONFIG)) as f:
            config = json.load(f)
        lab = config.get("lab")
        # The limits chosen when packing first; GRADE_ARGS (the environment) after, so it wins.
        extra = shlex.split(config.get("grade_args") or "") + list(extra)
    except (OSError, ValueError, AttributeError):
        lab = None
    status = grade_submission(source, os.path.join(ag_root, "submission"), os.path.join(ag_root, "results"),
                              lab, extra, say=lambda line: print(line, flush=True))
    # Missing points are a grade, not an autograder failure.
    return 0 if status in (0, 1) else status


def main(argv=None):
    p = argparse.ArgumentParser(prog="gradescope.py", description="Pack or run the Gradescope autograder.")
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack", help="write autograder.zip")
    pk.add_argument("--lab", type=int, help="grade lab N on its student tree (default: this tree, every lab)")
    pk.add_argument("--out", default=os.path.join(ROOT, "build", "gradescope", "autograder.zip"))
    pk.add_argument("--grade-args", default=DEFAULT_GRADE_ARGS,
                    help="grade.py options run_autograder uses, e.g. limits (default: %(default)s)")
    sub.add_parser("run", help="grade /autograder/submission (run_autograder)")
    a = p.parse_args(argv)
    if a.cmd == "pack":
        try:
            n = pack(a.lab, a.out, grade_args=a.grade_args)
        except Exception as e:   # skeleton errors, git errors: one clear line
            print("gradescope: error: %s: %s" % (type(e).__name__, e), file=sys.stderr)
            return 2
        print("gradescope: wrote %s (%d source files, %s)"
              % (os.path.relpath(a.out), n, "lab %d on its student tree" % a.lab if a.lab
                 else "this tree, every lab: use LAB=N for a class"))
        return 0
    ag_root = os.environ.get("AUTOGRADER_ROOT", "/autograder")
    try:
        return run(ag_root, shlex.split(os.environ.get("GRADE_ARGS", "")))
    except Exception as e:   # never leave Gradescope without a results.json
        fallback_results(os.path.join(ag_root, "results", "results.json"), "%s: %s" % (type(e).__name__, e))
        raise


if __name__ == "__main__":
    sys.exit(main())
