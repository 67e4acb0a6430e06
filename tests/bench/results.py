"""results.py: the one JSON file every `make bench` script adds its figures to."""
import json
import os


def merge(path, key, value):
    """Set results[key] = value in the JSON file at path, keeping the rest."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    results = {}
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    results[key] = value
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print("bench: %s figures written to %s" % (key, path))
