"""Soak: thousands of completion requests with random cancellations against the real server.

Reports resident memory after warm-up and at the end, threads, asyncio tasks and requests still
in flight, and any request that got no answer in time ("stuck"). `make bench-soak` runs 2,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rawlsp import RawServer  # noqa: E402

# Python threads come from pools of a fixed size (pygls' reader, asyncio's default executor) plus
# the main thread and the one OpenVINO worker: more than this would be a leak.
POOL = min(32, (os.cpu_count() or 1) + 4)
THREAD_BOUND = 1 + 2 * POOL + 1

CODE = [
    "def add(a, b):\n    return ",
    "import os\n\ndef list_py(root):\n    return [f for f in os.listdir(root) if ",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n        ",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(requests: int = 2000, seed: int = 1, max_tokens: int = 16, warmup: int = 100,
               timeout: float = 60, log=lambda _msg: None) -> dict:
    rng = random.Random(seed)
    server = await RawServer.start(log_level="WARNING")
    await server.initialize({"completion": {"debounceMs": 0, "maxTokens": max_tokens}})
    while True:
        status = (await server.request("ghostwright/status", {}))["result"]
        if status["backendReady"] or status["backendError"]:
            break
        await asyncio.sleep(0.1)
    assert status["backendReady"], status["backendError"]
    pid = server.proc.pid
    uris = [f"file:///soak/{i}.py" for i in range(len(CODE))]
    texts = list(CODE)
    versions = [1] * len(CODE)
    for uri, text in zip(uris, texts):
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                 "version": 1, "text": text}})
    counts = {"sent": 0, "answered": 0, "completed": 0, "cancelled": 0, "superseded": 0, "stuck": 0, "errors": 0}
    warm: dict = {}
    started = time.monotonic()

    async def answer(request_id: int) -> dict | None:
        try:
            return await server.reply(request_id, timeout)
        except asyncio.TimeoutError:
            counts["stuck"] += 1
            return None

    while counts["sent"] < requests:
        doc = rng.randrange(len(uris))
        # Typing: append a character, so documents change between requests as in an editor.
        ch = rng.choice("abcxyz_ (),.\n")
        line = texts[doc].count("\n")
        col = len(texts[doc]) - texts[doc].rfind("\n") - 1
        texts[doc] += ch
        versions[doc] += 1
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uris[doc], "version": versions[doc]},
            "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                          "end": {"line": line, "character": col}}, "text": ch}]})
        if len(texts[doc]) > 3000:  # keep the prompt size steady over thousands of requests
            texts[doc] = CODE[doc]
            versions[doc] += 1
            server.notify("textDocument/didChange", {"textDocument": {"uri": uris[doc], "version": versions[doc]},
                                                     "contentChanges": [{"text": texts[doc]}]})
        pos = texts[doc].count("\n"), len(texts[doc]) - texts[doc].rfind("\n") - 1
        burst = rng.choice([1, 1, 1, 2, 3])  # 2-3: later ones supersede earlier ones for the document
        ids = []
        for _ in range(burst):
            ids.append(server.send("textDocument/inlineCompletion", {
                "textDocument": {"uri": uris[doc]}, "position": {"line": pos[0], "character": pos[1]},
                "context": {"triggerKind": rng.choice([1, 2])}}))
            counts["sent"] += 1
        if rng.random() < 0.35:
            await asyncio.sleep(rng.uniform(0, 0.08))
            server.notify("$/cancelRequest", {"id": ids[-1]})
            counts["cancelled"] += 1
        counts["superseded"] += burst - 1
        for request_id in ids:
            reply = await answer(request_id)
            if reply is None:
                continue
            counts["answered"] += 1
            if "error" in reply:
                counts["errors"] += reply["error"]["code"] != -32800  # RequestCancelled is expected
            elif reply["result"]["items"]:
                counts["completed"] += 1
        if not warm and counts["sent"] >= min(warmup, requests // 4):
            warm = {**(await server.request("ghostwright/status", {}))["result"], "rss_mb": rss_mb(pid)}
            log(f"warm after {counts['sent']} requests: rss {warm['rss_mb']:.1f} MB, "
                f"threads {warm['threads']}, tasks {warm['tasks']}")
        if counts["sent"] % 250 < burst:
            log(f"{counts['sent']} sent, rss {rss_mb(pid):.1f} MB")
    await asyncio.sleep(0.5)
    end = {**(await server.request("ghostwright/status", {}))["result"], "rss_mb": rss_mb(pid)}
    server.notify("textDocument/didChange", {"textDocument": {"uri": uris[0], "version": versions[0] + 1},
                                             "contentChanges": [{"text": CODE[0]}]})
    final = await server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uris[0]}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}})
    code = await server.close()
    backend = end["backends"][0]
    return {
        **counts, "seconds": round(time.monotonic() - started, 1), "exit_code": code,
        "warm": {k: warm[k] for k in ("rss_mb", "threads", "tasks", "inFlight")},
        "end": {k: end[k] for k in ("rss_mb", "threads", "tasks", "inFlight")},
        "rss_growth_mb": round(end["rss_mb"] - warm["rss_mb"], 1),
        "generations": backend["requests"], "generations_cancelled": backend["cancellations"],
        "final_items": final.get("result", {}).get("items", []),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    report = asyncio.run(soak(args.requests, args.seed, args.max_tokens,
                              log=lambda msg: print(msg, file=sys.stderr, flush=True)))
    report["final_items"] = len(report["final_items"])
    print(json.dumps(report, indent=2))
    ok = (report["stuck"] == 0 and report["errors"] == 0 and report["rss_growth_mb"] < 20
          and report["end"]["inFlight"] == 0 and report["end"]["threads"] <= THREAD_BOUND
          and report["end"]["tasks"] <= report["warm"]["tasks"] and report["exit_code"] == 0)
    print("soak: " + ("PASS" if ok else "FAIL") + f" (RSS growth {report['rss_growth_mb']} MB after warm-up, "
          f"{report['stuck']} stuck, threads {report['warm']['threads']}->{report['end']['threads']}, "
          f"tasks {report['warm']['tasks']}->{report['end']['tasks']})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
