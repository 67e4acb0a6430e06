"""results.py: the one JSON file every `make bench` script adds its figures to."""
import json
import os


def read(path):
    """The figures already in the file at path: {} for a missing or empty
    file (a new one starts); a file that is not a JSON object stops the
    benchmark before it runs, in one line, rather than after minutes of runs."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return {}
    try:
        with open(path) as f:
            results = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit("bench: RESULTS=%s is not a results file (%s): remove it or give another RESULTS="
                         % (path, str(e).splitlines()[0]))
    if not isinstance(results, dict):
        raise SystemExit("bench: RESULTS=%s holds JSON but not an object of figures: remove it or give another "
                         "RESULTS=" % path)
    return results


def merge(path, key, value):
    """Set results[key] = value in the JSON file at path, keeping the rest."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    results = read(path)
    results[key] = value
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print("bench: %s figures written to %s" % (key, path))
