"""benchrun.py: one boot for `make bench`, through tools/hvrun."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
