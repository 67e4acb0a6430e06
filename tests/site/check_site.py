#!/usr/bin/env python3
"""check_site.py: every page of the course site rendered in a real browser.

    tests/site/check_site.py [--screenshots DIR] [SITE]   (default build/handouts)

`make site-check` (and `make check`'s "site" suite) builds the site with
`make handouts` and runs this. It starts Debian's Chromium headless
(/usr/bin/chromium, or $CHROMIUM) and drives it over the DevTools protocol
on a pipe (--remote-debugging-pipe: JSON messages, each ended by a NUL
byte, on the browser's file descriptors 3 and 4; the standard library is
enough). Each .html file of the site is loaded in a laptop-sized window,
and fails on:

  - an image that does not load (missing, or not an image the browser can
    draw: a broken SVG has no size), or any resource that fails to load;
  - a link to a file that is not there, to an anchor its page does not
    have, or out of the site (a page must work when the folder is copied);
  - a script error, a console error, a page with no title or no h1, or
    wider than the window (something that does not wrap or scroll inside
    its own box).

Links to the web (http, https, mailto) are counted, not followed: the
machines that run the checks have no network. The last line is
"site: N passed, M failed", one test per page.
"""
import argparse
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WINDOW = (1366, 800)          # a laptop
LOAD_TIMEOUT = 20             # seconds for one page to load
# What the page reports once loaded: its images, links, ids and size.
INSPECT = """JSON.stringify({
  title: document.title,
  h1: document.querySelectorAll('h1').length,
  images: Array.from(document.images, i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  width: document.documentElement.scrollWidth,
  window: window.innerWidth,
  text: document.body ? document.body.innerText.length : 0
})"""


class BrowserError(Exception):
    """Chromium could not be started or stopped answering."""


def chromium_path():
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        raise BrowserError("Chromium is not installed (%s): run tools/deps.sh docs (make deps)" % path)
    return path


class Browser:
    """Headless Chromium, driven over the DevTools protocol on a pipe."""

    def __init__(self, width=WINDOW[0], height=WINDOW[1]):
        self.profile = tempfile.mkdtemp(prefix="hvlab-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        argv = [chromium_path(), "--headless", "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--mute-audio", "--window-size=%d,%d" % (width, height), "about:blank"]
        if os.geteuid() == 0:
            argv.insert(1, "--no-sandbox")      # Chromium refuses to run as root with its sandbox

        def fds():
            # The browser reads commands on fd 3 and writes answers on fd 4
            # (copied above 10 first, in case the pipes are 3 or 4 already).
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds, pass_fds=(3, 4))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise BrowserError("Chromium did not answer within %d s" % LOAD_TIMEOUT)
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise BrowserError("Chromium stopped (status %s)" % self.proc.poll())
            self.buffer += chunk
        msg, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None):
        want = self.send(method, params)
        deadline = time.monotonic() + LOAD_TIMEOUT
        while True:
            msg = self.receive(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError("%s: %s" % (method, msg["error"].get("message")))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def events_until(self, method):
        """Every event received, up to and including the first `method` one."""
        deadline = time.monotonic() + LOAD_TIMEOUT
        i = 0
        while True:
            while i < len(self.events):
                i += 1
                if self.events[i - 1]["method"] == method:
                    seen, self.events = self.events[:i], self.events[i:]
                    return seen
            self.events.append(self.receive(deadline))

    def load(self, url):
        """Load a page; return (what INSPECT says, [the problems its events show])."""
        self.events = []
        nav = self.call("Page.navigate", {"url": url})
        if nav.get("errorText"):
            return None, ["does not load: %s" % nav["errorText"]]
        seen = self.events_until("Page.loadEventFired")
        # Anything still queued for this load (a late console message).
        self.call("Runtime.evaluate", {"expression": "0"})
        seen += self.events
        info = json.loads(self.call("Runtime.evaluate", {"expression": INSPECT, "returnByValue": True})
                          ["result"]["value"])
        return info, event_problems(seen)

    def screenshot(self, path):
        import base64
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_browser, self.from_browser):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def event_problems(events):
    """The failures the browser reported while a page loaded."""
    urls, out = {}, []
    for e in events:
        p = e.get("params", {})
        m = e["method"]
        if m == "Network.requestWillBeSent":
            urls[p["requestId"]] = p["request"]["url"]
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append("failed to load %s: %s" % (short(urls.get(p["requestId"], "?")), p.get("errorText")))
        elif m == "Network.responseReceived" and p["response"].get("status", 200) >= 400:
            out.append("failed to load %s: HTTP %d" % (short(p["response"]["url"]), p["response"]["status"]))
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append("script error: %s" % (d.get("exception", {}).get("description") or d.get("text")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
            out.append("console error: %s" % " ".join(str(a.get("value", a.get("description", "")))
                                                      for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            if p["entry"].get("source") != "network":      # those are Network.loadingFailed's already
                out.append("browser error: %s" % p["entry"]["text"])
    return out


def short(url):
    return urllib.parse.unquote(url.rsplit("/", 1)[-1]) if url.startswith("file:") else url


def page_url(path):
    return "file://" + urllib.request.pathname2url(os.path.abspath(path))


def url_path(url):
    """(local path, fragment) of a file: URL."""
    parts = urllib.parse.urlsplit(url)
    return urllib.request.url2pathname(parts.path), urllib.parse.unquote(parts.fragment)


def check(site, screenshots=None):
    """{page: [problems]} for every .html file of the site (sorted), and the
    number of links to the web that were not followed."""
    site = os.path.abspath(site)
    pages = sorted(n for n in os.listdir(site) if n.endswith(".html"))
    if not pages:
        raise BrowserError("no pages in %s: run make handouts" % site)
    problems, ids, links = {}, {}, {}
    browser = Browser()
    try:
        for name in pages:
            info, bad = browser.load(page_url(os.path.join(site, name)))
            problems[name] = bad
            if info is None:
                continue
            if screenshots:
                os.makedirs(screenshots, exist_ok=True)
                browser.screenshot(os.path.join(screenshots, name[:-len(".html")] + ".png"))
            ids[name] = set(info["ids"])
            links[name] = info["links"]
            if not info["title"].strip():
                bad.append("no <title>")
            if info["h1"] < 1:
                bad.append("no h1 heading")
            if info["text"] == 0:
                bad.append("an empty page")
            if info["width"] > info["window"]:
                bad.append("wider than the window: %d pixels in a %d-pixel window (something neither wraps "
                           "nor scrolls in its own box)" % (info["width"], info["window"]))
            for img in info["images"]:
                if not img["ok"]:
                    bad.append("image not shown: %s" % short(img["src"]))
                elif img["src"].startswith("file:") and not inside(url_path(img["src"])[0], site):
                    bad.append("image from outside the site: %s" % url_path(img["src"])[0])
    finally:
        browser.close()
    web = 0
    for name, hrefs in links.items():
        for href in dict.fromkeys(hrefs):
            scheme = urllib.parse.urlsplit(href).scheme
            if scheme in ("http", "https", "mailto"):
                web += 1
                continue
            if scheme != "file":
                problems[name].append("link of an unknown kind: %s" % href)
                continue
            path, fragment = url_path(href)
            target = os.path.relpath(path, site)
            if not inside(path, site):
                problems[name].append("link out of the site: %s" % path)
            elif not os.path.exists(path):
                problems[name].append("broken link: %s (no such file)" % target)
            elif fragment and target in ids and fragment not in ids[target]:
                problems[name].append("broken link: %s#%s (no such anchor on that page)" % (target, fragment))
    return problems, web


def inside(path, site):
    return os.path.abspath(path).startswith(site.rstrip(os.sep) + os.sep)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("site", nargs="?", default=os.path.join(ROOT, "build", "handouts"))
    ap.add_argument("--screenshots", metavar="DIR", help="also save a PNG of each page's first screen here")
    a = ap.parse_args(argv)
    start = time.monotonic()
    try:
        problems, web = check(a.site, a.screenshots)
    except (BrowserError, OSError) as e:
        print("site: %s" % e)
        print("site: 0 passed, 1 failed")
        return 1
    for name, bad in problems.items():
        print("site: %s: %s" % (name, "ok" if not bad else "FAIL"))
        for b in bad:
            print("site:   %s" % b)
    failed = sum(1 for b in problems.values() if b)
    print("site: %d pages rendered in headless Chromium in %.1f s; %d links to the web not followed"
          % (len(problems), time.monotonic() - start, web))
    print("site: %d passed, %d failed" % (len(problems) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
