"""benchrun.py: one boot for `make bench`, through tools/hvrun."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
HV = os.environ.get("HV_ELF", os.path.join(BUILD, "hv", "hv.elf"))
PVTEST = os.environ.get("PVTEST_ELF", os.path.join(BUILD, "tests", "pvtest.elf"))


def boot(argv, js, what):
    """Run tools/hvrun with argv (which writes its outcome to the JSON file
    js) and return that outcome. A runner that wrote no outcome (it could
    not start the emulator, a bad option) stops the benchmark in one line
    that quotes the runner's own last words, rather than with a traceback."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "hvrun"), "--quiet", "--json", js] + argv, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with open(js) as f:
            return json.load(f)
    except (OSError, ValueError):
        said = " | ".join(p.stderr.strip().splitlines()[-2:]) or "no message"
        raise SystemExit("bench: the %s run did not start (tools/hvrun exited %d: %s)" % (what, p.returncode, said))


def bochs(modules, hv_args, timeout, what):
    """One boot of the hypervisor (hv_args its command line) in Bochs, by
    the fast loader where it is built, else GRUB, with modules (each "path
    arguments"): the outcome, the console's text and the runner's argv
    (for the line that says how to see a failed run again)."""
    with tempfile.TemporaryDirectory() as tmp:
        log, js = os.path.join(tmp, "console.log"), os.path.join(tmp, "run.json")
        fast = "fast" if os.path.exists(os.path.join(BUILD, "loader", "stage2.bin")) else "grub"
        argv = ["--emu", "bochs", "--boot", fast, "--timeout", str(timeout), "--log", log]
        for m in modules:
            argv += ["--module", m]
        argv += [HV, "--"] + list(hv_args)
        outcome = boot(argv, js, what)
        console = open(log).read() if os.path.exists(log) else ""
    return outcome, console, argv
