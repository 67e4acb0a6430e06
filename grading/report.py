"""report.py: the grader's outputs from its results (pure formatting).

  summary()       the table a person reads, ending in "Score: X/Y"
  details()       one test's full story: what was expected, what happened,
                  the lines that explain it, the end of its console
  results_json()  Gradescope's results.json
  junit_xml()     JUnit XML, for CI systems and instructors' dashboards

Everything a run printed goes through judge.printable() first: a
submission's output must not reach a terminal or an XML file raw.
"""
import json
import os
import tempfile
import xml.etree.ElementTree as ET

import judge

GREEN, RED, YELLOW, BOLD, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[1m", "\033[0m"
HIDDEN_NOTE = "(more tests are graded and shown once grades are published; not counted here)"


def fmt_points(x):
    return "%g" % x


def rel(path):
    r = os.path.relpath(path)
    return path if r.startswith("..") else r


def summary(results, color=False, show_hidden=False, width=120, logs=True):
    """The table: test, points, ok/FAIL, why; a failed test's logs under it
    (unless not logs: the reader has no access to the grader's files);
    then the score. Hidden tests show as hidden (and count in no visible
    score) unless show_hidden."""
    def paint(text, code):
        return code + text + RESET if color else text

    # A hidden test is left out altogether, not shown as a "hidden" row: its
    # name and its points would tell a student what it checks and what it is
    # worth (what a failed hidden test cost them, beside the visible total).
    visible = [r for r in results if show_hidden or not r.test.hidden]
    name_w = max([len(r.test.full_name) for r in visible] + [4])
    rows = []
    for r in visible:
        t = r.test
        pts = "%s/%s" % (fmt_points(r.score), fmt_points(t.points))
        verdict, why, tint = ("ok", "", GREEN) if r.passed else ("FAIL", r.reason, RED)
        rows.append((t.full_name, pts, verdict, why, tint, r))
    pts_w = max([len(row[1]) for row in rows] + [len("points")])
    room = max(20, width - name_w - pts_w - 6 - 6)
    out = ["%-*s  %*s  %-6s  %s" % (name_w, "test", pts_w, "points", "result", "why")]
    for name, pts, verdict, why, tint, r in rows:
        why = judge.printable(why)
        if len(why) > room:
            why = why[:room - 3] + "..."
        line = "%-*s  %*s  %s  %s" % (name_w, name, pts_w, pts, paint("%-6s" % verdict, tint), why)
        out.append(line.rstrip())
        if logs and not r.passed and r.log and (show_hidden or not r.test.hidden):
            logs = rel(r.log) + (" (and .runner)" if r.runner_log else "")
            out.append("%-*s  %*s  %-6s  log: %s" % (name_w, "", pts_w, "", "", logs))
    score = "Score: %s/%s" % (fmt_points(sum(r.score for r in visible)),
                              fmt_points(sum(r.test.points for r in visible)))
    if len(visible) < len(results):
        out.append(paint(HIDDEN_NOTE, YELLOW))    # neither how many nor their points
    out.append(paint(score, BOLD))
    return "\n".join(out)


def indent(lines, prefix="  "):
    return "\n".join(prefix + l for l in lines)


def details(r, console_lines=40, logs=True):
    """One test's full report (Gradescope's per-test output, JUnit's failure
    text): expected against actual, the explaining lines, the console's end,
    and how to run it again. Without logs, no path of the grader's files
    (where they were kept is not the student's to open)."""
    t = r.test
    out = ["%s: %s" % (t.full_name, t.description) if t.description else t.full_name,
           "Result: %s (%s/%s points, %.1f s)" % ("ok" if r.passed else "FAIL", fmt_points(r.score),
                                                 fmt_points(t.points), r.seconds)]
    if r.passed:
        return "\n".join(out) + "\n"
    out.append("Why: " + r.reason)
    if r.errors:
        out += ["What the test expected and did not get:", indent(judge.printable(e) for e in r.errors)]
    keys = judge.key_lines(r.console)
    if keys:
        out += ["The lines that explain it:", indent(judge.printable(k) for k in keys)]
    runner = [l for l in r.runner.splitlines() if l.startswith("hvrun:")]
    if runner:
        out += ["The runner (tools/hvrun) said:", indent(judge.printable(l) for l in runner[:30])]
    if r.console:
        lines = r.console.rstrip("\n").splitlines()
        where = (" (kept: %s)" % rel(r.log)) if r.log and logs else ""
        out.append("The console, last %d of %d lines%s:" % (min(console_lines, len(lines)), len(lines), where))
        out.append(indent(judge.printable(l) for l in lines[-console_lines:]))
    out.append("Grade it again in your tree: make grade TEST=%s" % t.full_name)
    if r.command:
        out.append("Or boot it yourself there: " + r.command)
    return "\n".join(out) + "\n"


def results_json(results, elapsed, notes=()):
    """Gradescope's results.json: every test with its points, passed/failed,
    its story, and its visibility (hidden tests: after_published).

    No top-level "score": Gradescope shows it at once, and with the hidden
    points in it a student could tell which hidden test failed; without it
    Gradescope adds up the tests' scores. No top-level "max_score" either:
    Gradescope's format has none (the assignment's points are set in
    Gradescope). `notes` (limits hit, files refused, processes killed) are
    shown to the student in "output" and kept in extra_data for grade-class;
    they never name a hidden test, and there is no execution_time when a
    hidden test was graded (a long one would tell that a hidden test hung
    before publication). Nothing in it names a file of the
    grader's (on Gradescope the student cannot open them): each failed test
    says what to run in the student's own tree instead."""
    notes = list(notes)
    output = summary(results, logs=False) + "\n"
    if notes:
        output += "\nNotes from the grader:\n" + indent(judge.printable(n) for n in notes) + "\n"
    doc = {
        "visibility": "visible",
        "output": output,
        "extra_data": {"notes": notes},
        "tests": [{
            "name": r.test.full_name,
            "score": r.score,
            "max_score": r.test.points,
            "status": "passed" if r.passed else "failed",
            "output": details(r, logs=False),
            "visibility": "after_published" if r.test.hidden else "visible",
        } for r in results],
    }
    if not any(r.test.hidden for r in results):
        # With hidden tests graded, the time would tell one that hung.
        doc["execution_time"] = int(round(elapsed))
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def junit_xml(results, elapsed):
    """JUnit XML: one <testsuite> per lab, one <testcase> per test; a failed
    test's <failure> carries the reason and the full story."""
    root = ET.Element("testsuites", name="hvlab", tests=str(len(results)),
                      failures=str(sum(not r.passed for r in results)), time="%.3f" % elapsed)
    suites = {}
    for r in results:
        lab = "lab%d" % r.test.lab
        if lab not in suites:
            suites[lab] = ET.SubElement(root, "testsuite", name=lab, tests="0", failures="0", time="0")
        s = suites[lab]
        s.set("tests", str(int(s.get("tests")) + 1))
        s.set("time", "%.3f" % (float(s.get("time")) + r.seconds))
        case = ET.SubElement(s, "testcase", classname="hvlab." + lab, name=r.test.full_name,
                             time="%.3f" % r.seconds)
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="points", value=fmt_points(r.test.points))
        ET.SubElement(props, "property", name="score", value=fmt_points(r.score))
        ET.SubElement(props, "property", name="hidden", value=str(r.test.hidden).lower())
        if not r.passed:
            s.set("failures", str(int(s.get("failures")) + 1))
            fail = ET.SubElement(case, "failure", message=judge.printable(r.reason))
            fail.text = judge.printable(details(r))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_atomic(path, text):
    """Write a whole file or nothing: a reader never sees half of it."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        os.chmod(tmp, 0o644)   # mkstemp makes it private; these are reports
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
