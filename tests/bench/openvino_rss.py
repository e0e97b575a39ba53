"""Resident memory of a bare OpenVINO GenAI pipeline over many prompts of varied length (no ghostwright code).

Separates OpenVINO's own growth from the server's; run two configurations at once to compare
(from the repository root, with PYTHONPATH=server:tests):
  python -m bench.openvino_rss                          # the server's defaults (caches at 32)
  python -m bench.openvino_rss --runtime-cache 0        # CPU_RUNTIME_CACHE_CAPACITY=0
  ONEDNN_PRIMITIVE_CACHE_CAPACITY=128 python -m bench.openvino_rss --runtime-cache 128
  MALLOC_ARENA_MAX=2 python -m bench.openvino_rss --trim
  python -m bench.openvino_rss --prompts code --distinct 12 --stop-after 2   # cancels, warm caches
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import re
import time

import ghostwright  # noqa: F401  (blocks OpenVINO's telemetry and bounds oneDNN's cache before openvino loads)
from ghostwright.models import store as model_store
from bench.inputs import LARGE, MEDIUM, REPLAY, SMALL


def rss_mb() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024


def main() -> None:
    import openvino_genai

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime-cache", type=int, default=32, help="CPU_RUNTIME_CACHE_CAPACITY (-1: OpenVINO's default)")
    parser.add_argument("--calls", type=int, default=240)
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after every call")
    parser.add_argument("--prompts", choices=["repeat", "code"], default="repeat",
                        help="repeat: one function repeated 1-40 times; code: windows of the "
                             "benches' real files (bench.inputs) up to 2 KB + 0.5 KB (the server's 512 + 128-token windows)")
    parser.add_argument("--distinct", type=int, default=0, help="cycle through this many prompts (0: a new one each call)")
    parser.add_argument("--stop-after", type=int, default=0, help="stop every generation after this many tokens, "
                        "as a cancel does (0: run to max_new_tokens)")
    parser.add_argument("--kv-blocks", type=int, default=0, help="SchedulerConfig.num_kv_blocks (0: grow as needed)")
    args = parser.parse_args()
    props: dict = {} if args.runtime_cache < 0 else {"CPU_RUNTIME_CACHE_CAPACITY": args.runtime_cache}
    if args.kv_blocks:
        scheduler = openvino_genai.SchedulerConfig()
        scheduler.num_kv_blocks = args.kv_blocks
        scheduler.enable_prefix_caching = True
        scheduler.max_num_batched_tokens = 2**31  # whole prompts at once, as LLMPipeline's own CPU default
        props["scheduler_config"] = scheduler
    label = (f"{args.prompts}, runtime cache {args.runtime_cache}, oneDNN {os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY')}, "
             f"MALLOC_ARENA_MAX {os.environ.get('MALLOC_ARENA_MAX', '-')}, trim {args.trim}, kv blocks {args.kv_blocks}, "
             f"distinct {args.distinct}, stop after {args.stop_after}")
    source = "".join(f.text() for f in (REPLAY, SMALL, MEDIUM, LARGE))
    pipe = openvino_genai.LLMPipeline(str(model_store.default_model_path()), "CPU", **props)
    config = openvino_genai.GenerationConfig()
    config.max_new_tokens = 4
    config.apply_chat_template = False
    config.logprobs = 1  # as the server asks on the CPU

    class Streamer(openvino_genai.StreamerBase):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = 0

        def write(self, token):
            self.tokens += 1
            stop = args.stop_after and self.tokens >= args.stop_after
            return openvino_genai.StreamingStatus.STOP if stop else openvino_genai.StreamingStatus.RUNNING

        def end(self) -> None:
            pass

    libc = ctypes.CDLL("libc.so.6")
    rng = random.Random(1)
    body = "def add(a, b):\n    return a + b\n"
    started = time.monotonic()
    trim_s = 0.0
    marks = {}
    for i in range(args.calls + 1):
        if args.distinct and i % args.distinct == 0:
            rng = random.Random(1)  # the same prompts again: every shape is in the caches already
        if args.prompts == "code":
            at = rng.randrange(len(source))
            prefix, suffix = source[max(0, at - rng.randint(0, 2000)):at], source[at:at + rng.randint(0, 500)]
        else:
            prefix, suffix = body * rng.randint(1, 40) + "x" * rng.randint(0, 30), ""
        prompt = f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
        pipe.generate([prompt], config, Streamer())
        if args.trim:
            t = time.perf_counter()
            libc.malloc_trim(0)
            trim_s += time.perf_counter() - t
        if i % 40 == 0 or i == args.calls:
            marks[i] = rss_mb()
            print(f"[{label}] {i:4d} calls  rss {marks[i]:7.1f} MB  {time.monotonic() - started:6.0f} s", flush=True)
    half = max(k for k in marks if k <= args.calls // 2)
    print(f"[{label}] growth {half} -> {args.calls}: {marks[args.calls] - marks[half]:+.1f} MB; "
          f"{time.monotonic() - started:.0f} s; malloc_trim {1000 * trim_s / (args.calls + 1):.1f} ms/call", flush=True)


if __name__ == "__main__":
    main()
