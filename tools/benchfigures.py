#!/usr/bin/env python3
"""benchfigures.py: the figures the README and the handouts quote from
`make bench`, kept true.

    tools/benchfigures.py                    check every quoted figure
    tools/benchfigures.py --update RESULTS   take the figures of a make bench
                                             run (its RESULTS file) and rewrite
                                             every quote from them

The figures live in handouts/bench.json, a copy of the RESULTS file of the
last `make bench` of the reference tree (`make bench-figures` makes it).
Under Bochs the guest's TSC counts emulated instructions, so its figures are
exact: a quote that differs from the file was typed by hand or is stale.
A document quotes figures in two ways, both invisible once rendered:

  - a generated block: everything between
        <!-- bench: KIND ARGS -->  and  <!-- /bench -->
    is made from the figures (KIND: guest-report MODE..., the report make
    bench prints, for those modes; timer-report, the report of lab 4's
    timer benchmark; guest-table and boot-table, the README's tables);
  - one number in the prose, followed by the path of its figure:
        costs 30x<!--bench:guest_deprivileged.ratio_to_native.null:.0f-->
    (a path into the JSON, dot-separated, a list's entries by index, and
    a Python format spec: by default an integer as it is and a fraction
    with two decimals). The
    path cpuid_round_trip.KEY is the CPUID round trip's parts (cycles,
    hypervisor, guest_loop, transitions_and_registers).
"""
import argparse
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
import guest  # noqa: E402
import timer  # noqa: E402

FIGURES = os.path.join(ROOT, "handouts", "bench.json")
BLOCK = re.compile(r"(<!-- bench: ([\w-]+)((?: [\w-]+)*) -->\n)(.*?)(<!-- /bench -->)", re.S)
INLINE = re.compile(r"(?<![\w.,])([0-9][0-9,]*(?:\.[0-9]+)?)(x?)<!--bench:([\w.-]+)(?::([^>]*?))?-->")

# The README's names for the benchmarks, in its order.
BENCH_NAMES = [("null", "null system call"), ("forkwait", "fork + exit + wait"), ("pagefault", "page fault"),
               ("ctxswitch", "context switch"), ("ipc", "pipe ping-pong"), ("compute", "compute loop (per iteration)"),
               ("cpuid", "CPUID")]
BOOT_ROUTES = [("bochs-fast", "Bochs, the kit's fast loader"), ("bochs-grub", "Bochs, GRUB ISO")]
# The README's names for the modes under the hypervisor (guest.MODE_ARGS).
MODE_TITLES = {"ept": "EPT", "shadow": "shadow", "deprivileged": "ring 1", "patched": "ring 1, patched",
               "bt": "ring 1, translated", "pv": "PV", "pv_unbatched": "PV, unbatched"}


def documents():
    return [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "handouts", "*.md")))


def lookup(figures, path):
    """The figure at a dot-separated path, or a KeyError naming the path."""
    node = dict(figures, cpuid_round_trip=guest.round_trip(figures) or {})
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]      # a list's entry by its index (the pipe's runs, in tests/bench/pipe.py's order)
            continue
        if not isinstance(node, dict) or part not in node:
            raise KeyError("no figure %s in %s" % (path, os.path.relpath(FIGURES, ROOT)))
        node = node[part]
    return node


def quote(value, spec):
    if spec:
        return format(value, spec)
    return str(value) if isinstance(value, int) else "%.2f" % value


def thousands(n):
    return "{:,}".format(n)


def about(n):
    """A host-clock figure (QEMU TCG varies from run to run): two digits."""
    digits = len(str(int(n)))
    return "~" + thousands(int(round(n, 2 - digits))) if digits > 2 else "~%d" % n


def ratio_cell(r):
    """Three significant digits, as the table has always shown them."""
    return "%.2f" % r if r < 10 else "%.1f" % r if r < 100 else "%.0f" % r


def guest_table(figures):
    native = figures["guest_native"]
    bochs, qemu = native.get("bochs-fast") or next(iter(native.values())), native.get("qemu-kernel", {})
    modes = [m for m in guest.MODE_ARGS if "guest_" + m in figures]
    heads = MODE_TITLES
    cols = ["benchmark", "native, Bochs (exact)", "native, QEMU TCG"] + [heads[m] for m in modes] + \
        ["%s / native" % ("patched" if m == "patched" else heads[m]) for m in modes]
    rows = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    ratio = {m: guest.ratios(figures, m) for m in modes}
    for name, title in BENCH_NAMES:
        if name not in bochs:
            continue
        cells = [title, thousands(bochs[name]["cycles_per_op"]),
                 about(qemu[name]["cycles_per_op"]) if name in qemu else "-"]
        cells += [thousands(figures["guest_" + m]["results"][name]["cycles_per_op"]) for m in modes]
        cells += [ratio_cell(ratio[m][name]) if name in ratio[m] else "-" for m in modes]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def boot_table(figures):
    rows = ["| route | wall time | emulated instructions (TSC) |", "| --- | --- | --- |"]
    for key, title in BOOT_ROUTES:
        b = figures["boot"][key]
        rows.append("| %s | %.2f s | %s |" % (title, b["wall_seconds_median"],
                                              thousands(b["instructions_to_first_line"])))
    return "\n".join(rows) + "\n"


def block(figures, kind, args):
    if kind == "guest-report":
        return "```\n" + "\n".join(guest.report(figures, args or None)) + "\n```\n"
    if kind == "timer-report":
        if "timer" not in figures:
            raise KeyError("no figure timer in %s" % os.path.relpath(FIGURES, ROOT))
        return "```\n" + "\n".join(timer.report(figures["timer"])) + "\n```\n"
    if kind == "guest-table":
        return guest_table(figures)
    if kind == "boot-table":
        return boot_table(figures)
    raise KeyError("no kind of bench block called %s" % kind)


def render(text, figures):
    """(text with every quote made from the figures, [problems])."""
    problems = []

    def one_block(m):
        try:
            body = block(figures, m.group(2), m.group(3).split())
        except KeyError as e:
            problems.append(str(e).strip("'\""))
            return m.group(0)
        return m.group(1) + body + m.group(5)

    def one_number(m):
        try:
            return quote(lookup(figures, m.group(3)), m.group(4)) + m.group(0)[len(m.group(1)):]
        except (KeyError, ValueError) as e:
            problems.append(str(e).strip("'\""))
            return m.group(0)

    return INLINE.sub(one_number, BLOCK.sub(one_block, text)), problems


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def differences(path, text, new):
    """Where text and new differ, as "path:line: was -> now" (first lines)."""
    old_lines, new_lines = text.splitlines(), new.splitlines()
    out = []
    for i, (a, b) in enumerate(zip(old_lines, new_lines)):
        if a != b:
            out.append("%s:%d: %r should read %r" % (os.path.relpath(path, ROOT), i + 1, a.strip()[:90],
                                                     b.strip()[:90]))
    if len(old_lines) != len(new_lines):
        out.append("%s: the generated blocks have a different number of lines" % os.path.relpath(path, ROOT))
    return out


def check(figures, paths=None):
    """[problems]: every quote of every document that is not what the
    figures say, and every reference to a figure that is not there."""
    problems = []
    for path in paths or documents():
        with open(path) as f:
            text = f.read()
        new, bad = render(text, figures)
        problems += ["%s: %s" % (os.path.relpath(path, ROOT), b) for b in bad]
        if new != text:
            problems += differences(path, text, new)
    return problems


def update(figures, paths=None):
    for path in paths or documents():
        with open(path) as f:
            text = f.read()
        new, bad = render(text, figures)
        for b in bad:
            print("benchfigures: %s: %s" % (os.path.relpath(path, ROOT), b), file=sys.stderr)
        if new != text:
            with open(path, "w") as f:
                f.write(new)
            print("benchfigures: rewrote the figures of %s" % os.path.relpath(path, ROOT))


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--update", metavar="RESULTS", help="copy this make bench RESULTS file to handouts/bench.json "
                    "and rewrite every quote from it")
    a = ap.parse_args(argv)
    if a.update:
        figures = load(a.update)
        missing = [k for k in ["boot", "guest_native"] + ["guest_" + m for m in guest.MODE_ARGS] + ["timer"]
                   if k not in figures]
        if missing:
            raise SystemExit("benchfigures: %s lacks %s: run the whole make bench in the reference tree first"
                             % (a.update, ", ".join(missing)))
        with open(FIGURES, "w") as f:
            json.dump(figures, f, indent=1)
            f.write("\n")
        update(figures)
        return 0
    problems = check(load(FIGURES))
    for p in problems:
        print("benchfigures: " + p)
    print("benchfigures: %s" % ("%d quotes differ from %s: make bench-figures" % (len(problems), "handouts/bench.json")
                                if problems else "every quoted figure is what handouts/bench.json says"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
