#!/usr/bin/env python3
"""compiledb.py: compile_commands.json, so that clangd and editors compile each
file as the build does (the hypervisor's and the guest's freestanding flags,
their include paths, -m64 or -m32).

    tools/compiledb.py [--out compile_commands.json] [MAKE TARGETS...]

`make compile_commands.json` runs it. It asks make itself what the build
would run (`make -n -B V=1`: every command in full, nothing run) for the
images and the unit tests, and keeps each compiler command with its source
file, so the database follows the makefiles wherever the files are.
A file compiled more than once (lib/ for the 64-bit hypervisor and for the
32-bit guest; a hypervisor module built into a host unit test too) keeps its
first command: the hypervisor's and the kernels' come before the tests'.

clangd runs a cross compiler it finds in the database only when told it may:
    clangd --query-driver='/usr/bin/*-linux-gnu-gcc'
(or, in .clangd: CompileFlags: Compiler: ..., see clangd's documentation).
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ["images", "check-images"]
COMPILER = re.compile(r"(^|[/-])(gcc|cc|clang)(-\d+)?$")
SOURCE = re.compile(r"\.(c|S)$")


def dry_run(targets, root=ROOT):
    """The commands make would run for targets, one string each."""
    r = subprocess.run(["make", "-n", "-B", "V=1", "--no-print-directory", "-C", root] + targets,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("compiledb: make -n failed:\n%s" % r.stderr.strip())
    return r.stdout.replace("\\\n", " ").splitlines()


def entries(lines, root=ROOT, build="build"):
    """[{directory, file, arguments}] for each source file a compiler
    command compiles, the first command of each file only."""
    out, seen = [], set()
    for line in lines:
        try:
            argv = shlex.split(line)
        except ValueError:
            continue
        if not argv or not COMPILER.search(argv[0]):
            continue
        outputs = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-o"}
        sources = [a for a in argv[1:] if SOURCE.search(a) and a not in outputs and not a.startswith("-")]
        for src in sources:
            path = os.path.normpath(os.path.join(root, src))
            # Sources the build writes (the symbol tables) are no one's to edit.
            if path in seen or os.path.relpath(path, root).split(os.sep)[0] == build:
                continue
            seen.add(path)
            # One file a command: the others of a multi-file command left out.
            args = [a for a in argv if a == src or a not in sources]
            out.append({"directory": root, "file": path, "arguments": args})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "compile_commands.json"))
    ap.add_argument("--build", default="build", help="the build's folder, whose sources are left out (make's BUILD)")
    ap.add_argument("targets", nargs="*", default=TARGETS, help="make targets (default: %s)" % " ".join(TARGETS))
    a = ap.parse_args(argv)
    db = entries(dry_run(a.targets), build=a.build)
    if not db:
        raise SystemExit("compiledb: make -n showed no compiler command for %s" % " ".join(a.targets))
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(db, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.out)
    print("compiledb: %d files in %s" % (len(db), os.path.relpath(a.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
