#!/usr/bin/env python3
"""handin.py: `make handin`. Packs what HEAD holds into
build/handin-<user>-<date>.zip (git archive), for upload: Gradescope
unpacks a .zip that a student uploads, and grade-class reads one too.

It refuses a tree with changes that are not committed, since they would not
be in the archive: the hand-in is exactly the commit, so what the student
tested is what the instructor grades.
"""
import argparse
import getpass
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(*args):
    return subprocess.run(["git", "-C", ROOT] + list(args), check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True).stdout


# What to run where the tree has no commit: the hand-in is a commit.
FIRST_COMMIT = "git init && git add -A && git commit -m 'my lab work'"


def not_a_repository():
    """None when ROOT is a git repository with a commit, else one line
    saying exactly what to run."""
    try:
        inside = git("rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError):
        return "handin: error: %s is not a git repository: run  %s  there, then make handin" % (ROOT, FIRST_COMMIT)
    if os.path.realpath(inside) != os.path.realpath(ROOT):
        # A tree copied inside another repository would pack that one's HEAD.
        return ("handin: error: %s is inside the git repository %s, not one of its own: run  %s  in %s, "
                "then make handin" % (ROOT, inside, FIRST_COMMIT, ROOT))
    try:
        git("rev-parse", "--verify", "-q", "HEAD")
    except subprocess.CalledProcessError:
        return "handin: error: %s has no commit yet: run  git add -A && git commit -m 'my lab work'  then make handin" % ROOT
    return None


def main(argv=None):
    p = argparse.ArgumentParser(prog="handin.py", description="Pack the committed work for hand-in.")
    p.add_argument("--out-dir", default=os.path.join(ROOT, "build"))
    a = p.parse_args(argv)
    problem = not_a_repository()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    dirty = git("status", "--porcelain", "--untracked-files=all").splitlines()
    head = git("log", "-1", "--format=%h %s").strip()
    if dirty:
        print("handin: refused: these changes are not committed, so they would not be handed in:", file=sys.stderr)
        for line in dirty[:20]:
            print("    " + line, file=sys.stderr)
        if len(dirty) > 20:
            print("    ... and %d more" % (len(dirty) - 20), file=sys.stderr)
        print("handin: commit them (git add FILES && git commit), or remove them, then run make handin again",
              file=sys.stderr)
        return 1
    user = re.sub(r"[^A-Za-z0-9._-]", "_", os.environ.get("HANDIN_USER") or getpass.getuser()) or "student"
    name = "handin-%s-%s" % (user, time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(a.out_dir, exist_ok=True)
    out = os.path.join(a.out_dir, name + ".zip")
    git("archive", "--format=zip", "--prefix=%s/" % name, "-o", out, "HEAD")
    files = len(git("ls-tree", "-r", "--name-only", "HEAD").splitlines())
    print("handin: wrote %s: commit %s, %d files" % (os.path.relpath(out), head, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
