"""test_site_check.py: the course site's browser test (tests/site/check_site.py)
fails a page for each way a page can be broken, and passes a sound one.

A small site is made here: sound pages, and pages broken on purpose (a
missing image, an image the browser cannot draw, a link to no file, a link
to no anchor, a link out of the site, a script error, a page wider than the
window, no heading), plus one page made by the real tools (tools/mksite.py:
pandoc, the site's template and filter) from a handout with a broken link
and a missing figure. All of them are rendered in one headless Chromium."""
import os
import shutil
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "site"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import check_site  # noqa: E402
import mksite  # noqa: E402

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'


def page(body, title="a page", h1="A page"):
    heading = '<h1 id="top">%s</h1>' % h1 if h1 else ""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head>'
            '<body>%s%s</body></html>' % (title, heading, body))


PAGES = {
    "index.html": page('<img src="figures/ok.svg" alt="a figure"> <a href="other.html#sec">other</a> '
                       '<a href="#top">top</a> <a href="https://example.org/">the web</a>'),
    "other.html": page('<p id="sec">a section</p><a href="index.html">home</a>'),
    "missing-image.html": page('<img src="figures/nowhere.svg" alt="gone">'),
    "broken-svg.html": page('<img src="figures/broken.svg" alt="broken">'),
    "broken-link.html": page('<a href="gone.html">gone</a>'),
    "broken-anchor.html": page('<a href="other.html#nope">nope</a>'),
    "outside.html": page('<a href="../elsewhere.html">out</a>'),
    "script-error.html": page('<script>no_such_function();</script>'),
    "wide.html": page('<div style="width: 4000px">wide</div>'),
    "no-heading.html": page("<p>text</p>", h1=None),
}
# The page, and what its report must say.
EXPECTED = {
    "missing-image.html": "image not shown: nowhere.svg",
    "broken-svg.html": "image not shown: broken.svg",
    "broken-link.html": "broken link: gone.html (no such file)",
    "broken-anchor.html": "broken link: other.html#nope (no such anchor on that page)",
    "outside.html": "link out of the site",
    "script-error.html": "script error",
    "wide.html": "wider than the window",
    "no-heading.html": "no h1 heading",
    "made-by-mksite.html": "broken link: lab9.html (no such file)",
}


class SiteCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hvlab-site-")
        site = os.path.join(cls.tmp, "site")
        os.makedirs(os.path.join(site, "figures"))
        with open(os.path.join(cls.tmp, "elsewhere.html"), "w") as f:
            f.write(page("outside"))
        for name, html in PAGES.items():
            with open(os.path.join(site, name), "w") as f:
                f.write(html)
        with open(os.path.join(site, "figures", "ok.svg"), "w") as f:
            f.write(SVG)
        with open(os.path.join(site, "figures", "broken.svg"), "w") as f:
            f.write("<svg this is not")
        shutil.copyfile(os.path.join(mksite.SITE, "style.css"), os.path.join(site, "style.css"))
        # A handout with a broken link and a missing figure, made into a page
        # by the site's own template and filter.
        mksite.pandoc("# A handout\n\nSee [lab 9](lab9.md).\n\n![A figure](figures/none.svg)\n",
                      os.path.join(site, "made-by-mksite.html"), "hvlab: a handout",
                      '<ul><li><a href="other.html">other</a></li></ul>', "", "handouts/x.md", "bench.json", toc=True)
        cls.problems, cls.web = check_site.check(site)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_page_is_rendered(self):
        self.assertEqual(sorted(self.problems), sorted(list(PAGES) + ["made-by-mksite.html"]))

    def test_sound_pages_pass(self):
        self.assertEqual(self.problems["index.html"], [])
        self.assertEqual(self.problems["other.html"], [])
        self.assertEqual(self.web, 1)      # counted, not followed

    def test_each_broken_page_fails_for_its_reason(self):
        for name, why in EXPECTED.items():
            self.assertTrue(any(why in p for p in self.problems[name]),
                            "%s: %r not in %r" % (name, why, self.problems[name]))

    def test_a_broken_page_fails_for_nothing_else(self):
        # A broken page's report names its own fault (and, for a missing
        # image, the failed load the browser saw), not its neighbours'.
        self.assertEqual(len(self.problems["broken-link.html"]), 1, self.problems["broken-link.html"])
        self.assertEqual(len(self.problems["broken-anchor.html"]), 1, self.problems["broken-anchor.html"])

    def test_the_real_template_reports_the_missing_figure(self):
        self.assertTrue(any("image not shown: none.svg" in p for p in self.problems["made-by-mksite.html"]),
                        self.problems["made-by-mksite.html"])

    def test_the_command_fails_and_says_how_many(self):
        import io
        import contextlib
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = check_site.main([os.path.join(self.tmp, "site")])
        self.assertEqual(status, 1)
        self.assertIn("site: 2 passed, %d failed" % (len(PAGES) - 1), out.getvalue())


if __name__ == "__main__":
    unittest.main()
