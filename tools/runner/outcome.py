"""outcome.py: how a run ended, decided from what it printed (pure logic).

The console protocol (README.md, "Console protocol"): every run ends with an
explicit power-off, announced by the line `POWEROFF <status>`. A fatal error
prints `PANIC <component>: <message>` first. Anything else is a failure whose
cause the runner names: a triple fault (seen in the emulator's log), a
timeout, or an emulator that stopped by itself.

Whose lines count: under the hypervisor, COM1 also carries everything the
guest prints, so the hypervisor copies its own verdict lines (its first line
`hv: hvlab hypervisor ...`, `PANIC ...`, `hv: guest stopped: ...`, its
`POWEROFF n`) to the debug port 0xE9, a private channel the guest cannot
write (hv/exit/console.c). Once that channel has carried the hypervisor's first
line, the verdict is read from it alone: a POWEROFF or PANIC line on COM1
counts for nothing, and a hypervisor that dies without a verdict there ends
as the emulator says (triple fault, died, timeout). A run without the
hypervisor (a kernel booted natively) keeps COM1.
"""
import re

# The runner's exit statuses, one per outcome (documented in `hvrun --help`).
POWEROFF_OK = 0
POWEROFF_FAIL = 1
USAGE = 2
PANIC = 3
TRIPLE_FAULT = 4
TIMEOUT = 5
EMULATOR_DIED = 6

NAMES = {
    POWEROFF_OK: "power-off",
    POWEROFF_FAIL: "power-off with failure status",
    USAGE: "usage or set-up error",
    PANIC: "panic",
    TRIPLE_FAULT: "triple fault",
    TIMEOUT: "timeout",
    EMULATOR_DIED: "emulator stopped without power-off",
}

HYPERVISOR_RE = re.compile(r"^hv: hvlab hypervisor", re.M)
POWEROFF_RE = re.compile(r"^POWEROFF (-?\d+)\s*$", re.M)
PANIC_RE = re.compile(r"^PANIC \S.*$", re.M)

# Emulator log lines that mean the CPU shut down on a triple fault.
#   Bochs (reset_on_triple_fault=0): "exception(): 3rd (13) exception with no resolution"
#   QEMU (-d cpu_reset): "Triple fault"
TRIPLE_FAULT_RE = re.compile(r"3rd \(\d+\) exception with no resolution|Triple fault", re.I)


# What a non-zero POWEROFF status means, where the kit defines it (lib/poweroff.h).
POWEROFF_MEANINGS = {
    1: "the run reported a failure",
    3: "after a panic",
    4: "the hypervisor stopped a misbehaving guest",
}


class Outcome:
    def __init__(self, status, summary, detail=""):
        self.status = status
        self.summary = summary
        self.detail = detail

    @property
    def name(self):
        return NAMES[self.status]


def poweroff_status(console):
    """The status of the last POWEROFF line, or None. Under the hypervisor the
    guest announces its own power-off first, through the emulated UART; the
    hypervisor's line comes last and has the final word (a guest stopped for
    a fault after its own "POWEROFF 0" has not succeeded)."""
    m = POWEROFF_RE.findall(console)
    return int(m[-1]) if m else None


def first_panic(console):
    m = PANIC_RE.search(console)
    return m.group(0).strip() if m else None


def verdict_text(console, channel):
    """The text the verdict is read from: the private channel once the
    hypervisor has announced itself there, else COM1."""
    return channel if HYPERVISOR_RE.search(channel or "") else console


def classify(console, emulator_log, timed_out, seconds, channel=""):
    """Decide the outcome of a finished run.

    console: everything the machine printed on COM1;
    emulator_log: the emulator's own log (Bochs's log file, QEMU's -D file);
    timed_out: whether the runner had to stop the emulator;
    channel: what was written to the debug port 0xE9 (the hypervisor's
    private verdict channel).
    """
    console = verdict_text(console, channel)
    panic = first_panic(console)
    if panic:
        return Outcome(PANIC, panic)
    status = poweroff_status(console)
    if status is not None:
        if status == 0:
            return Outcome(POWEROFF_OK, "power-off, status 0")
        meaning = POWEROFF_MEANINGS.get(status, "the run reported a failure")
        return Outcome(POWEROFF_FAIL, "power-off, status %d (%s)" % (status, meaning))
    m = TRIPLE_FAULT_RE.search(emulator_log or "")
    if m:
        line = emulator_log[emulator_log.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
        return Outcome(TRIPLE_FAULT, "triple fault: the CPU shut down", line.strip())
    if timed_out:
        return Outcome(TIMEOUT, "timeout after %g s: the machine never powered off" % seconds)
    return Outcome(EMULATOR_DIED, "the emulator stopped without a power-off")
