"""Resident memory of a bare OpenVINO GenAI pipeline over many prompts of varied length (no ghostwright code).

Separates OpenVINO's own growth from the server's:
  python tests/bench/openvino_rss.py                     # defaults
  python tests/bench/openvino_rss.py --runtime-cache 0   # CPU_RUNTIME_CACHE_CAPACITY=0
  ONEDNN_PRIMITIVE_CACHE_CAPACITY=0 python tests/bench/openvino_rss.py --runtime-cache 0
"""

from __future__ import annotations

import argparse
import random
import re
import time

import ghostwright  # noqa: F401  (blocks OpenVINO's telemetry before openvino is imported)
from ghostwright import model_store


def rss_mb() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024


def main() -> None:
    import openvino_genai

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime-cache", type=int, default=None, help="CPU_RUNTIME_CACHE_CAPACITY")
    parser.add_argument("--calls", type=int, default=240)
    args = parser.parse_args()
    props = {} if args.runtime_cache is None else {"CPU_RUNTIME_CACHE_CAPACITY": args.runtime_cache}
    pipe = openvino_genai.LLMPipeline(str(model_store.default_model_path()), "CPU", **props)
    config = openvino_genai.GenerationConfig()
    config.max_new_tokens = 4
    config.apply_chat_template = False
    rng = random.Random(1)
    body = "def add(a, b):\n    return a + b\n"
    started = time.monotonic()
    for i in range(args.calls + 1):
        prompt = f"<|fim_prefix|>{body * rng.randint(1, 40)}{'x' * rng.randint(0, 30)}<|fim_suffix|><|fim_middle|>"
        pipe.generate(prompt, config)
        if i % 40 == 0:
            print(f"{i:4d} calls  rss {rss_mb():7.1f} MB  {time.monotonic() - started:6.0f} s", flush=True)


if __name__ == "__main__":
    main()
