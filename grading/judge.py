"""judge.py: did a run do what a test declared? One answer, used everywhere.

The autograder (grading/grade.py) and `make check` (tests/integration/
harness.py) both judge a finished run the same way: the runner's exit status
against the expected one, then every `must` regex against the console (each
must match some line) and every `must_not` regex (none may match). Keeping
that here means a test cannot pass in `make check` and fail in the grader.

Also here: the text hygiene a grader needs for output it does not trust
(a student's hypervisor can print anything): keep a flood down to its head
and tail, and make control characters and stray bytes visible instead of
letting them reach a terminal or an XML file.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from runner import outcome  # noqa: E402  (the runner's statuses and their names)
from runner import vmxrecord  # noqa: E402  (the emulator's record of VM exits)


def status_name(status):
    return outcome.NAMES.get(status, "exit status %d" % status)


def runner_summary(runner):
    """The runner's one-line verdict ("hvrun: timeout after 8 s: ...") from its
    stderr, else its last line: what a reader needs first."""
    lines = [l.strip() for l in runner.splitlines() if l.strip()]
    for l in lines:
        if l.startswith("hvrun: ") and not l.startswith("hvrun:   "):
            return l
    return lines[-1] if lines else "the runner said nothing"


# A test's `status` that takes the run however it ends: the test judges its
# lines and the emulator's record only (a step's test whose run goes on into
# the stubs of later steps, which panic).
ANY_STATUS = "any"


def status_matches(expected_status, status):
    return expected_status == ANY_STATUS or status == expected_status


def verdict(expected_status, must, must_not, status, console, runner=""):
    """The list of ways a run missed its declaration (empty: it passed).

    expected_status: the runner exit status the test declares (0 power-off,
    3 panic, ...), or ANY_STATUS; must / must_not: regexes, matched per line
    (re.M); status, console, runner: what the run gave (exit status, COM1
    text, the runner's stderr)."""
    errors = []
    if not status_matches(expected_status, status):
        errors.append("exit status %d (%s), expected %d (%s): %s"
                      % (status, status_name(status), expected_status, status_name(expected_status),
                         runner_summary(runner)))
    for pat in must:
        if not re.search(pat, console, re.M):
            errors.append("console lacks /%s/%s" % (pat, nearest_line(pat, console)))
    for pat in must_not:
        m = re.search(pat, console, re.M)
        if m:
            errors.append("console has /%s/: %s" % (pat, line_at(console, m.start())))
    return errors


def same_as(pattern, console, reference_console, where="the bare CPU", there="natively"):
    """The errors of a test with a reference run (same_as_native, same_as):
    the first line matching pattern must read the same in the test's run as
    in the reference's, which ran on `where` (its line is `there`'s)."""
    want = re.search(pattern, reference_console, re.M)
    got = re.search(pattern, console, re.M)
    if not want:
        return ["the reference run on %s printed no line matching /%s/" % (where, pattern)]
    if not got:
        return ["console lacks /%s/" % pattern]
    if got.group(0) != want.group(0):
        return ["differs from %s: '%s', %s '%s'" % (where, printable(got.group(0)), there,
                                                    printable(want.group(0)))]
    return []


# ------------------------------------------------ the emulator's evidence
#
# A test's console lines are the word of the code under grading: a
# "hypervisor" that does none of the work can print them (it reads the test
# from its own command line and modules), on COM1 and on its verdict
# channel alike. What it cannot print is Bochs's own record of VM entries
# and exits (tools/runner/vmxrecord.py). Two declarations draw on it:
#
#   vm_exits   at least N VM exits of each named reason happened;
#   challenge  each guest line the grader judges was printed by the guest
#              while it ran in VMX non-root operation: for the run's fresh
#              nonce, the guest writes a keyed hash of each line it prints
#              into the record as 64 I/O exits (tests/kernels/common/
#              challenge.h), and the grader finds them there, in order.

# Basic exit reasons by name (SDM Appendix C, table C-1).
EXIT_REASONS = {
    "exception": 0, "external interrupt": 1, "triple fault": 2, "interrupt window": 7,
    "task switch": 9, "CPUID": 10, "HLT": 12, "INVD": 13, "INVLPG": 14, "VMCALL": 18, "CR access": 28,
    "I/O": 30, "RDMSR": 31, "WRMSR": 32, "entry failure (guest state)": 33,
    "EPT violation": 48, "EPT misconfiguration": 49, "XSETBV": 55,
}

CHALLENGE_PORTS = {0x21: "0", 0xA1: "1"}   # a 0 bit, a 1 bit (challenge.h)
FNV_OFFSET, FNV_PRIME = 0xcbf29ce484222325, 0x100000001b3


def new_nonce():
    """A fresh challenge for one run: 64 random bits, as 16 hex digits."""
    return "%016x" % int.from_bytes(os.urandom(8), "big")


def challenge_answer(nonce, line):
    """What the guest writes into the record after printing `line`
    (challenge.h): FNV-1a-64 of the line and its newline, keyed by the nonce."""
    h = FNV_OFFSET ^ int(nonce, 16)
    for b in (line + "\n").encode("utf-8", "surrogateescape"):
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return "{:064b}".format(h)


def challenge_bits(exits):
    """The bits the guest wrote: its IN from ports 0x21 and 0xA1, in order.
    An I/O exit's qualification (SDM 28.2.1, table 28-5): bit 3 set for IN,
    bit 4 for a string instruction, the port in bits 31:16."""
    bits = []
    for reason, qual in exits:
        if reason == 30 and qual & 0x8 and not qual & 0x10:
            bit = CHALLENGE_PORTS.get(qual >> 16 & 0xFFFF)
            if bit:
                bits.append(bit)
    return "".join(bits)


def challenge_errors(pattern, console, nonce, exits):
    """Every console line matching `pattern` must have its answer in the
    record, in the console's order."""
    lines = [m.group(0) for m in re.finditer(r"^.*$", console, re.M) if re.search(pattern, m.group(0))]
    if not lines:
        return ["challenge: the console has no guest line (/%s/) to check" % pattern]
    bits, at = challenge_bits(exits), 0
    for line in lines:
        found = bits.find(challenge_answer(nonce, line), at)
        if found < 0:
            return ["the emulator saw no VM exits of the guest answering the run's challenge for the line "
                    "'%s': it was not printed by the guest running under VMX" % printable(line)]
        at = found + 64
    return []


def vm_exit_errors(wanted, entries, exits):
    """wanted: {reason name or number: the least count}."""
    errors = []
    if entries == 0:
        errors.append("the emulator saw no VM entry (VMLAUNCH/VMRESUME): no guest ran under VMX")
    for name, least in wanted.items():
        reason = EXIT_REASONS.get(name, name)
        got = sum(1 for r, _ in exits if r == reason)
        if got < least:
            errors.append("the emulator saw %d VM exit%s for %s, at least %d expected"
                          % (got, "" if got == 1 else "s", name, least))
    return errors


# The MSRs a record holds the reads of (vmxrecord.py), by name.
MSR_NAMES = {0x3a: "IA32_FEATURE_CONTROL", 0x480: "IA32_VMX_BASIC", 0x481: "IA32_VMX_PINBASED_CTLS",
             0x482: "IA32_VMX_PROCBASED_CTLS", 0x483: "IA32_VMX_EXIT_CTLS", 0x484: "IA32_VMX_ENTRY_CTLS",
             0x485: "IA32_VMX_MISC", 0x486: "IA32_VMX_CR0_FIXED0", 0x487: "IA32_VMX_CR0_FIXED1",
             0x488: "IA32_VMX_CR4_FIXED0", 0x489: "IA32_VMX_CR4_FIXED1", 0x48b: "IA32_VMX_PROCBASED_CTLS2",
             0x48c: "IA32_VMX_EPT_VPID_CAP"}


def msr_read_errors(wanted, reads):
    """wanted: the MSRs the CPU must have read (RDMSR executed by the
    hypervisor itself, in this run)."""
    return ["the emulator saw no RDMSR of %s (%#x): what the test checks was not read from the CPU"
            % (MSR_NAMES.get(msr, "MSR"), msr) for msr in wanted if msr not in reads]


def evidence_errors(challenge, vm_exits, console, nonce, record_text, msr_reads=()):
    """The errors of a test that declares `challenge`, `vm_exits` or
    `msr_reads`, from the console and the runner's record (hvrun
    --vmx-record)."""
    if record_text is None:
        return ["the emulator's record of VM exits is missing (hvrun --vmx-record)"]
    errors = msr_read_errors(msr_reads, vmxrecord.msr_reads(record_text))
    entries, exits = vmxrecord.parse(record_text)
    if (challenge or vm_exits) and not errors:
        errors = vm_exit_errors(vm_exits or {}, entries, exits)
    if challenge and not errors:
        errors = challenge_errors(challenge, console, nonce, exits)
    return errors


# A pattern's literal start: what a line it wants must begin with.
_LITERAL_START_RE = re.compile(r"\^((?:[^\\.^$*+?{}\[\]|()]|\\[^A-Za-z0-9])*)")
NEAREST_MIN = 8


def nearest_line(pattern, console):
    """The console's line that begins most as `pattern`'s lines must (at
    least NEAREST_MIN characters), quoted for a failure message
    (", nearest: '...'"), else "": a result line that came out different
    is told apart from one never printed."""
    m = _LITERAL_START_RE.match(pattern)
    start = re.sub(r"\\(.)", r"\1", m.group(1)) if m else ""
    if len(start) < NEAREST_MIN:
        return ""
    best, best_len = None, 0
    for line in re.findall("^" + re.escape(start[:NEAREST_MIN]) + ".*$", console, re.M)[:1000]:
        n = len(os.path.commonprefix([line, start]))
        if n > best_len:
            best, best_len = line, n
    return ", nearest: '%s'" % printable(best)[:300] if best is not None else ""


def line_at(text, pos):
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:end if end >= 0 else len(text)]


# Lines that explain a failed run, in the order a reader wants them: the
# hypervisor's VM-entry checker names the broken rule; PANIC, the guest's
# own panic (quoted "(guest) PANIC ..." by the hypervisor's console) and
# "guest stopped" say what stopped; the runner's notes quote the emulator's
# log.
KEY_LINE_RE = re.compile(r"^(hv: VM-entry check: .*|PANIC .*|\(guest\) PANIC .*|hv: guest stopped: .*|"
                         r"hv: VM entry failed.*)$", re.M)


def key_lines(console, limit=12):
    return [m.group(0) for m in KEY_LINE_RE.finditer(console)][:limit]


# Control characters (but tab and newline), DEL, the C1 controls, and the two
# non-characters XML 1.0 forbids: shown as \xNN so nothing a run printed can
# move the terminal's cursor, change its colours or break an XML file.
_UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def printable(text):
    return _UNSAFE_RE.sub(lambda m: "\\x%02x" % ord(m.group(0)) if ord(m.group(0)) < 0x100
                          else "\\u%04x" % ord(m.group(0)), text)


def decode(data):
    """Bytes a run printed, as text: bad UTF-8 becomes U+FFFD, CR goes."""
    return data.decode("utf-8", "replace").replace("\r", "")


def read_console(path, limit=32 << 20):
    """A console log as text for judging: all of it up to `limit` bytes, else
    its first and last halves of that (a flood must not cost the grader its
    memory; the lines a test looks for are near the start or the end)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if size <= limit:
                return decode(f.read())
            head = f.read(limit // 2)
            f.seek(size - limit // 2)
            tail = f.read()
    except OSError:
        return ""
    return decode(head) + "\n[... %d bytes not read ...]\n" % (size - limit) + decode(tail)


def cap(text, head_lines=200, tail_lines=200, max_bytes=64 << 10):
    """At most the first `head_lines` and the last `tail_lines` lines, and
    about `max_bytes` in all, with a marker saying what was cut between them."""
    if len(text) <= max_bytes and text.count("\n") <= head_lines + tail_lines:
        return text
    lines = text.splitlines(keepends=True)
    half = max_bytes // 2
    head, size = [], 0
    for l in lines[:head_lines]:
        if size + len(l) > half:
            head.append(l[:half - size] + "\n")   # one enormous line: keep its start
            break
        head.append(l)
        size += len(l)
    tail, size = [], 0
    for l in reversed(lines[len(head):][-tail_lines:]):
        if size + len(l) > half:
            tail.append(l[-(half - size):] if half > size else "")
            break
        tail.append(l)
        size += len(l)
    tail.reverse()
    kept = sum(map(len, head)) + sum(map(len, tail))
    cut_lines = max(0, len(lines) - len(head) - len(tail))
    marker = "[... grader: %d lines, %d characters cut here ...]\n" % (cut_lines, max(0, len(text) - kept))
    return "".join(head) + marker + "".join(tail)
