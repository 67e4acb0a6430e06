#!/usr/bin/env python3
"""mksite.py: the course site, the handouts as HTML pages that link to each other.

    tools/mksite.py --out build/handouts [--bench FILE]

`make handouts` runs it once the figures (handouts/figures/*.dot, drawn by
Graphviz) and the plots (tools/benchplots.py) are in OUT/figures and
OUT/plots. It writes:

  OUT/index.html    the course's front page: every handout, the labs first,
                    each with its opening paragraph
  OUT/NAME.html     one page per handouts/NAME.md (README.md is the folder's
                    own note, not a handout), with the bar of every page on
                    top, its contents beside it, previous and next below
  OUT/style.css     the one style sheet (handouts/site/style.css)

Each page is pandoc's (gfm, as GitHub reads the handouts) through
handouts/site/page.html and the filter handouts/site/site.lua: a link to
another handout (lab2.md) goes to its page, an image alone in a paragraph is
a figure with its caption, console transcripts mark what you type. The
order: the labs by number, then the other handouts by title.
tests/site/check_site.py renders every page in headless Chromium.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDOUTS = os.path.join(ROOT, "handouts")
SITE = os.path.join(HANDOUTS, "site")
LAB = re.compile(r"lab(\d+)\.md$")
INDEX_TITLE = "hvlab: the course handouts"


class Page:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)[:-len(".md")]
        with open(path, encoding="utf-8") as f:
            self.text = f.read()
        heading = re.search(r"^# (.+)$", self.text, re.M)
        if not heading:
            raise SystemExit("mksite: %s has no title (a first line '# ...')" % os.path.relpath(path, ROOT))
        self.title = heading.group(1).strip()
        self.after_title = self.text[heading.end():]
        lab = LAB.search(path)
        self.lab = int(lab.group(1)) if lab else None
        # The bar on top names a lab by its number, another handout by its title.
        self.short = "Lab %d" % self.lab if self.lab is not None else self.title.replace("`", "")

    @property
    def html(self):
        return self.name + ".html"

    def opening(self):
        """The handout's first paragraph after its title, as Markdown."""
        for block in re.split(r"\n\s*\n", self.after_title):
            block = block.strip()
            if block and not block.startswith(("#", "```", "|", "<!--")):
                return " ".join(block.split())
        return ""


def pages(handouts=HANDOUTS):
    """Every handout, in the site's order: the labs by number, then the others by title."""
    found = [Page(os.path.join(handouts, n)) for n in sorted(os.listdir(handouts))
             if n.endswith(".md") and n != "README.md"]
    return sorted(found, key=lambda p: (p.lab is None, p.lab or 0, p.title.lower()))


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def nav(all_pages, current):
    items = []
    for p in all_pages:
        here = ' aria-current="page"' if p is current else ""
        items.append('<li><a href="%s"%s title="%s">%s</a></li>' % (p.html, here, escape(p.title), escape(p.short)))
    return "<ul>" + "".join(items) + "</ul>"


def prevnext(all_pages, i):
    links = []
    if i > 0:
        p = all_pages[i - 1]
        links.append('<a class="prev" href="%s">&larr; %s</a>' % (p.html, escape(p.title)))
    else:
        links.append('<a class="prev" href="index.html">&larr; %s</a>' % escape(INDEX_TITLE))
    if i + 1 < len(all_pages):
        p = all_pages[i + 1]
        links.append('<a class="next" href="%s">%s &rarr;</a>' % (p.html, escape(p.title)))
    return "".join(links)


def pandoc(source_text, out, title, nav_html, prevnext_html, source, bench, toc):
    """One page: Markdown in, the site's HTML out (pandoc's errors stop the build)."""
    argv = ["pandoc", "--from", "gfm", "--to", "html5", "--standalone",
            "--template", os.path.join(SITE, "page.html"), "--lua-filter", os.path.join(SITE, "site.lua"),
            "--highlight-style", "tango", "--metadata", "pagetitle=" + title,
            "--variable", "nav=" + nav_html, "--variable", "prevnext=" + prevnext_html,
            "--variable", "source=" + source, "--variable", "bench=" + bench, "--output", out]
    if toc:
        argv += ["--toc", "--toc-depth", "3"]
    try:
        r = subprocess.run(argv, input=source_text, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise SystemExit("mksite: pandoc is not installed: run tools/deps.sh docs (make handouts does)")
    if r.returncode != 0 or r.stderr.strip():
        raise SystemExit("mksite: pandoc failed on %s:\n%s" % (source, r.stderr.strip()))


def index_markdown(all_pages):
    labs = [p for p in all_pages if p.lab is not None]
    others = [p for p in all_pages if p.lab is None]
    out = ["# " + INDEX_TITLE, "",
           "hvlab builds a small Intel VT-x hypervisor one lab at a time, and runs every lab on any "
           "x86 Linux machine through Bochs. Each lab's handout gives the ideas it builds on, what to "
           "implement in which files and in which order, how to test and debug it, and questions to "
           "answer; the other handouts are about the kit's tools.", ""]
    for heading, group in (("Labs", labs), ("The kit's tools", others)):
        if not group:
            continue
        out += ["## " + heading, "", '<div class="handouts">', ""]
        for p in group:
            out += ["- [%s](%s.md)" % (p.title.replace("[", "\\[").replace("]", "\\]"), p.name), "",
                    "  " + p.opening(), ""]
        out += ["</div>", ""]
    out += ["## What each mode costs", "",
            "![Each guest benchmark's cycles per operation under the hypervisor, relative to native "
            "(log scale), from make bench's figures.](plots/guest-cost.svg)", ""]
    return "\n".join(out)


def build(out, bench):
    all_pages = pages()
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(os.path.join(SITE, "style.css"), os.path.join(out, "style.css"))
    for i, p in enumerate(all_pages):
        pandoc(p.text, os.path.join(out, p.html), "hvlab: " + p.title, nav(all_pages, p), prevnext(all_pages, i),
               os.path.relpath(p.path, ROOT), bench, toc=True)
    first = ('<a class="next" href="%s">%s &rarr;</a>' % (all_pages[0].html, escape(all_pages[0].title))
             if all_pages else "")
    pandoc(index_markdown(all_pages), os.path.join(out, "index.html"), INDEX_TITLE, nav(all_pages, None), first,
           "handouts/*.md", bench, toc=False)
    return all_pages


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the site's folder (make handouts: build/handouts)")
    ap.add_argument("--bench", default="handouts/bench.json", help="where the plots' figures came from (the footer)")
    a = ap.parse_args(argv)
    done = build(a.out, a.bench)
    print("mksite: %d pages and index.html in %s" % (len(done), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
