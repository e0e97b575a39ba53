"""Bounded inputs: a minified line under the cursor and a document over completion.maxDocumentBytes.

Runs the real server (the embedded model) on two cases and prints their figures; with
`--before DIR` (a tree holding another version's `server/`, e.g. `git archive b31f9f1 server`)
the same cases run against that version too, side by side with ratios.

- long line: a JavaScript file whose second line is lodash's minified build joined into one
  line (about 200 KB), the cursor in its middle: time to answer the completion request, and the
  server's resident memory before the file is opened, after the request and after didClose.
  Run with the default completion.maxLineBytes (the line is refused) and with the limit raised
  over the line (the windows cut the line to the token budgets).
- huge document: a Python file made of a third-party module (pygls' json_rpc.py) repeated to
  `--mb` MB: the time didOpen holds the server, then `--edits` single-character edits, each
  followed at once by a `ghostwright/status` request (the latency every other request sees while
  the server applies the edit), and the resident memory before, after the edits and after close.

`make bench-bounds` fetches lodash with npm (once) and runs it; BEFORE=DIR adds the old column.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from bench.soak import rss_mb
from rawlsp import RawServer

ROOT = Path(__file__).resolve().parents[2]

HUGE_SOURCE = "pygls/protocol/json_rpc.py"
TYPED = 's = """doc'


def third_party_file(relative: str) -> Path:
    """A file of an installed third-party package (never the standard library)."""
    import pygls

    path = Path(pygls.__file__).resolve().parent.parent / relative
    if not path.is_file():
        raise SystemExit(f"{path} is missing: the bench needs pygls installed")
    return path


def minified_line(js: Path, size: int) -> str:
    """lodash.min.js joined into one line, repeated to `size` characters."""
    one = js.read_text(encoding="utf-8").replace("\n", "")
    return (one * (size // len(one) + 1))[:size]


async def _started(pythonpath: str, options: dict) -> RawServer:
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [pythonpath, os.environ.get("PYTHONPATH", "")]))}
    server = await RawServer.start(env=env, log_level="ERROR")
    await server.initialize(options)
    deadline = time.monotonic() + 300
    while True:
        status = (await server.request("ghostwright/status", {}))["result"]
        if status["backendReady"] or status["backendError"]:
            return server
        if time.monotonic() > deadline:
            raise SystemExit("the model did not load in 300 s")
        await asyncio.sleep(0.2)


async def _settled(server: RawServer, seconds: float = 0.5) -> None:
    await server.request("ghostwright/status", {}, timeout=600)
    await asyncio.sleep(seconds)


async def long_line(pythonpath: str, js: Path, size: int, max_line_bytes: int | None) -> dict:
    options: dict = {"completion": {"debounceMs": 0, "maxTokens": 16}}
    if max_line_bytes is not None:
        options["completion"]["maxLineBytes"] = max_line_bytes
    server = await _started(pythonpath, options)
    try:
        uri = "file:///bench/bundle.js"
        line = minified_line(js, size)
        text = "'use strict';\n" + line + "\nmodule.exports = _;\n"
        # Warm: one ordinary completion first, so the figures are of the long line alone.
        server.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///bench/w.js", "languageId": "javascript",
                                                                "version": 1, "text": "function add(a, b) {\n  return "}})
        await server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": "file:///bench/w.js"}, "position": {"line": 1, "character": 9},
            "context": {"triggerKind": 1}}, timeout=600)
        await _settled(server)
        before = rss_mb(server.proc.pid)
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "javascript",
                                                                "version": 1, "text": text}})
        t = time.monotonic()
        reply = await server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": 1, "character": size // 2},
            "context": {"triggerKind": 1}}, timeout=600)
        answer_ms = (time.monotonic() - t) * 1000
        items = len(reply.get("result", {}).get("items", [])) if "result" in reply else -1
        await _settled(server)
        after = rss_mb(server.proc.pid)
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        await _settled(server, 2)
        closed = rss_mb(server.proc.pid)
        return {"answer ms": answer_ms, "items": items, "RSS before MB": before, "RSS after request MB": after,
                "RSS after close MB": closed}
    finally:
        await server.close()


async def huge_document(pythonpath: str, mb: float, edits: int) -> dict:
    server = await _started(pythonpath, {"completion": {"debounceMs": 0}})
    try:
        source = third_party_file(HUGE_SOURCE).read_text(encoding="utf-8")
        text = source * int(mb * 1e6 / len(source) + 1)
        lines = text.count("\n")
        uri = "file:///bench/huge.py"
        await _settled(server)
        before = rss_mb(server.proc.pid)
        t = time.monotonic()
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                "version": 1, "text": text}})
        await server.request("ghostwright/status", {}, timeout=600)
        open_ms = (time.monotonic() - t) * 1000
        waits = []
        line = lines // 2
        for i in range(edits):
            # Typing the start of a docstring: from the third quote on, the rest of the file is
            # inside a string (what a parser meets at every opening quote).
            typed = TYPED[i % len(TYPED)]
            column = i % len(TYPED)
            if column == 0 and i:
                line += 1
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2 + i}, "contentChanges": [
                {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}},
                 "text": typed}]})
            t = time.monotonic()
            await server.request("ghostwright/status", {}, timeout=600)
            waits.append((time.monotonic() - t) * 1000)
            await asyncio.sleep(0.05)
        await _settled(server)
        after = rss_mb(server.proc.pid)
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        await _settled(server, 2)
        closed = rss_mb(server.proc.pid)
        return {"document MB": len(text.encode()) / 1e6, "didOpen holds ms": open_ms,
                "other request during edit p50 ms": statistics.median(waits),
                "other request during edit max ms": max(waits),
                "RSS before MB": before, "RSS after edits MB": after, "RSS after close MB": closed}
    finally:
        await server.close()


def _table(title: str, columns: dict[str, dict]) -> str:
    names = list(columns)
    keys = list(next(iter(columns.values())))
    out = [f"\n### {title}\n", "| | " + " | ".join(names) + (" | ratio |" if len(names) == 2 else " |"),
           "|---" * (len(names) + 1 + (len(names) == 2)) + "|"]
    for key in keys:
        values = [columns[n][key] for n in names]
        cells = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in values]
        ratio = ""
        if len(values) == 2 and isinstance(values[0], float) and values[1]:
            ratio = f" | {values[0] / values[1]:.1f}×"
        elif len(values) == 2:
            ratio = " | "
        out.append(f"| {key} | " + " | ".join(cells) + ratio + " |")
    return "\n".join(out)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--js", type=Path, required=True, help="lodash.min.js (make bench-bounds fetches it)")
    parser.add_argument("--before", type=Path, help="a tree with another version's server/ to compare with")
    parser.add_argument("--line-kb", type=int, default=200)
    parser.add_argument("--mb", type=float, default=20.0, help="size of the huge document")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--cases", default="line,document", help="line, document or both (comma-separated)")
    args = parser.parse_args()
    versions = {"now": str(ROOT / "server")}
    if args.before:
        versions = {"before": str(args.before.resolve() / "server"), **versions}
    size = args.line_kb * 1000
    report = [f"bench-bounds: {args.line_kb} KB minified line (lodash.min.js joined), "
              f"{args.mb:g} MB document ({HUGE_SOURCE} repeated), {args.edits} edits"]
    cases = args.cases.split(",")
    for label, limit in (("long line, default limits", None), ("long line, maxLineBytes raised over it", 10 * size)):
        if "line" not in cases:
            break
        columns = {}
        for name, path in versions.items():
            print(f"{label}: {name} …", file=sys.stderr, flush=True)
            columns[name] = await long_line(path, args.js, size, limit)
        report.append(_table(label, columns))
    columns = {}
    for name, path in versions.items() if "document" in cases else ():
        print(f"huge document: {name} …", file=sys.stderr, flush=True)
        columns[name] = await huge_document(path, args.mb, args.edits)
    if columns:
        report.append(_table("huge document, typing a docstring", columns))
    print("\n".join(report))


if __name__ == "__main__":
    asyncio.run(main())
