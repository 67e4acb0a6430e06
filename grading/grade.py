#!/usr/bin/env python3
"""grade.py: the autograder. `make grade` runs it.

    grading/grade.py [--lab N]... [--test NAME]... [-j JOBS] [--timeout S]
                     [--build-timeout S] [--budget S]
                     [--no-build] [--results FILE] [--junit FILE] [--logs DIR]

It builds the tree (unless --no-build), runs every declared lab test
(labs/labN/tests.toml, read by grading/labspec.py) through tools/hvrun, JOBS
at a time, judges each run exactly as `make check` does (grading/judge.py),
prints a summary table ending in "Score: X/Y", and writes Gradescope's
results.json and JUnit XML. The console of every test is kept under --logs
(capped: a flood keeps its first and last 200 lines), the runner's messages
beside it (<test>.runner).

Every build and test run is isolated (grading/sandbox.py: bubblewrap, write
access to build/ or the logs only, hidden tests masked, a PID namespace;
whatever it leaves behind is killed and noted). The build has a time limit
(--build-timeout) and the whole grading an optional budget (--budget).

It cannot hang and does not crash on what a submission does: every test has
the runner's own timeout and, as a second guard, an outer one after which the
grader stops the runner and everything under it; a broken build, a test that
cannot start, or an error in the grader itself still give every test a
result and the outputs are still written.

--root is the tree built and run; --source (default: the tree this grader
is in) is where the tests, the runner and the judge come from. They are
read before the build and never again from --root, so a build that rewrites
its own tree cannot change what it is graded by (the autograder grades a
submission's copy with the instructor's source this way).

Exit status: 0 every point earned, 1 points missing, 2 usage error (an
unknown test, unreadable declarations).
"""
import argparse
import math
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

GRADING = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADING)
import judge  # noqa: E402  (also puts tools/ on the path)
import labspec  # noqa: E402
from runner import emulators, slots  # noqa: E402
import report  # noqa: E402
import sandbox  # noqa: E402

ROOT = os.path.dirname(GRADING)

# The runner stops a run at the test's timeout. If the runner itself goes
# wrong (it never should), the grader stops it this much later.
OUTER_MARGIN = 10
# An endless build (a make rule that loops) is stopped after this long
# (--build-timeout); an honest one takes seconds.
BUILD_TIMEOUT = 300
# The largest file a build may write (RLIMIT_FSIZE): a build must not fill
# the grading machine's disk.
BUILD_FSIZE = 256 << 20
# How long a runner asked to stop (SIGINT) gets to stop its emulator and
# remove its temporary directory before everything is killed.
STOP_GRACE = 3


@dataclass
class Result:
    test: labspec.LabTest
    passed: bool
    reason: str              # one line: why it failed ("ok" when it passed)
    errors: list             # every way it missed its declaration
    seconds: float = 0.0
    status: int = None       # the runner's exit status (None: it never ran)
    console: str = ""        # what the machine printed (capped)
    runner: str = ""         # the runner's own messages
    log: str = None          # where the console is kept
    runner_log: str = None   # where the runner's messages are kept
    command: str = ""        # how to rerun it by hand

    @property
    def score(self):
        return self.test.points if self.passed else 0


# ---------------------------------------------------------------- processes

_running = set()              # runners in flight, stopped on Ctrl-C
_running_lock = threading.Lock()
# Anything odd about this grading (a limit hit, processes a submission left
# behind): shown to the student in results.json and read by grade-class.
# Never a hidden test's name.
_notes = []


def note(text):
    with _running_lock:
        if text not in _notes:
            _notes.append(text)


class Budget:
    """The wall-clock time one submission's grading may take in all
    (--budget): the build and every test get at most what is left, so a
    hanging submission costs the budget, not every test's full timeout."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds if seconds else None
        self.seconds = seconds

    def left(self):
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    def cap(self, timeout):
        left = self.left()
        return timeout if left is None else min(timeout, left)


def descendants(pid):
    """Every process below `pid`, from /proc: the runner starts the emulator
    in a session of its own, so a process group alone would miss it."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_tree(proc):
    """Stop a runner and everything it started. SIGINT first, so the runner
    stops its emulator and removes its temporary directory itself; then
    SIGKILL for whatever is left."""
    below = descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(STOP_GRACE)
    except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
        pass
    for pid in [proc.pid] + below:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    try:
        proc.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        pass


def run_guarded(argv, out_path, timeout, cwd, writable=(), masks=(), fsize=None, env=None, readable=(), devices=()):
    """Run argv isolated (sandbox.py: it may write only to `writable`) with
    stdout and stderr to out_path (appended), at most `timeout` seconds.
    Returns (exit status or None if it had to be stopped, seconds, the names
    of the processes it left behind, which were killed)."""
    start = time.monotonic()
    report_r, report_w = os.pipe()
    try:
        wrapped = sandbox.wrap(argv, cwd, [d for d in writable if os.path.isdir(d)], masks, fsize, report_w,
                               readable, devices)
        with open(out_path, "ab") as out:
            proc = subprocess.Popen(wrapped, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    start_new_session=True, pass_fds=(report_w,), env=env)
    except BaseException:
        os.close(report_r)
        raise
    finally:
        os.close(report_w)
    with _running_lock:
        _running.add(proc)
    try:
        status = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        stop_tree(proc)
        status = None
    except BaseException:   # Ctrl-C: the child is in its own session and did not see it
        stop_tree(proc)
        raise
    finally:
        with _running_lock:
            _running.discard(proc)
    return status, time.monotonic() - start, read_killed(report_r)


def read_killed(fd):
    """contain.py's report: the processes it killed once the command ended."""
    # Never wait on it: contain.py wrote before it exited, or never will
    # (stopped at a timeout).
    os.set_blocking(fd, False)
    with os.fdopen(fd, "rb") as f:
        try:
            return json.loads(f.read(1 << 16) or b"{}").get("killed", [])
        except (ValueError, AttributeError, BlockingIOError, TypeError):
            return []


def killed_note(what, killed):
    if killed:
        names = sorted(set(killed))
        note("leftover processes killed after %s: %d (%s)" % (what, len(killed), ", ".join(names[:5])))


def stop_all():
    with _running_lock:
        procs = list(_running)
    for p in procs:
        stop_tree(p)


# -------------------------------------------------------------------- build

def build_targets(tests, root):
    """The files under build/ that the tests boot and `make all` does not
    make (the test kernels): a second make run, after `make all`, so that
    two makes never build the same file at once."""
    build = os.path.join(root, "build")
    made_by_all = [os.path.join(build, d, "") for d in ("hv", "guestos", "guestos-pv", "loader")]
    targets = []
    for t in tests:
        for word in t.argv:
            path = word.split(" ", 1)[0]
            if path.startswith(build + os.sep) and not any(path.startswith(d) for d in made_by_all):
                target = os.path.relpath(path, root)
                if target not in targets:
                    targets.append(target)
    return targets


def make_env():
    """The environment of the build: no MAKEFILES (make would read those
    files before the Makefile)."""
    env = dict(os.environ)
    env.pop("MAKEFILES", None)
    return env


def first_error(text):
    """The line of a build log that says what went wrong first."""
    lines = [judge.printable(l.strip()) for l in text.splitlines() if l.strip()]
    # A compiler's or linker's diagnostic first ("file:line:col: error: ..."),
    # never a command line (its "-Wno-error=..." flags say "error" too), nor
    # the line the quiet build prints for a step ("CC      hv/vmx_error.c").
    lines = [l for l in lines if not re.match(r"\S*(gcc|cc|ld|as)\s+-|[A-Z][A-Z0-9]*\s+\S+$", l)] or lines
    for pattern in (r":\d+(:\d+)?: (fatal )?error:", r"\berror\b", r"No rule to make target|\*\*\*",
                    r"(?i)error|fatal|cannot|not found"):
        for l in lines:
            if re.search(pattern, l):
                return l
    return lines[-1] if lines else "make printed nothing"


# GNU make reads these before Makefile, in every recursive make too: in a
# tree graded with another's source they would replace the kit's build.
OTHER_MAKEFILES = ("GNUmakefile", "makefile")


def hidden_free_tests(root, scratch, tag="tree"):
    """(copy, original) for every labs/labN/tests.toml that declares hidden
    tests: the copy without them, which the build sees in place of the
    original, so that no rule or #include of a submission can read them."""
    import skeleton
    masks = []
    labs = os.path.join(root, "labs")
    for lab in sorted(os.listdir(labs)) if os.path.isdir(labs) else []:
        path = os.path.join(labs, lab, "tests.toml")
        m = re.match(r"lab(\d+)$", lab)
        if not m or not os.path.isfile(path):
            continue
        with open(path) as f:
            text = f.read()
        stripped = skeleton.strip_tests(text, int(m.group(1)), int(m.group(1)))
        if stripped != text:
            copy = os.path.join(scratch, "%s-%s-tests.toml" % (tag, lab))
            with open(copy, "w") as f:
                f.write(stripped)
            masks.append((copy, path))
    return masks


def build(tests, root, logs, jobs, source=None, build_timeout=BUILD_TIMEOUT, budget=None):
    """Run make, isolated: it may write only the tree's build/ folder (and
    the logs), and sees no hidden test. Returns None, or the reason every
    test fails."""
    budget = budget or Budget(None)
    log = os.path.join(logs, "build.log")
    if os.path.exists(log):
        os.remove(log)
    if source and os.path.realpath(source) != os.path.realpath(root):
        for name in OTHER_MAKEFILES:
            if os.path.lexists(os.path.join(root, name)):
                return "the build failed: %s would replace the kit's Makefile: it is not graded" % name
    os.makedirs(os.path.join(root, "build"), exist_ok=True)
    make = ["make", "-C", root, "--no-print-directory", "-j%d" % jobs]
    status, limit = 0, build_timeout
    with tempfile.TemporaryDirectory(prefix="hvlab-grade-") as scratch:
        masks = hidden_free_tests(root, scratch)
        if source and os.path.realpath(source) != os.path.realpath(root):
            # The instructor's source is in sight too (an #include or .incbin
            # of its path would build the hidden tests into the hypervisor).
            masks += hidden_free_tests(source, scratch, "source")
        if sandbox.mode()[0] == "user":
            # No masks without bubblewrap: the build runs as another user,
            # to whom the declarations with hidden tests are made unreadable
            # (make never reads them; the grader, root, still does).
            for _, path in masks:
                os.chmod(path, 0o600)
        for targets in (["all"], build_targets(tests, root)):
            if status != 0 or not targets:
                continue
            with open(log, "a") as f:
                f.write("$ %s\n" % shlex.join(make + targets))
            limit = budget.cap(build_timeout)
            try:
                status, _, killed = run_guarded(make + targets, log, limit, root,
                                                writable=[os.path.join(root, "build")], masks=masks,
                                                fsize=BUILD_FSIZE, env=make_env())
            except OSError as e:
                return "the build failed: cannot run make: %s" % e
            killed_note("the build", killed)
    if status == 0:
        return None
    if status is None:
        why = "make did not finish in %d s: stopped (the build time limit)" % limit
        note("build time limit hit: make stopped after %d s" % limit)
    else:
        why = first_error(judge.read_console(log))
    return "the build failed: %s" % why


# -------------------------------------------------------------------- tests

def rel(path):
    """A path as a reader types it: relative to the current directory when
    it lies below it."""
    r = os.path.relpath(path)
    return path if r.startswith("..") else r


def runner_argv(root, source):
    """The runner's command: source's tools/hvrun (never the graded tree's),
    with the fast loader that the graded tree's build made, without the site
    module where the sandbox allows (sandbox.no_site)."""
    return [sys.executable] + sandbox.no_site() + [os.path.join(source or root, "tools", "hvrun"),
            "--loader-dir", os.path.join(root, "build", "loader")]


def devices(t):
    """The host's device files a test's runs use: KVM's under QEMU with KVM."""
    return [emulators.host_file("/dev/kvm")] if t.emu == "qemu-kvm" else []


def run_runner(argv, runner_log, timeout, root, logs, source, t):
    """run_guarded() for one run of the runner, in an emulator slot taken
    before its clock starts (tools/runner/slots.py)."""
    with slots.emulator_slot():
        return run_guarded(argv, runner_log, timeout + OUTER_MARGIN, root, writable=[logs],
                           readable=[source or root], devices=devices(t), env=slots.held_env())


def run_test(t, root, logs, timeout_cap, source=None, budget=None):
    budget = budget or Budget(None)
    timeout = min(t.timeout, timeout_cap) if timeout_cap else t.timeout
    if budget.left() is not None and budget.left() < 1:
        note("time budget of %g s spent: tests not run got 0" % budget.seconds)
        return failed_result(t, "not run: the submission's grading time budget (%g s) was spent"
                             % budget.seconds)
    timeout = max(1, budget.cap(timeout))
    log = os.path.join(logs, t.full_name + ".log")
    runner_log = os.path.join(logs, t.full_name + ".runner")
    outcome_json = os.path.join(logs, t.full_name + ".json")
    # The emulator's record of VM entries and exits, and a fresh challenge:
    # the evidence that the guest ran under VMX (judge.evidence_errors).
    record = os.path.join(logs, t.full_name + ".vmx") if t.needs_record else None
    nonce = judge.new_nonce()
    for stale in (log, runner_log, outcome_json, record):
        if stale and os.path.exists(stale):
            os.remove(stale)
    argv = runner_argv(root, source) + ["--quiet", "--log", log, "--json", outcome_json,
                                        "--timeout", "%g" % timeout] + t.run_argv(nonce, record)
    # From the top of the tree, as a student would type it.
    command = shlex.join(["tools/hvrun", "--timeout", "%g" % timeout] +
                         [a.replace(root + os.sep, "") for a in t.shown_argv()])
    status, seconds, killed = run_runner(argv, runner_log, timeout, root, logs, source, t)
    killed_note("a test run", killed)
    with open(runner_log, "rb") as f:
        runner = judge.decode(f.read(1 << 20))
    if status is None:
        status = judge.outcome.TIMEOUT
        stopped = ("hvrun: the grader stopped the runner after %d s: it outlived the test's own timeout (%g s)"
                   % (timeout + OUTER_MARGIN, timeout))
        runner = stopped + "\n" + runner
        with open(runner_log, "a") as f:
            f.write(stopped + "\n")
    console = judge.read_console(log)
    errors = judge.verdict(t.status, t.must, t.must_not, status, console, runner)
    if t.needs_record and not errors:
        errors = judge.evidence_errors(t.challenge, t.vm_exits, console, nonce, read_record(record),
                                       t.msr_reads)
    if t.references and not errors:
        errors = compare_with_references(t, root, logs, timeout, console, nonce, source)

    # Keep at most the head and tail of a flood, on disk as in the reports.
    kept = judge.cap(console)
    if kept != console:
        with open(log, "w", encoding="utf-8", errors="replace") as f:
            f.write(kept)
    summary = None
    try:
        with open(outcome_json) as f:
            summary = json.load(f).get("summary")
        os.remove(outcome_json)
    except (OSError, ValueError, AttributeError):
        pass
    return Result(t, passed=not errors, reason=reason(t, errors, status, console, runner, summary),
                  errors=errors, seconds=seconds, status=status, console=kept, runner=runner,
                  log=log, runner_log=runner_log, command=command)


def read_record(path, limit=256 << 20):
    """The runner's record of VM exits (hvrun --vmx-record), or None."""
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("ascii", "replace")
    except OSError:
        return None


def compare_with_references(t, root, logs, timeout, console, nonce, source=None):
    """Boot each reference run (same_as_native: the same guest on the bare
    CPU; same_as: a guest under the hypervisor in another mode) and compare
    its line with the test's."""
    errors = []
    for ref in t.references:
        log = os.path.join(logs, "%s.%s.log" % (t.full_name, ref.tag))
        argv = runner_argv(root, source) + ["--quiet", "--log", log, "--timeout", "%g" % timeout] + ref.run_argv(nonce)
        _, _, killed = run_runner(argv, os.path.join(logs, "%s.%s.runner" % (t.full_name, ref.tag)), timeout, root,
                                  logs, source, t)
        killed_note("a test run", killed)
        errors += judge.same_as(ref.pattern, console, judge.read_console(log), ref.where, ref.there)
    return errors


def reason(t, errors, status, console, runner, summary):
    """One line that names the failure: the runner's verdict (timeout, panic,
    triple fault...) with the line that explains it, or the first missing
    console line."""
    if not errors:
        return "ok"
    if not judge.status_matches(t.status, status):
        what = summary or judge.runner_summary(runner)
        line = re.sub(r"^hvrun: | \((bochs|qemu|qemu-kvm), \w+ route, [\d.]+ s\)$", "", what)
        # The line that explains it best, after the outcome's name: the
        # broken VM-entry rule, else the guest's own panic (its words on
        # what went wrong, where), else why the hypervisor stopped it.
        keys = judge.key_lines(console, limit=100)
        for prefix in ("hv: VM-entry check:", "(guest) PANIC", "hv: guest stopped:"):
            explaining = [k for k in keys if k.startswith(prefix)]
            if explaining:
                line = "%s: %s" % (judge.status_name(status), explaining[0])
                break
        if t.status != judge.outcome.POWEROFF_OK:
            line += " (expected %s)" % judge.status_name(t.status)
    else:
        line = errors[0]
    if len(errors) > 1:
        line += " (+%d more)" % (len(errors) - 1)
    return judge.printable(line)


# A line of a build log that looks like a test declaration (a compiler
# quoting a tests.toml it was made to read): never shown to a student.
DECLARATION = re.compile(r"^\s*(\d+\s*\|\s*)?(name|points|description|guest|guest_args|programs|blobs|hv_args|status|"
                         r"must|must_not|timeout|hidden|same_as_native|same_as)\s*=")


def withhold(text, tests):
    """text without the lines that name a hidden test or quote a test
    declaration. A failed build's log is the student's own code, shown to
    them in every visible test; in a tree whose build could read the hidden
    tests (no bubblewrap), a rule or an #include could print them there."""
    secrets = [x for t in tests if t.hidden for x in (t.full_name, t.name, t.description) + tuple(t.must)
               + tuple(t.must_not) if x and len(x) >= 4]
    out = []
    for line in text.splitlines(keepends=True):
        if DECLARATION.search(line) or any(s in line for s in secrets):
            line = "[grader: a line that quotes the lab's test declarations was withheld]\n"
        out.append(line)
    return "".join(out)


def broken_build_results(tests, why, log):
    """Every test fails with the build's reason; the visible ones show the
    end of the build log, with nothing from a hidden test."""
    console = withhold(judge.cap(judge.read_console(log), head_lines=0, tail_lines=40), tests)
    why = withhold(why, tests).strip() or "the build failed"
    results = []
    for t in tests:
        r = failed_result(t, why)
        r.log, r.console = log, console
        results.append(r)
    return results


def failed_result(t, why):
    return Result(t, passed=False, reason=judge.printable(why), errors=[why])


def select(tests, labs, names):
    """The tests to grade; an unknown name is a usage error."""
    if labs:
        tests = [t for t in tests if t.lab in labs]
    if names:
        chosen = []
        for n in names:
            hits = [t for t in tests if n in (t.full_name, t.name)]
            if len(hits) != 1:
                known = ", ".join(t.full_name for t in tests) or "none"
                raise ValueError("%s test '%s' (known: %s)" % ("ambiguous" if hits else "no", n, known))
            if hits[0] not in chosen:
                chosen.append(hits[0])
        tests = chosen
    return tests


# ----------------------------------------------------------------- progress

class Progress:
    """A live "[7/10] lab1-cpuid ..." line on a terminal; elsewhere (CI logs)
    one line per finished test."""

    def __init__(self, total, live, quiet):
        self.total, self.live, self.quiet = total, live, quiet
        self.started = self.done = 0
        self.lock = threading.Lock()

    def start(self, t):
        with self.lock:
            self.started += 1
            if self.live and not self.quiet:
                sys.stdout.write("\r\033[K[%d/%d] %s ..." % (self.started, self.total, t.full_name))
                sys.stdout.flush()

    def finish(self, r):
        with self.lock:
            self.done += 1
            if not self.live and not self.quiet:
                verdict = "hidden" if r.test.hidden else ("ok" if r.passed else "FAIL")
                print("[%d/%d] %s: %s (%.1f s)" % (self.done, self.total, r.test.full_name, verdict, r.seconds),
                      flush=True)

    def end(self):
        if self.live and not self.quiet:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()


def grade(tests, root, logs, jobs, timeout_cap, progress, source=None, budget=None):
    """Every test's Result, in declared order. Never raises for a test."""
    def one(t):
        progress.start(t)
        try:
            r = run_test(t, root, logs, timeout_cap, source, budget)
        except Exception as e:   # the grader's own fault: still a result, named as such
            r = failed_result(t, "grader error: %s: %s" % (type(e).__name__, e))
        progress.finish(r)
        return r
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        results = list(pool.map(one, tests))
    except KeyboardInterrupt:
        # The runners are in sessions of their own: the terminal's Ctrl-C
        # reached only the grader, which must stop them itself.
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    pool.shutdown()
    return results


# --------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(prog="grade.py", description="Grade the lab tests of this tree.",
                                epilog="exit status: 0 all points, 1 points missing, 2 usage error")
    p.add_argument("--lab", type=int, action="append", default=[], help="grade this lab (repeatable; default all)")
    p.add_argument("--test", action="append", default=[], metavar="NAME",
                   help="grade this test only, e.g. lab1-cpuid (repeatable)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="tests run in parallel (default: the number of cores, %(default)s)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="stop every test after at most S seconds (default: each test's own timeout)")
    p.add_argument("--build-timeout", type=float, metavar="S", default=BUILD_TIMEOUT,
                   help="stop the build after S seconds (default %(default)g)")
    p.add_argument("--budget", type=float, metavar="S",
                   help="the whole grading (build and every test) takes at most about S seconds: "
                        "what is left caps each step, tests that cannot start get 0 (default: no budget)")
    p.add_argument("--no-build", action="store_true", help="grade what is built; do not run make")
    p.add_argument("--emu", default="bochs", choices=("bochs", "qemu-kvm", "auto", "qemu"),
                   help="bochs: VT-x emulated (default); qemu-kvm: real VT-x through nested KVM on an Intel host "
                        "(no record of VM exits: the tests' evidence from Bochs's is not checked); auto: qemu-kvm "
                        "where the host can, else bochs")
    p.add_argument("--root", default=ROOT, help="the tree to build and grade (default: this one)")
    p.add_argument("--source", default=ROOT,
                   help="where the tests, the runner and the judge come from (default: this grader's tree)")
    p.add_argument("--results", help="Gradescope results.json (default build/grade/results.json)")
    p.add_argument("--junit", help="JUnit XML (default build/grade/junit.xml)")
    p.add_argument("--logs", help="where consoles are kept (default build/grade/logs)")
    p.add_argument("--show-hidden", action="store_true",
                   help="show the results of hidden tests in the summary (instructors)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    p.add_argument("--list", action="store_true", help="list the tests and exit")
    p.add_argument("--classroom", metavar="FILE",
                   help="write GitHub Classroom's autograding.json for the selected tests and exit")
    a = p.parse_args(argv)
    if a.jobs < 1:
        p.error("--jobs must be at least 1")
    for name in ("timeout", "build_timeout", "budget"):
        if getattr(a, name) is not None and getattr(a, name) <= 0:
            p.error("--%s must be positive" % name.replace("_", "-"))
    a.root = os.path.abspath(a.root)
    a.source = os.path.abspath(a.source)
    out = os.path.join(a.root, "build", "grade")
    a.results = a.results or os.path.join(out, "results.json")
    a.junit = a.junit or os.path.join(out, "junit.xml")
    a.logs = a.logs or os.path.join(out, "logs")
    return a


def choose_emulator(emu):
    """(the emulator the tests run under, a line to say about it or None),
    or a UsageError that says why it cannot be that one here, as hvrun
    does for make run."""
    if emu == "qemu":
        raise UsageError("EMU=qemu is QEMU's TCG, which has no VT-x: the hypervisor cannot run there. Grade under "
                         "Bochs (make grade) or, on an Intel host with nested KVM, EMU=qemu-kvm")
    if emu == "bochs":
        return emu, None
    problem = emulators.kvm_vtx_problem()
    if emu == "auto":
        if problem:
            return "bochs", "auto: Bochs, VT-x emulated (for real VT-x through KVM: %s)" % problem
        emu = "qemu-kvm"
    elif problem:
        raise UsageError("QEMU with KVM (EMU=qemu-kvm) needs an Intel host with VT-x and nested KVM, but %s; "
                         "grade under Bochs instead: make grade (without EMU)" % problem)
    try:
        emulators.require("qemu-system-x86_64", "qemu-system-x86")
    except emulators.EmulatorError as e:
        raise UsageError(str(e))
    return emu, ("QEMU with KVM, real VT-x: the tests' evidence from Bochs's record of VM exits (the guest's "
                 "answers to the challenge, the exits and MSR reads a test declares) is not checked; the "
                 "course's grading runs under Bochs")


class UsageError(Exception):
    """A grading that cannot start as asked: exit status 2 and this line."""


def classroom_json(tests):
    """GitHub Classroom's autograding.json: one entry per visible test, each
    `make grade TEST=<name>` (exit status 0 earns its points). Hidden tests
    stay out: this file ships with the student's repository."""
    entries = []
    for t in tests:
        if t.hidden:
            continue
        entries.append({"name": t.full_name, "setup": "", "run": "make grade TEST=%s" % t.full_name,
                        "input": "", "output": "", "comparison": "included",
                        # minutes: the test's own timeout, the build and the runner's margin
                        "timeout": max(1, math.ceil((t.timeout + 120) / 60)), "points": t.points})
    return json.dumps({"tests": entries}, indent=2) + "\n"


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    start = time.monotonic()
    try:
        emu, said = choose_emulator(a.emu)
        if said:
            print("grade: %s" % said)
            if emu != "bochs":
                note("graded under %s" % said)
        # Once, from the source, before anything is built: the tests point
        # at what the graded tree's build will make (build/).
        tests = select(labspec.load_all(a.source, build=os.path.join(a.root, "build"), emu=emu), set(a.lab),
                       a.test)
    except (labspec.LabSpecError, ValueError, OSError, UsageError) as e:
        print("grade: error: %s" % e, file=sys.stderr)
        return 2
    if not tests:
        print("grade: error: no tests to grade (labs %s)" % (sorted(a.lab) or "all"), file=sys.stderr)
        return 2
    if a.list:
        for t in tests:
            print("%-28s %5g points%s  %s" % (t.full_name, t.points, "  hidden" if t.hidden else "", t.description))
        return 0
    if a.classroom:
        report.write_atomic(a.classroom, classroom_json(tests))
        print("grade: wrote %s (%d tests)" % (a.classroom, sum(not t.hidden for t in tests)))
        return 0

    os.makedirs(a.logs, exist_ok=True)
    tty = sys.stdout.isatty()
    color = a.color == "always" or (a.color == "auto" and tty and not os.environ.get("NO_COLOR")
                                    and os.environ.get("TERM") != "dumb")
    broken = None
    progress = Progress(len(tests), tty, a.quiet)
    budget = Budget(a.budget)
    if sandbox.note():
        note(sandbox.note())
    try:
        if not a.no_build:
            if not a.quiet:
                print("grade: building (log: %s)" % rel(os.path.join(a.logs, "build.log")), flush=True)
            broken = build(tests, a.root, a.logs, a.jobs, a.source, a.build_timeout, budget)
        if broken:
            results = broken_build_results(tests, broken, os.path.join(a.logs, "build.log"))
        else:
            results = grade(tests, a.root, a.logs, a.jobs, a.timeout, progress, a.source, budget)
    except KeyboardInterrupt:
        progress.end()
        stop_all()
        print("grade: interrupted: no results written", file=sys.stderr)
        return 130
    progress.end()
    elapsed = time.monotonic() - start

    # The files first: whatever happens next, the grade is on disk.
    written = []
    notes = list(_notes)
    for path, make in ((a.results, lambda r, e: report.results_json(r, e, notes)), (a.junit, report.junit_xml)):
        try:
            report.write_atomic(path, make(results, elapsed))
            written.append(rel(path))
        except Exception as e:   # one output's failure must not cost the other
            print("grade: error: cannot write %s: %s: %s" % (path, type(e).__name__, e), file=sys.stderr)
    print("grade: %.1f s; wrote %s" % (elapsed, ", ".join(written) or "nothing"))
    print(report.summary(results, color=color, show_hidden=a.show_hidden, width=terminal_width(tty)))
    for n in notes:
        print("grade: note: %s" % n)
    if len(written) < 2:
        return 2
    return 0 if all(r.passed for r in results) else 1


def terminal_width(tty):
    if not tty:
        return 120
    try:
        return max(60, os.get_terminal_size().columns)
    except OSError:
        return 120


if __name__ == "__main__":
    sys.exit(main())
