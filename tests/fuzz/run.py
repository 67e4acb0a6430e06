#!/usr/bin/env python3
"""run.py: run the libFuzzer targets of tests/fuzz/ (make fuzz, make
fuzz-check), one per core at a time, and end with one line: "fuzz: N passed,
M failed".

    run.py --build DIR --runs N [-j JOBS] 'NAME [-flag=value ...] [SEED_DIR ...]' ...

Each target DIR/fuzz_NAME runs for N executions. It grows its corpus in
DIR/corpus/NAME (the seed directories are only read), writes a crash input
to DIR/crashes/NAME/ and its whole output to DIR/logs/NAME.log. A target
passes when it exits 0 after libFuzzer's "Done N runs"; a failure prints the
sanitizer's or the invariant's report and the crash file to reproduce. Each
target's lines are printed together when it ends.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

DONE_RE = re.compile(r"^Done (\d+) runs in (\d+) second", re.M)
# What names the failure in libFuzzer's output.
REPORT_RE = re.compile(r"^(==\d+==ERROR|SUMMARY:|fuzz: .*invariant broken|.*runtime error:|"
                       r"ALARM:|artifact_prefix=.*Test unit written to)", re.M)
PER_INPUT_TIMEOUT = 10      # seconds: a slower input is a hang, reported as a crash


def run_target(build, runs, spec):
    """(passed, the lines that say so)."""
    words = spec.split()
    name, flags = words[0], [w for w in words[1:] if w.startswith("-")]
    seeds = [w for w in words[1:] if not w.startswith("-")]
    binary = os.path.join(build, "fuzz_" + name)
    corpus = os.path.join(build, "corpus", name)
    crashes = os.path.join(build, "crashes", name) + os.sep
    log = os.path.join(build, "logs", name + ".log")
    for d in (corpus, crashes, os.path.dirname(log)):
        os.makedirs(d, exist_ok=True)
    cmd = [binary, "-runs=%d" % runs, "-artifact_prefix=" + crashes,
           "-timeout=%d" % PER_INPUT_TIMEOUT, "-print_final_stats=1"] + flags + [corpus] + seeds
    before = set(glob.glob(crashes + "*"))
    start = time.time()
    env = dict(os.environ)
    symbolizer = shutil.which("llvm-symbolizer-14")   # Debian names it by version
    if symbolizer:
        env.setdefault("ASAN_SYMBOLIZER_PATH", symbolizer)
    with open(log, "w") as out:
        status = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    seconds = time.time() - start
    text = open(log, errors="replace").read()
    done = DONE_RE.search(text)
    if status == 0 and done:
        execs = int(done.group(1))
        return True, ["fuzz %-12s ok: %d executions in %.1f s (%d/s)"
                      % (name, execs, seconds, execs / max(seconds, 0.01))]
    lines = ["fuzz %-12s FAILED (exit status %d); its output: %s" % (name, status, log)]
    for line in REPORT_RE.finditer(text):
        lines.append("    " + text[line.start():text.find("\n", line.start())])
    for crash in sorted(set(glob.glob(crashes + "*")) - before):
        lines.append("    reproduce: %s %s" % (binary, crash))
    return False, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2,
                    help="targets run at once (default: the cores)")
    ap.add_argument("targets", nargs="+", help="'NAME [-flags] [SEED_DIR ...]'")
    args = ap.parse_args()
    passed = failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for ok, lines in pool.map(lambda spec: run_target(args.build, args.runs, spec), args.targets):
            print("\n".join(lines), flush=True)
            passed, failed = passed + ok, failed + (not ok)
    print("fuzz: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
