#!/usr/bin/env python3
"""hvdeps.py: the hypervisor's dependency graph, measured (issue 15).

    tools/hvdeps.py                 the report (make hv-deps)
    tools/hvdeps.py --json          the same figures for programs
    tools/hvdeps.py --dot FILE      the folder graph for Graphviz (dot -Tsvg FILE)
    tools/hvdeps.py --check         compare with the limits in hv/layers.toml

The graph. A module is a .c or .S file of hv/ with its same-stem .h (x.c +
x.h = module x); a header alone is a module of its own. Its name is its
path under hv/ without the extension ("exit/exit_cpuid", "main").
Module A has an arrow to module B when
  - A's object file references a symbol that B's object file defines (nm on
    the objects the build left in build/hv/: what the linker joins), or
  - one of A's files #includes B's header (what the linker never sees:
    macros, inline functions, types, struct layouts).
Arrows from a module to itself are dropped; files outside hv/ (lib/) are
not modules, and arrows to them are not counted.

The measures.
  circles   the strongly connected components of more than one module:
            modules each of which depends on every other, through the rest.
  levels    the longest-path layering of the graph of circles (each circle
            one node): level 0 depends on nothing, level n on something of
            level n-1 and nothing higher. The members of a circle share a
            level, so every arrow between different levels runs down.
  folders   a module's folder is the first component of its path ("." for
            the files at the top of hv/: hv/vmx/vmcs.c is in vmx) or, for a
            top-level file hv/layers.toml's [plan] names, the folder planned
            for it until it moves there. The folder graph
            has an arrow F -> G when some module of F has one to G.
            A circle whose modules lie in different folders is a "cross-folder
            circle" (issue 15, point 3: there must be none); a circle of
            the folder graph is stricter: F and G may use each other
            through modules that form no circle.
  up        hv/layers.toml declares the folders' order, bottom to top. An
            arrow runs up when its target's folder is above its source's:
            counted per module arrow ("up arrows") and per folder pair
            ("up folder arrows"). Issue 15 asks for at most 3 arrows that
            run up. Levels say nothing of up: they follow the arrows.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_EXTS = (".c", ".S", ".h")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
# Global definitions in nm's letters; 'U' and weak 'w' are references.
DEFINED = set("ABCDGRSTVWiu")
UNDEFINED = set("Uw")
# The limits hv/layers.toml may hold, each a measure that must not grow.
LIMITS = {
    "max_cross_folder_circles": "circles of modules in different folders",
    "max_cross_folder_circle_size": "modules in the largest of them",
    "max_folder_circles": "circles between folders",
    "max_folder_circle_size": "folders in the largest folder circle",
    "max_up_folder_arrows": "folder arrows that run up",
    "max_up_arrows": "module arrows that run up between folders",
    "max_circles": "circles between modules",
    "max_circle_size": "modules in the largest circle",
}


class Error(Exception):
    pass


# ---- reading the tree -------------------------------------------------------

def find_sources(hv, node):
    """{node name: [its files, relative to hv]}; node(rel) names a file's node
    (module_of, or file_of for the file-by-file graph)."""
    mods = {}
    for dirpath, dirs, files in os.walk(hv):
        dirs.sort()
        for f in sorted(files):
            stem, ext = os.path.splitext(f)
            if ext in SOURCE_EXTS:
                rel = os.path.relpath(os.path.join(dirpath, f), hv)
                mods.setdefault(node(rel), []).append(rel)
    return mods


def file_of(rel):
    return rel.replace(os.sep, "/")


def module_of(rel):
    return os.path.splitext(file_of(rel))[0]


def include_arrows(hv, mods, node):
    """{(a, b): {"#include h"}} from the #include lines of each module's files.
    A name is looked up as the compiler would with -Ihv: beside the file,
    then at the top of hv/; anything else (lib/, the compiler's) is outside."""
    arrows = {}
    for mod, files in mods.items():
        for rel in files:
            with open(os.path.join(hv, rel), errors="replace") as f:
                text = f.read()
            for name in INCLUDE_RE.findall(text):
                for cand in (os.path.join(os.path.dirname(rel), name), name):
                    cand = os.path.normpath(cand)
                    if os.path.isfile(os.path.join(hv, cand)) and not cand.startswith(".."):
                        add(arrows, mod, node(cand), "#include " + name)
                        break
    return arrows


def object_files(hv, objdir, mods):
    """{module: [object paths]}: build/hv/<path>.c.o for hv/<path>.c. Objects
    of files outside hv/ (build/hv/lib/, the symbol table) have no source
    here and are left out. A missing or stale object stops the measure: it
    would measure another tree than the one in hv/."""
    objs = {}
    missing = []
    for mod, files in mods.items():
        for rel in files:
            if rel.endswith(".h"):
                continue
            obj = os.path.join(objdir, rel + ".o")
            if not os.path.isfile(obj) or os.path.getmtime(obj) < os.path.getmtime(os.path.join(hv, rel)):
                missing.append(obj)
            else:
                objs.setdefault(mod, []).append(obj)
    if missing:
        raise Error("missing or older than its source: %s%s (build first: make all)"
                    % (", ".join(missing[:3]), " and %d more" % (len(missing) - 3) if len(missing) > 3 else ""))
    return objs


def symbol_arrows(objs, nm):
    """{(a, b): {symbol}}: a references a symbol that b defines."""
    owner = {}
    obj_mod = {o: m for m, os_ in objs.items() for o in os_}
    if not obj_mod:
        return {}
    out = subprocess.run([nm, "-P", "-A"] + sorted(obj_mod), capture_output=True, text=True)
    if out.returncode != 0:
        raise Error("%s failed: %s" % (nm, out.stderr.strip()))
    refs = []
    for line in out.stdout.splitlines():
        path, _, rest = line.partition(": ")
        fields = rest.split()
        if len(fields) < 2 or path not in obj_mod:
            continue
        sym, kind = fields[0], fields[1]
        if kind in DEFINED:
            owner[sym] = obj_mod[path]
        elif kind in UNDEFINED:
            refs.append((obj_mod[path], sym))
    arrows = {}
    for mod, sym in refs:
        if sym in owner:
            add(arrows, mod, owner[sym], sym)
    return arrows


def add(arrows, a, b, why):
    if a != b:
        arrows.setdefault((a, b), set()).add(why)


def default_nm():
    return os.environ.get("NM64") or shutil.which("x86_64-linux-gnu-nm") or "nm"


# ---- graphs -----------------------------------------------------------------

def components(nodes, arrows):
    """Strongly connected components (Tarjan's, without recursion): a list
    of sorted lists, each component after every component it depends on."""
    succ = {n: sorted(b for (a, b) in arrows if a == n) for n in nodes}
    index, low, stack, on_stack, comps = {}, {}, [], set(), []
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            n, i = work.pop()
            if i == 0:
                index[n] = low[n] = len(index)
                stack.append(n)
                on_stack.add(n)
            if i < len(succ[n]):
                work.append((n, i + 1))
                m = succ[n][i]
                if m not in index:
                    work.append((m, 0))
                elif m in on_stack:
                    low[n] = min(low[n], index[m])
                continue
            if low[n] == index[n]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == n:
                        break
                comps.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[n])
    return comps


def levels(nodes, arrows):
    """{node: level}: the longest-path layering of the components."""
    comps = components(nodes, arrows)
    comp_of = {n: i for i, c in enumerate(comps) for n in c}
    level = {}
    for i, comp in enumerate(comps):   # each after those it depends on
        below = [level[comp_of[b]] for (a, b) in arrows if comp_of.get(a) == i and comp_of[b] != i]
        level[i] = 1 + max(below) if below else 0
    return {n: level[comp_of[n]] for n in nodes}


def circles(nodes, arrows):
    return sorted((c for c in components(nodes, arrows) if len(c) > 1), key=lambda c: (-len(c), c))


# ---- the measures -----------------------------------------------------------

def load_layers(path):
    """hv/layers.toml: order (folders, bottom to top), plan (folder -> the
    top-level modules planned for it), limits."""
    if not os.path.isfile(path):
        return {"order": [], "plan": {}, "limits": {}}
    with open(path, "rb") as f:
        layers = tomllib.load(f)
    layers.setdefault("order", [])
    layers.setdefault("plan", {})
    layers.setdefault("limits", {})
    unknown = sorted(set(layers["limits"]) - set(LIMITS))
    if unknown:
        raise Error("%s: unknown limits %s (known: %s)" % (path, ", ".join(unknown), ", ".join(LIMITS)))
    return layers


def folder_of(layers, mods):
    plan = {m: folder for folder, ms in layers["plan"].items() for m in ms}
    stale = sorted(set(plan) - {module_of(m) for m in mods})
    if stale:
        raise Error("hv/layers.toml plans modules that do not exist (moved or gone? take them out of [plan]): "
                    + ", ".join(stale))
    return {m: plan.get(module_of(m), m.split("/")[0] if "/" in m else ".") for m in mods}


def measure(hv, objdir, layers, nm=None, by_file=False):
    """The graph and its figures; by_file: a node per file (x.c and x.h
    apart), the way issue 15's first figures were taken."""
    node = file_of if by_file else module_of
    mods = find_sources(hv, node)
    by_include = include_arrows(hv, mods, node)
    by_symbol = symbol_arrows(object_files(hv, objdir, mods), nm or default_nm())
    arrows = {}
    for src in (by_symbol, by_include):
        for key, why in src.items():
            arrows.setdefault(key, set()).update(why)
    nodes = set(mods)
    level = levels(nodes, arrows)

    folder = folder_of(layers, mods)
    order = layers["order"] or sorted(set(folder.values()))
    undeclared = sorted(set(folder.values()) - set(order))
    if undeclared:
        raise Error("hv/layers.toml's order does not name the folders " + ", ".join(undeclared))
    rank = {f: i for i, f in enumerate(order)}
    folders = sorted(set(folder.values()), key=rank.get)
    farrows = {}
    for (a, b) in arrows:
        if folder[a] != folder[b]:
            farrows.setdefault((folder[a], folder[b]), []).append((a, b))
    up = sorted(k for k in arrows if rank[folder[k[1]]] > rank[folder[k[0]]])
    fup = sorted(k for k in farrows if rank[k[1]] > rank[k[0]])
    mcircles = circles(nodes, arrows)
    # Point 3 of the issue: a circle of modules that lie in different folders.
    cross = [c for c in mcircles if len({folder[m] for m in c}) > 1]
    fcircles = circles(set(folders), farrows)
    flevel = levels(set(folders), farrows)
    return {
        "modules": {m: {"files": mods[m], "level": level[m], "folder": folder[m]} for m in sorted(mods)},
        "arrows": [{"from": a, "to": b, "why": sorted(arrows[(a, b)])} for (a, b) in sorted(arrows)],
        "levels": 1 + max(level.values(), default=-1),
        "circles": mcircles,
        "cross_folder_circles": cross,
        "up_arrows": [list(k) for k in up],
        "folders": {f: {"level": flevel[f], "modules": sum(1 for m in folder if folder[m] == f)} for f in folders},
        "folder_order": [f for f in order if f in folders],
        "folder_arrows": [{"from": a, "to": b, "arrows": len(farrows[(a, b)])} for (a, b) in sorted(farrows)],
        "folder_levels": 1 + max(flevel.values(), default=-1),
        "folder_circles": fcircles,
        "up_folder_arrows": [list(k) for k in fup],
        "figures": {
            "modules": len(mods), "arrows": len(arrows),
            "symbol_arrows": len(by_symbol), "include_arrows": len(by_include),
            "levels": 1 + max(level.values(), default=-1),
            "circles": len(mcircles), "circle_size": max(map(len, mcircles), default=0),
            "cross_folder_circles": len(cross),
            "cross_folder_circle_size": max(map(len, cross), default=0),
            "folders": len(folders), "folder_arrows": len(farrows),
            "folder_levels": 1 + max(flevel.values(), default=-1),
            "folder_circles": len(fcircles), "folder_circle_size": max(map(len, fcircles), default=0),
            "up_folder_arrows": len(fup), "up_arrows": len(up),
        },
    }


def ratchet(m, limits):
    """(worse, better): one line per limit the tree breaks, and one per limit
    it beats. Both fail the check: a limit left above the figure would let
    the next change spend the slack unseen, and the refactor ratchets down
    only if each gain is written down."""
    worse, better = [], []
    for key, limit in sorted(limits.items()):
        figure = m["figures"][key[len("max_"):]]
        if figure > limit:
            worse.append("%s: %d, more than the limit %s = %d in hv/layers.toml: the change made the "
                         "hypervisor's layering worse" % (LIMITS[key], figure, key, limit))
        elif figure < limit:
            better.append("%s: %d, better than the limit %s = %d: lower it to %d in hv/layers.toml"
                          % (LIMITS[key], figure, key, limit, figure))
    return worse, better


# ---- output -----------------------------------------------------------------

def report(m, limits):
    f = m["figures"]
    lines = ["hv-deps: %d modules, %d arrows (%d from symbols, %d from #include; an arrow may be both), "
             "%d levels" % (f["modules"], f["arrows"], f["symbol_arrows"], f["include_arrows"], f["levels"])]
    lines.append("circles between modules: %d, %d of them across folders" % (f["circles"], f["cross_folder_circles"]))
    for c in m["circles"]:
        lines.append("  %d modules%s: %s" % (len(c), ", across folders" if c in m["cross_folder_circles"] else "",
                                            " ".join(c)))
    lines.append("levels, top first (level 0 depends on nothing):")
    by_level = {}
    for name, mod in m["modules"].items():
        by_level.setdefault(mod["level"], []).append(name)
    for lv in sorted(by_level, reverse=True):
        lines.append("  %2d  %s" % (lv, " ".join(sorted(by_level[lv]))))
    lines.append("folders, top first (the declared order of hv/layers.toml; level in the folder graph):")
    for name in reversed(m["folder_order"]):
        fo = m["folders"][name]
        mods = sorted(x for x, mod in m["modules"].items() if mod["folder"] == name)
        lines.append("  %-8s level %d, %d modules: %s" % (name, fo["level"], fo["modules"], " ".join(mods)))
    lines.append("folder graph: %d folders, %d arrows, %d levels, %d up" % (
        f["folders"], f["folder_arrows"], f["folder_levels"], f["up_folder_arrows"]))
    lines.append("circles between folders: %d" % f["folder_circles"])
    for c in m["folder_circles"]:
        lines.append("  %s" % " ".join(c))
    why = {(a["from"], a["to"]): a["why"] for a in m["arrows"]}
    lines.append("arrows that run up (target's folder above source's): %d, in %d folder arrows"
                 % (f["up_arrows"], f["up_folder_arrows"]))
    for a, b in m["up_arrows"]:
        reasons = why[(a, b)]
        lines.append("  %-24s -> %-24s %s%s" % (a, b, ", ".join(reasons[:3]),
                                              " ..." if len(reasons) > 3 else ""))
    worse, better = ratchet(m, limits)
    lines.append("limits (hv/layers.toml): " + ("none" if not limits else
                                                 "kept" if not worse + better else "see below"))
    lines.extend("  WORSE: " + w for w in worse)
    lines.extend("  better: " + b for b in better)
    return "\n".join(lines) + "\n"


def dot(m):
    """The folder graph, top folder at the top, each arrow from the user down
    to the used, labelled with the number of module arrows it stands for;
    those that run up in red, left out of the layout so that the declared
    order places the folders."""
    up = {tuple(k) for k in m["up_folder_arrows"]}
    circle = {f for c in m["folder_circles"] for f in c}
    out = ["digraph hv {", "  node [shape=box, fontname=Helvetica]; edge [fontname=Helvetica];"]
    for name in m["folder_order"]:
        n = m["folders"][name]["modules"]
        out.append('  "%s" [label="%s\\n%d module%s"%s];' % (
            name, "hv/" if name == "." else name + "/", n, "" if n == 1 else "s",
            ", style=filled, fillcolor=mistyrose" if name in circle else ""))
    order = m["folder_order"]
    for lo, hi in zip(order, order[1:]):
        out.append('  "%s" -> "%s" [style=invis];' % (hi, lo))
    for a in m["folder_arrows"]:
        attrs = 'label="%d"' % a["arrows"]
        if (a["from"], a["to"]) in up:
            attrs += ", color=red, fontcolor=red, constraint=false"
        out.append('  "%s" -> "%s" [%s];' % (a["from"], a["to"], attrs))
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hv", default=os.path.join(ROOT, "hv"), help="the hypervisor's sources (default hv/)")
    ap.add_argument("--objs", default=os.path.join(ROOT, "build", "hv"), help="its objects (default build/hv/)")
    ap.add_argument("--layers", help="the declared order and limits (default HV/layers.toml)")
    ap.add_argument("--nm", help="nm to read the objects with (default $NM64 or x86_64-linux-gnu-nm)")
    ap.add_argument("--files", action="store_true", help="a node per file, x.c and x.h apart (for comparison)")
    ap.add_argument("--json", action="store_true", help="the figures as JSON")
    ap.add_argument("--dot", metavar="FILE", help="write the folder graph for Graphviz to FILE")
    ap.add_argument("--check", action="store_true", help="only compare with the limits; exit 1 if any differs")
    args = ap.parse_args(argv)
    try:
        layers = load_layers(args.layers or os.path.join(args.hv, "layers.toml"))
        m = measure(args.hv, args.objs, layers, args.nm, args.files)
    except Error as e:
        print("hvdeps: %s" % e, file=sys.stderr)
        return 2
    limits = layers["limits"]
    sys.path.insert(0, os.path.join(ROOT, "grading"))
    import studenttree
    lab = studenttree.student_lab(os.path.dirname(os.path.abspath(args.hv)))
    if lab is not None and limits:
        # Stubs drop the later labs' arrows: the reference's limits do not
        # apply to a student tree's figures (tests/tools/test_hvdeps.py).
        print("hvdeps: the limits in hv/layers.toml are the reference's: not compared in this lab %d "
              "student tree" % lab, file=sys.stderr)
        limits = {}
    if args.dot:
        with open(args.dot, "w") as f:
            f.write(dot(m))
    if args.check:
        worse, better = ratchet(m, limits)
        for line in worse + better:
            print("hvdeps: " + line)
        print("hvdeps: %s" % ("limits kept" if not worse + better else "limits differ"))
        return 1 if worse + better else 0
    if args.json:
        json.dump(m, sys.stdout, indent=1)
        print()
    else:
        sys.stdout.write(report(m, limits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
