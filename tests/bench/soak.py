"""Soak: thousands of completion requests with random cancellations against the real server.

A warm-up phase first asks for completions over the whole range of prompt sizes the soak will
use, so OpenVINO's per-shape caches and buffers reach their working size; then the measured
phase sends `--requests` more. Reports resident memory after warm-up and every 500 measured
requests (steady growth per 500 is a leak), Python's heap, threads, asyncio tasks and requests
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

from bench.inputs import LARGE, MEDIUM, SMALL
from rawlsp import RawServer

# Python threads come from pools of a fixed size (pygls' reader, asyncio's default executor) plus
# the main thread and the one OpenVINO worker: more than this would be a leak.
POOL = min(32, (os.cpu_count() or 1) + 4)
THREAD_BOUND = 1 + 2 * POOL + 1
EVERY = 500

# "files": three real files of different sizes (of pinned packages, bench.inputs), edited at random
# lines, as a user moving around a project does. The context windows (512 + 128 tokens) bound the
# prompt, so prompt sizes range from a few tokens (top of a file) to the full window, from the first
# request on.
FILES = [SMALL, MEDIUM, LARGE]
# "growing": the soak's first design: three snippets typed at their end, one character per
# request, so every prompt is longer than all before it (a new shape each time, for ever).
SNIPPETS = [
    "def add(a, b):\n    return ",
    "import os\n\ndef list_py(root):\n    return [f for f in os.listdir(root) if ",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n        ",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pos(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


async def soak(requests: int = 2000, seed: int = 1, max_tokens: int = 16, warmup: int = 300,
               documents: str = "files", timeout: float = 60, env: dict[str, str] | None = None,
               options: dict | None = None, log=lambda _msg: None) -> dict:
    rng = random.Random(seed)
    server = await RawServer.start(env=env, log_level="WARNING")
    await server.initialize({"completion": {"debounceMs": 0, "maxTokens": max_tokens}, **(options or {})})
    while True:
        status = (await server.request("ghostwright/status", {}))["result"]
        if status["backendReady"] or status["backendError"]:
            break
        await asyncio.sleep(0.1)
    assert status["backendReady"], status["backendError"]
    pid = server.proc.pid
    start_texts = ([f.text() for f in FILES] if documents == "files" else list(SNIPPETS))
    uris = [f"file:///soak/{i}.py" for i in range(len(start_texts))]
    texts = list(start_texts)
    versions = [1] * len(texts)
    for uri, text in zip(uris, texts):
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                 "version": 1, "text": text}})
    counts = {"sent": 0, "answered": 0, "completed": 0, "cancelled": 0, "superseded": 0, "stuck": 0, "errors": 0}
    marks: list[dict] = []
    started = time.monotonic()

    late: list[asyncio.Future] = []

    async def answer(request_id: int) -> dict | None:
        waiter = server._waiters[request_id]
        try:
            return await server.reply(request_id, timeout)
        except asyncio.TimeoutError:
            counts["stuck"] += 1
            late.append(waiter)  # slow or hung: told apart at the end
            return None

    async def mark(label: str) -> dict:
        # A generation cancelled by the last requests may still be finishing its token: wait until
        # the device is idle, or its task is counted as if it had leaked.
        for _ in range(200):
            status = (await server.request("ghostwright/status", {}))["result"]
            if not any(b.get("generating") for b in status.get("backends") or []):
                break
            await asyncio.sleep(0.05)
        m = {"at": label, "sent": counts["sent"], "rss_mb": round(rss_mb(pid), 1),
             "seconds": round(time.monotonic() - started, 1),
             **{k: status.get(k) for k in ("threads", "tasks", "inFlight", "rpcFutures", "pythonBlocks", "pythonHeapBytes")}}
        marks.append(m)
        log(json.dumps(m))
        return m

    total = warmup + requests
    next_mark = warmup
    while counts["sent"] < total:
        doc = rng.randrange(len(uris))
        text = texts[doc]
        if documents == "files":
            # The end of a random line: a cursor anywhere from the top to the bottom of the file.
            ends = [i for i, c in enumerate(text) if c == "\n"] + [len(text)]
            offset = rng.choice(ends)
        else:
            offset = len(text)
        ch = rng.choice("abcxyz_ (),.\n")
        line, col = _pos(text, offset)
        texts[doc] = text[:offset] + ch + text[offset:]
        versions[doc] += 1
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uris[doc], "version": versions[doc]},
            "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                          "end": {"line": line, "character": col}}, "text": ch}]})
        if len(texts[doc]) > 3000 + len(start_texts[doc]):  # keep the documents' size steady
            texts[doc] = start_texts[doc]
            versions[doc] += 1
            server.notify("textDocument/didChange", {"textDocument": {"uri": uris[doc], "version": versions[doc]},
                                                     "contentChanges": [{"text": texts[doc]}]})
            offset = len(texts[doc]) - 1
        pos = _pos(texts[doc], min(offset + 1, len(texts[doc])))
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
        if counts["sent"] >= next_mark:
            await mark("warm" if not marks else f"+{counts['sent'] - marks[0]['sent']}")
            next_mark = (marks[0]["sent"] if marks else warmup) + EVERY * len(marks)
    await asyncio.sleep(0.5)
    if marks[-1]["sent"] != counts["sent"]:
        await mark("end")
    end_status = (await server.request("ghostwright/status", {}))["result"]
    server.notify("textDocument/didChange", {"textDocument": {"uri": uris[0], "version": versions[0] + 1},
                                             "contentChanges": [{"text": "def add(a, b):\n    return "}]})
    final = await server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uris[0]}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}})
    code = await server.close()
    counts["stuck_answered_later"] = sum(w.done() for w in late)
    backend = end_status["backends"][0]
    warm, end = marks[0], marks[-1]
    return {
        **counts, "warmup": warm["sent"], "documents": documents,
        "seconds": round(time.monotonic() - started, 1), "exit_code": code,
        "marks": marks, "warm": warm, "end": end,
        "rss_growth_mb": round(end["rss_mb"] - warm["rss_mb"], 1),
        "growth_per_500_mb": [round(b["rss_mb"] - a["rss_mb"], 1) for a, b in zip(marks, marks[1:])],
        "generations": backend["requests"], "generations_cancelled": backend["cancellations"],
        "final_items": final.get("result", {}).get("items", []),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests, after the warm-up")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--documents", choices=["files", "growing"], default="files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--kernel-cache", type=int, help="openvino.kernelCacheEntries (default: the config's)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace the server's Python heap (slower)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the server, e.g. ONEDNN_PRIMITIVE_CACHE_CAPACITY=32")
    args = parser.parse_args()
    env = dict(e.split("=", 1) for e in args.env)
    if args.tracemalloc:
        env["PYTHONTRACEMALLOC"] = "1"
    options = {} if args.kernel_cache is None else {"openvino": {"kernelCacheEntries": args.kernel_cache}}
    report = asyncio.run(soak(args.requests, args.seed, args.max_tokens, args.warmup, args.documents, env=env,
                              options=options, log=lambda msg: print(msg, file=sys.stderr, flush=True)))
    report["final_items"] = len(report["final_items"])
    report["server_env"], report["options"] = env, options
    print(json.dumps({k: v for k, v in report.items() if k != "marks"}, indent=2))
    warm, end = report["warm"], report["end"]
    ok = (report["stuck"] == 0 and report["errors"] == 0 and report["rss_growth_mb"] < 20
          and report["answered"] == report["sent"] and end["inFlight"] == 0
          and end["threads"] <= THREAD_BOUND and end["tasks"] <= warm["tasks"] and report["exit_code"] == 0)
    print("soak: " + ("PASS" if ok else "FAIL") + f" (RSS growth {report['rss_growth_mb']} MB over "
          f"{report['sent'] - report['warmup']} requests after a warm-up of {report['warmup']}, per 500: "
          f"{report['growth_per_500_mb']}; {report['stuck']} stuck, threads {warm['threads']}->{end['threads']}, "
          f"tasks {warm['tasks']}->{end['tasks']}, Python blocks {warm['pythonBlocks']}->{end['pythonBlocks']})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
