"""What the preparation ahead of a request costs per keystroke on the 5,000-line file, in process.

  PYTHONPATH=server:tests python -m bench.prepare_cost [--workspace] [--places 14]

The overhead bench's typing (a new line opened under a statement in a function body at random
places, `n = os.` typed into it, a key at a time), each key followed by the engine's settle step:
the reparse, then `preparation.prepare` at the cursor, timed with `definitions.find` and
`known_names.after_module` inside it. A stand-in backend (tests/scripted.py) counts tokens by
characters: no model. --workspace puts the file among click's modules, so its imports resolve.
Prints each step's p50/p90/max and a digest of the prompts (the same before and after a change
that must not change them; run with PYTHONHASHSEED=0).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time
from pathlib import Path

from bench.inputs import LONG_PACKAGE, long_file
from bench.repo_code import DATA
from scripted import Scripted
from ghostwright import config as configuration
from ghostwright.context import definitions, known_names, sources
from ghostwright.engine import preparation
from ghostwright.text import documents

TYPED = "n = os."


def _timing(times: list[float], step):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            times.append((time.perf_counter() - start) * 1000)
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", action="store_true")
    parser.add_argument("--places", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    text = long_file(5000)
    root = (DATA / LONG_PACKAGE / "src").resolve()
    uri = (root / "click" / "big.py").as_uri() if args.workspace else "file:///bench/big.py"
    doc = documents.DocumentStore().open(uri, text, 1, "python")
    config = configuration.Config()
    around = sources.Surroundings()
    if args.workspace:
        around.set_folders([root], config.context, wait=True)
    around.used(doc)
    backend = Scripted(["x"])
    times: dict[str, list[float]] = {"prepare": [], "definitions.find": [], "known_names.after_module": []}
    definitions.find = _timing(times["definitions.find"], definitions.find)
    known_names.after_module = _timing(times["known_names.after_module"], known_names.after_module)
    lines = text.split("\n")
    candidates = [i for i, l in enumerate(lines[:-1]) if l.startswith("        ") and l.strip()
                  and not l.rstrip().endswith((":", ",", "(", "[", "{", "\\"))
                  and lines[i + 1].startswith(l[:len(l) - len(l.lstrip())])]
    rng = random.Random(args.seed)
    prompts = hashlib.sha256()
    for _ in range(args.places):
        line = rng.choice(candidates)
        current = doc.line_text(line)
        indent = current[:len(current) - len(current.lstrip())]
        end = doc.line_starts[line] + len(current.rstrip("\n"))
        for n, key in enumerate(["\n" + indent, *TYPED]):
            at = doc.position_at(end, "utf-32")
            doc.apply_change(at, at, key, "utf-32")
            doc.version += 1
            end += len(key)
            documents.settle(doc)
            start = time.perf_counter()
            prepared = preparation.prepare(doc, end, config, backend, around=around)
            if n:  # the line opened is a new place; the keys typed on it are the typing
                times["prepare"].append((time.perf_counter() - start) * 1000)
            prompts.update((prepared.request.prompt if prepared else "").encode("utf-8", "surrogatepass"))
    for name, values in times.items():
        values = sorted(values)
        print(f"{name:26s} n={len(values):3d}  p50 {statistics.median(values):6.2f} ms  "
              f"p90 {values[int(len(values) * 0.9)]:6.2f} ms  max {values[-1]:6.2f} ms")
    print("prompts", prompts.hexdigest()[:16])


if __name__ == "__main__":
    main()
