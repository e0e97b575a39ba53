"""Benchmark of the router on a typing replay: share escalated, added latency, fallback time.

Both backends configured: OpenVINO in process (the NPU path; the CPU on machines without an NPU) and
the fake Ollama of tests/fake_ollama.py (the same local model behind Ollama's HTTP protocol), so the
"GPU" numbers measure routing and protocol overhead, not a GPU. Run: make bench-backends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from pathlib import Path

from bench.inputs import LARGE, SMALL
from fake_ollama import FakeProcess
from ghostwright import config as configuration
from ghostwright.engine.engine import Engine
from ghostwright.backends.router import GPU

# Typed top to bottom: real files of pinned packages (bench.inputs), a larger one and a small one.
FILES = [LARGE, SMALL]


def replay_points(text: str, every: int) -> list[tuple[str, int]]:
    """(document, cursor) pairs as the file is typed top to bottom: a request where typing pauses
    (after a word or a delimiter, every `every`-th one) and at each new line's indentation."""
    points = []
    lines = text.split("\n")
    pause = 0
    for i, line in enumerate(lines):
        before = "\n".join(lines[:i]) + ("\n" if i else "")
        after = "\n" + "\n".join(lines[i + 1:])
        indent = len(line) - len(line.lstrip())
        if line.strip():
            points.append((before + line[:indent] + after, len(before) + indent))  # a fresh line: a block
        for m in re.finditer(r"\w+|[^\w\s]", line[indent:]):
            pause += 1
            if pause % every == 0:
                end = indent + m.end()
                points.append((before + line[:end] + after, len(before) + end))
    return points


async def timed(engine: Engine, uri: str, text: str, offset: int) -> dict:
    """One completion the way the editor gets it: the document opened, then asked at `offset`."""
    t0 = time.monotonic()
    first: list[float] = []
    doc = engine.open(uri, text, 1, "python")
    line, character = doc.position_at(offset, engine.encoding)
    result = await engine.complete(uri, line, character,
                                   on_partial=lambda _p, _t: first.append(time.monotonic()) if not first else None)
    stats = result.stats
    return {"ms": (time.monotonic() - t0) * 1000, "first_ms": (first[0] - t0) * 1000 if first else None,
            "backend": stats.backend if stats else "", "text": result.text}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def summary(xs: list[float]) -> str:
    return (f"n={len(xs)} median {statistics.median(xs):.0f} ms, p90 {pct(xs, 0.9):.0f} ms"
            if xs else "n=0")


async def main(every: int, weak: float) -> dict:
    fake = FakeProcess().start()
    try:
        cfg, _, problems = configuration.load({
            # The same prompt asked again must reach a backend: no prompt cache; the replay is
            # timed from the request, so no debounce either.
            "completion": {"maxTokens": 32, "cacheEntries": 0, "debounceMs": 0},
            "ollama": {"model": "qwen2.5-coder:7b", "host": fake.url, "connectTimeoutS": 0.5},
            "router": {"minMeanLogprob": weak, "retryMinS": 600, "retryMaxS": 600},
        }, path=Path("/nonexistent"))
        assert not problems, problems
        told: list[tuple[float, str]] = []
        engine = Engine(cfg, tell=lambda m, _level: told.append((time.monotonic(), m)))
        engine.start()
        router = await engine.loader.wait()
        assert router is not None, engine.loader.error

        # 1. The typing replay with both backends up.
        runs = []
        for n, source in enumerate(FILES):
            uri = f"file:///bench/{n}/{source.path.rsplit('/', 1)[-1]}"
            for text, offset in replay_points(source.text(), every):
                runs.append(await timed(engine, uri, text, offset))
        routes = dict(router.routes)
        served = len([r for r in runs if r["backend"]])
        by_backend = {b: [r["ms"] for r in runs if r["backend"] == b] for b in ("openvino", "ollama")}
        escalated = sum(n for k, n in routes.items() if k.startswith(f"{GPU}:"))
        weak_escalations = sum(n for k, n in routes.items() if k in (f"{GPU}:weak", f"{GPU}:empty"))
        # What a weak escalation adds: the NPU's attempt is thrown away; its time is the added latency.
        npu_attempt_ms = statistics.median(by_backend["openvino"]) if by_backend["openvino"] else float("nan")

        # 2. Ollama disappears mid-answer: the time until the user has the NPU's answer instead.
        block = "file:///bench/block.py", "def fib(n):\n    \n", len("def fib(n):\n    ")
        fake.control(once=[{"die_after_tokens": 3}])
        t0 = time.monotonic()
        died = await timed(engine, *block)
        fallback_mid_ms = (time.monotonic() - t0) * 1000
        fake.wait_dead()
        # 3. And the requests after it: routed straight to the NPU, no retries per keystroke.
        after = [await timed(engine, *block) for _ in range(3)]
        npu_block_ms = statistics.median([a["ms"] for a in after])

        report = {
            "requests": len(runs), "served": served, "routes": routes,
            "escalated_share": escalated / max(1, len(runs)),
            "weak_or_empty_escalations": weak_escalations,
            "latency_openvino": summary(by_backend["openvino"]),
            "latency_ollama_fake": summary(by_backend["ollama"]),
            "weak_escalation_added_ms_median": npu_attempt_ms if weak_escalations else None,
            "fallback_mid_answer_ms": fallback_mid_ms, "fallback_answer_backend": died["backend"],
            "npu_block_after_fallback_ms_median": npu_block_ms,
            "fallback_extra_ms": fallback_mid_ms - npu_block_ms,
            "messages": len(told), "message": told[0][1] if told else None,
        }
        await engine.shutdown()
        return report
    finally:
        fake.kill()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--every", type=int, default=4, help="request at every N-th typing pause")
    ap.add_argument("--min-mean-logprob", type=float, default=-1.5, help="router.minMeanLogprob")
    args = ap.parse_args()
    out = asyncio.run(main(args.every, args.min_mean_logprob))
    print(json.dumps(out, indent=2))
