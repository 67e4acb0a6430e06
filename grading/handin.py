#!/usr/bin/env python3
"""handin.py: `make handin`. Packs what HEAD holds into
build/handin-<user>-<date>.tar.gz (git archive), for upload.

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


def main(argv=None):
    p = argparse.ArgumentParser(prog="handin.py", description="Pack the committed work for hand-in.")
    p.add_argument("--out-dir", default=os.path.join(ROOT, "build"))
    a = p.parse_args(argv)
    try:
        dirty = git("status", "--porcelain", "--untracked-files=all").splitlines()
        head = git("log", "-1", "--format=%h %s").strip()
    except (OSError, subprocess.CalledProcessError) as e:
        err = getattr(e, "stderr", "") or str(e)
        print("handin: error: this is not a git repository with a commit (%s)" % err.strip(), file=sys.stderr)
        return 2
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
    out = os.path.join(a.out_dir, name + ".tar.gz")
    git("archive", "--format=tar.gz", "--prefix=%s/" % name, "-o", out, "HEAD")
    files = len(git("ls-tree", "-r", "--name-only", "HEAD").splitlines())
    print("handin: wrote %s: commit %s, %d files" % (os.path.relpath(out), head, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
