#!/usr/bin/env python3
"""unittest_parallel.py: a folder's unittest modules, several at once.

    tests/unittest_parallel.py DIR [-j JOBS]

Runs `python -m unittest discover -s DIR -p MODULE` for each test_*.py of
DIR, JOBS at a time (default: the CPUs), so that a suite whose tests each
wait on one single-threaded emulator uses every core. Each module's output
is printed whole when it ends (never interleaved), and then one summary in
unittest's own form ("Ran N tests in T s", "OK" or "FAILED (failures=F,
errors=E, skipped=S)"), which tests/run_checks.py reads. Modules run in
processes of their own, so each must keep to its own files (they all make
their trees in temporary folders).
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)
COUNTS = re.compile(r"(failures|errors|skipped)=(\d+)")


def run_module(folder, name):
    start = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", folder, "-p", name],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return name, p.returncode, p.stdout, time.monotonic() - start


def tally(out):
    """(tests run, {failures, errors, skipped}) from one module's output;
    a module that printed no "Ran" line crashed: one error."""
    ran = list(RAN.finditer(out))
    if not ran:
        return 0, {"errors": 1}
    counts = {}
    for kind, n in COUNTS.findall(out[ran[-1].end():]):
        counts[kind] = counts.get(kind, 0) + int(n)
    return int(ran[-1].group(1)), counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args(argv)
    # Largest first: with a pool, the long ones start at once.
    names = sorted((os.path.basename(p) for p in glob.glob(os.path.join(a.folder, "test_*.py"))),
                   key=lambda n: -os.path.getsize(os.path.join(a.folder, n)))
    start = time.monotonic()
    total, counts, status = 0, {}, 0
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for name, code, out, secs in pool.map(lambda n: run_module(a.folder, n), names):
            print("---- %s (%.0f s)" % (name, secs))
            sys.stdout.write(out)
            sys.stdout.flush()
            n, c = tally(out)
            total += n
            for k, v in c.items():
                counts[k] = counts.get(k, 0) + v
            status = status or code
    print("-" * 70)
    print("Ran %d tests in %.3fs" % (total, time.monotonic() - start))
    bad = counts.get("failures", 0) + counts.get("errors", 0)
    parts = ", ".join("%s=%d" % (k, counts[k]) for k in ("failures", "errors", "skipped") if counts.get(k))
    print("\n" + ("FAILED (%s)" % parts if bad else "OK" + (" (%s)" % parts if parts else "")))
    return 1 if bad or status else 0


if __name__ == "__main__":
    sys.exit(main())
