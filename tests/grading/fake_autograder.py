"""fake_autograder.py: Gradescope's autograder layout, in a temporary folder.

Gradescope unpacks the autograder zip into /autograder/source, runs
setup.sh once, then for every submission puts it in /autograder/submission
and runs /autograder/run_autograder, which writes
/autograder/results/results.json. The kit's tests do the same under a
folder of their own (AUTOGRADER_ROOT moves /autograder).
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))


def pack(out, lab=None, cwd=ROOT, env=None):
    """make gradescope: the autograder zip of this tree (lab: that lab's)."""
    argv = [sys.executable, os.path.join(cwd, "grading", "gradescope.py"), "pack", "--out", out]
    argv += ["--lab", str(lab)] if lab else []
    return subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def unpack(zpath, ag):
    """The zip into ag/source, with the modes it records (run_autograder
    must stay executable). Returns the zip's member names."""
    with zipfile.ZipFile(zpath) as z:
        for info in z.infolist():
            dst = z.extract(info, os.path.join(ag, "source"))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(dst, mode)
        return set(z.namelist())


def setup(ag):
    """setup.sh's part that the tests need: the kit's images, made once in
    ag/source (its other part installs Debian packages)."""
    import kitbuild
    why = kitbuild.build(os.path.join(ag, "source"))
    assert why is None, why


def grade(ag, submission, grade_args, env=None, timeout=600):
    """One submission (a folder) through ag's run_autograder. Returns
    (run_autograder's output, results.json as a dict)."""
    for d in ("submission", "results"):
        shutil.rmtree(os.path.join(ag, d), ignore_errors=True)
    shutil.copytree(submission, os.path.join(ag, "submission"))
    env = dict(env or os.environ, AUTOGRADER_ROOT=ag, GRADE_ARGS=grade_args)
    p = subprocess.run([os.path.join(ag, "source", "run_autograder")], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    with open(os.path.join(ag, "results", "results.json")) as f:
        return p.stdout, json.load(f)
