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

run grades one submission: a fresh copy of the source, the submission's
files copied over it except the kit's own machinery (PROTECTED: the tests,
the grader, the runner, the build), then grading/grade.py, whose results.json
goes to /autograder/results/. Whatever fails, a results.json is written.

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

CONFIG = "hvlab-autograder.json"
# A submission cannot replace these: they decide the grade.
PROTECTED = ("grading", "labs", "tools", "tests", "mk", "Makefile", ".github", CONFIG,
             "setup.sh", "run_autograder")
# Nor bring these: build products and version control are not source.
SKIPPED = ("build", ".git", "__pycache__")

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
tools/deps.sh all
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
            add_text(z, CONFIG, json.dumps({"lab": lab, "made": time.strftime("%Y-%m-%d %H:%M"),
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


def overlay(sub, work):
    """Copy the submission's files over the work tree. Returns (copied,
    refused): protected paths, symbolic links and special files are refused."""
    copied, refused = [], []
    for d, dirs, names in os.walk(sub):
        dirs[:] = sorted(x for x in dirs if x not in SKIPPED)
        for name in sorted(names):
            path = os.path.join(d, name)
            rel = os.path.relpath(path, sub)
            top = rel.split(os.sep, 1)[0]
            if top in PROTECTED or name in SKIPPED or os.path.islink(path) or not os.path.isfile(path):
                refused.append(rel)
                continue
            dst = os.path.join(work, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(path, dst)     # a fresh time: make rebuilds what it changes
            copied.append(rel)
    return copied, refused


def fallback_results(path, message):
    """results.json when grading itself could not run: zero, and why."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"score": 0, "output": "The autograder could not grade this submission: %s\n"
                   "Please tell your instructor." % message, "tests": []}, f, indent=1)
        f.write("\n")


def grade_submission(source, submission, results_dir, lab, extra, say=print, output=None):
    """Grade one submission: a fresh copy of source, the submission's files
    over it, grade.py. results.json, junit.xml and logs/ go to results_dir;
    whatever fails, results.json is written. grade.py prints to output (a
    file; default: this process's own). Returns grade.py's status (0 all
    points, 1 points missing) or 2 and more when grading failed."""
    results = os.path.join(results_dir, "results.json")
    os.makedirs(results_dir, exist_ok=True)
    if os.path.exists(results):
        os.remove(results)
    work = tempfile.mkdtemp(prefix="hvlab-submission-")
    try:
        try:
            shutil.copytree(source, work, dirs_exist_ok=True, symlinks=True,
                            ignore=shutil.ignore_patterns(*SKIPPED))
            copied, refused = overlay(submission_root(submission, work), work)
        except OSError as e:
            fallback_results(results, "copying the submission failed: %s" % e)
            return 3
        say("autograder: %d files from the submission%s" % (len(copied), ", lab %d" % lab if lab else ""))
        if refused:
            say("autograder: ignored %d files that the kit provides (%s%s)"
                % (len(refused), ", ".join(refused[:8]), ", ..." if len(refused) > 8 else ""))
        argv = [sys.executable, os.path.join(work, "grading", "grade.py"), "--root", work,
                "--results", results, "--junit", os.path.join(results_dir, "junit.xml"),
                "--logs", os.path.join(results_dir, "logs"), "--show-hidden", "--color", "never"]
        if lab:
            argv += ["--lab", str(lab)]
        argv += extra
        say("autograder: " + shlex.join(argv))
        status = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT if output else None).returncode
        if not os.path.exists(results):
            fallback_results(results, "the grader stopped with status %d and wrote no results" % status)
            return max(status, 2)
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
