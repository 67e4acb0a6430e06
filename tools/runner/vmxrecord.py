"""vmxrecord.py: the emulator's own record of VM entries and exits (hvrun --vmx-record).

What a hypervisor prints, on COM1 or on its verdict channel (port 0xE9), is
its own word: a "hypervisor" that does none of the work can print the lines
a test looks for. Bochs is the trusted witness. With its CPU module's debug
messages on (`debug: action=ignore, cpu0=report`: that one module only),
its log gets one line per VM entry and per VM exit, written by the emulated
CPU itself:

    00017531355d[CPU0  ] VMLAUNCH VMCS ptr: 0x0000000004302000
    00017531378d[CPU0  ] VMEXIT reason = 30 (I/O Instruction) qualification=0x3f90000

Nothing the machine runs can write such a line: the one device that logs
what a guest writes (the BIOS message ports 0x400-0x403) logs it under its
own module name, a line at a time, so it cannot start a line with a CPU
debug prefix. The runner takes those lines out of the log after the run
(the rest of the log stays as it was, for the triple-fault and VMFAIL
notes) and writes the record:

    entry                  a VMLAUNCH or VMRESUME (whether it succeeded or not)
    exit REASON QUAL       a VM exit: basic reason (SDM Appendix C) and
                           exit qualification, both hex
    rdmsr MSR VALUE        an RDMSR of IA32_FEATURE_CONTROL or a VMX
                           capability MSR (0x3a, 0x480-0x491) that the CPU
                           itself executed (in VMX root operation or
                           before VMXON: a guest's RDMSR that exits is an
                           exit), both hex

Bochs logs nothing for a VMXON, VMPTRLD or VMWRITE that succeeds; its RDMSR
lines are what shows that a hypervisor read the capabilities it reports.

The debug messages cost: the CPU module also reports every page walk, so a
guest OS run takes about 1.7 times as long in Bochs; only runs that ask for
the record pay it (the lab tests that declare `challenge` or `vm_exits`).
"""
import os
import re
import resource

# Bochs's per-module log levels: debug for the CPU module only.
BOCHS_DEBUG = "debug: action=ignore, cpu0=report"

# Both in one pass over a chunk of the log (C-speed regexes: a guest OS run
# logs millions of page walks); group 1 an entry, groups 2-3 an exit.
_RECORD = re.compile(rb"^\d+d\[CPU0 *\] (?:(VM(?:LAUNCH|RESUME)) VMCS ptr: |"
                     rb"VMEXIT reason = (\d+) \([^)\n]*\) qualification=0x([0-9a-fA-F]+)\s*$|"
                     rb"RDMSR: read ([0-9a-fA-F]{8}):([0-9a-fA-F]{8}) from MSR (3a|4[89][0-9a-fA-F])\s*$)", re.M)
_DEBUG_LINE = re.compile(rb"^\d+d\[.*\n?", re.M)

# With the CPU's debug messages on, a hypervisor that walks page tables in a
# loop fills the disk with page-walk lines at Bochs's speed: no file Bochs
# writes may grow beyond this (a lab test's log is at most tens of MiB).
# Bochs dies of SIGXFSZ, the run ends as "the emulator stopped", the test fails.
MAX_FILE_BYTES = 2 << 30


def limit_files():
    """In the emulator's process, before it starts (Popen preexec_fn)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))


# A run that exits without end could write a record without end.
MAX_RECORDS = 4 << 20
CHUNK = 8 << 20


def _chunks(f):
    """The file in pieces of whole lines."""
    rest = b""
    while True:
        data = f.read(CHUNK)
        if not data:
            if rest:
                yield rest
            return
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]


def extract(log_path, record_path):
    """Move the VM entries and exits out of Bochs's log at log_path into the
    record at record_path; the log keeps every line that is not a debug
    message. Returns the number of records written."""
    count = 0
    kept_path = log_path + ".kept"
    try:
        src = open(log_path, "rb")
    except OSError:
        src = None
    with open(record_path, "w") as rec, open(kept_path, "wb") as kept:
        rec.write("# hvrun --vmx-record: Bochs's VM entries and exits, in order\n")
        if src is None:
            return 0
        with src:
            for chunk in _chunks(src):
                kept.write(_DEBUG_LINE.sub(b"", chunk))
                if count >= MAX_RECORDS:
                    continue
                out = []
                for m in _RECORD.finditer(chunk):
                    if m.group(1):
                        out.append("entry")
                    elif m.group(2):
                        out.append("exit %x %s" % (int(m.group(2)), m.group(3).decode().lower()))
                    else:
                        out.append("rdmsr %s %x" % (m.group(6).decode().lower(),
                                                    int(m.group(4) + m.group(5), 16)))
                out = out[:MAX_RECORDS - count]
                count += len(out)
                if out:
                    rec.write("\n".join(out) + "\n")
        if count >= MAX_RECORDS:
            rec.write("# cut after %d records\n" % MAX_RECORDS)
    os.replace(kept_path, log_path)
    return count


def parse(text):
    """A record's text as (entries, [(reason, qualification), ...])."""
    entries, exits = 0, []
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["entry"]:
            entries += 1
        elif words[:1] == ["exit"] and len(words) == 3:
            try:
                exits.append((int(words[1], 16), int(words[2], 16)))
            except ValueError:
                pass
    return entries, exits


def msr_reads(text):
    """A record's RDMSRs: {msr: [values read, in order]}."""
    reads = {}
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["rdmsr"] and len(words) == 3:
            try:
                reads.setdefault(int(words[1], 16), []).append(int(words[2], 16))
            except ValueError:
                pass
    return reads
