"""What the load check costs beside what it guards: header checks, a trial load, a cached verdict, a load.

  python tests/bench/load_check_cost.py            # the embedded model (GGUF header, IR trial load)
Prints one table: each step's time, median of --repeat runs where a step is cheap enough to repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import ghostwright  # noqa: F401  (blocks OpenVINO's telemetry before openvino loads)
from ghostwright.trust import gguf_meta, load_check
from ghostwright.models import store as model_store
from ghostwright.backends import openvino as ovb
from ghostwright.config import OpenVinoConfig


def _timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = model_store.default_model_path()
    os.environ.setdefault("GHOSTWRIGHT_MODELS_DIR", str(folder.parent))  # the model stays where it is
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="ghostwright-load-check-")  # a cold verdict cache
    gguf_file = folder / "model-q8_0.gguf"
    props = ovb.pipeline_properties(OpenVinoConfig(), "CPU")

    def header_check(path: Path) -> None:
        header = gguf_meta.read_header(path)
        gguf_meta.check_layout(header)
        gguf_meta.check_model(header)

    rows = [(f"metadata + layout check, {gguf_file.stat().st_size / 1e6:.0f} MB GGUF",
             statistics.median(_timed(lambda: header_check(gguf_file)) for _ in range(args.repeat)))]
    verdict: list[load_check.Verdict] = []
    rows.append(("first check of the IR: trial load + 1 token in a child",
                 _timed(lambda: verdict.append(asyncio.run(load_check.check(folder, "CPU", props, 600))))))
    assert verdict[0].ok, verdict[0].reason
    rows.append(("the same check again: cached verdict",
                 statistics.median(_timed(lambda: asyncio.run(load_check.check(folder, "CPU", props, 600)))
                                   for _ in range(args.repeat))))
    rows.append(("the server's own load of the IR (in process)",
                 _timed(lambda: ovb.OpenVinoBackend._load_pipeline(folder, "CPU", props))))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:9.1f} ms   ({seconds / rows[-1][1]:.2f}× a load)")


if __name__ == "__main__":
    main()
