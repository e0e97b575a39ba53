"""`make bench-latency`: typing replay, server overhead and warm-vs-cold time to first token.

Everything runs against the real server process (over stdio, as an editor drives it) and the
embedded model; the figures are printed and, with --write, kept in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ghostwright.backends.base import percentiles
from ghostwright.lsp.methods import PARTIAL, STATUS
from bench.inputs import REPLAY, REPLAY_FUNCTION, function_span, long_file
from rawlsp import RawServer

INLINE = "textDocument/inlineCompletion"




class Editor(RawServer):
    """A minimal editor: one document, a cursor, the suggestion it would show. It speaks plain
    JSON-RPC, as an editor's C JSON parser does (Emacs): a Python LSP client's own work of
    turning each message into typed objects would count against the server."""

    partials: list[tuple[float, dict]]
    uri = "file:///bench/replay.py"
    text = ""
    version = 0

    @classmethod
    async def launch(cls, options: dict) -> "Editor":
        editor = await cls.start(log_level="WARNING")
        editor.partials = []
        await editor.initialize(options)
        for _ in range(1200):
            status = await editor.status()
            if status["backendReady"] or status["backendError"]:
                if status["backendError"]:
                    raise SystemExit(f"bench: {status['backendError']}")
                return editor
            await asyncio.sleep(0.1)
        raise SystemExit("bench: the model did not load in 120 s")

    def received(self, message: dict) -> None:
        if message.get("method") == PARTIAL:
            self.partials.append((time.perf_counter(), message["params"]))
            return
        super().received(message)

    async def stop(self) -> None:
        await self.close()

    async def status(self) -> dict:
        return (await self.request(STATUS, {}))["result"]

    async def counters(self) -> dict:
        return (await self.status())["backends"][0]

    def open(self, text: str, uri: str | None = None) -> None:
        self.uri = uri or self.uri
        self.text, self.version = text, 1
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "python", "version": 1, "text": text}})

    def offset_of_line(self, line: int) -> int:
        at = 0
        for _ in range(line):
            at = self.text.index("\n", at) + 1
        return at

    def position(self, offset: int) -> dict:
        line = self.text.count("\n", 0, offset)
        start = self.text.rfind("\n", 0, offset) + 1
        return {"line": line, "character": offset - start}  # BMP-only inputs: UTF-16 = code points

    def edit(self, start: int, end: int, new: str) -> None:
        a, b = self.position(start), self.position(end)
        self.text = self.text[:start] + new + self.text[end:]
        self.version += 1
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": a, "end": b}, "text": new}]})

    def ask(self, offset: int, invoked: bool = False) -> asyncio.Future:
        """The inline completion at `offset`: a future of its items (None when it failed)."""
        params = {"textDocument": {"uri": self.uri}, "position": self.position(offset),
                  "context": {"triggerKind": 1 if invoked else 2}}
        return asyncio.ensure_future(self._items(self.request(INLINE, params, timeout=120)))

    @staticmethod
    async def _items(answer) -> list[dict] | None:
        message = await answer
        return None if "error" in message else (message.get("result") or {}).get("items", [])


# --- typing replay ---------------------------------------------------------------------------

@dataclass
class Key:
    at: float  # seconds from the start
    kind: str  # "type" (text), "typo" (a wrong character), "backspace"
    text: str = ""
    pause_after: bool = False


def human_schedule(target: str, seed: int) -> list[Key]:
    """Keystrokes for typing `target`: bursts of 8-12 chars/s, pauses of 300-1500 ms, a few typos.

    Enter brings the next line's indentation with it, as an editor's electric indent does.
    """
    rng = random.Random(seed)
    keys: list[Key] = []
    t, i, burst = 0.5, 0, rng.randint(5, 25)
    while i < len(target):
        rate = rng.uniform(8, 12)
        ch = target[i]
        if ch == "\n":
            j = i + 1
            while j < len(target) and target[j] in " \t":
                j += 1
            text, i = target[i:j], j
        else:
            text, i = ch, i + 1
        if ch.isalpha() and rng.random() < 0.03:  # a typo, seen and fixed at once
            keys.append(Key(t, "typo", rng.choice("qxzjk")))
            t += 1 / rate
            keys.append(Key(t, "backspace"))
            t += 1 / rate
        keys.append(Key(t, "type", text))
        burst -= 1
        if burst <= 0 or ch == "\n" and rng.random() < 0.5:
            keys[-1].pause_after = True
            t += rng.uniform(0.3, 1.5)
            burst = rng.randint(5, 25)
        else:
            t += 1 / rate * rng.uniform(0.7, 1.3)
    return keys


@dataclass
class ReplayResult:
    keystrokes: int = 0
    accepted_chars: int = 0
    accepts: int = 0
    answers: int = 0  # requests answered with a suggestion
    pauses: int = 0
    pause_first_ms: list[float] = field(default_factory=list)
    counters: dict = field(default_factory=dict)


async def replay(seed: int, limit: int, options: dict | None = None) -> ReplayResult:
    # A method of a real module (bench.inputs.REPLAY), typed anew as a user would write it.
    source = REPLAY.text()
    start, end = function_span(source, REPLAY_FUNCTION)
    # Written on a line of its own, as a new function is, with the rest of the file below it.
    target = source[start:end].rstrip("\n")[:limit]
    editor = await Editor.launch(options or {})  # the defaults: adaptive debounce, cache on
    result = ReplayResult()
    try:
        editor.open(source[:start] + "\n\n" + source[end:].lstrip("\n"))
        before = await editor.counters()
        cursor, typed = start, 0
        keys = human_schedule(target, seed)
        clock0 = time.perf_counter()
        # What the editor shows: the newest suggestion for the current version and cursor.
        answers: dict[int, tuple[str, float]] = {}
        k = 0
        while k < len(keys):
            key = keys[k]
            delay = clock0 + key.at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if key.kind == "backspace":
                editor.edit(cursor - 1, cursor, "")
                cursor -= 1
            else:
                editor.edit(cursor, cursor, key.text)
                cursor += len(key.text)
                typed += len(key.text) if key.kind == "type" else 0
            result.keystrokes += 1
            version, sent = editor.version, time.perf_counter()
            fut = editor.ask(cursor)
            fut.add_done_callback(lambda f, v=version: _keep(answers, v, f))
            k += 1
            if not key.pause_after:
                continue
            result.pauses += 1
            pause_end = clock0 + (keys[k].at if k < len(keys) else key.at + 1.0)
            while time.perf_counter() < pause_end:
                await asyncio.sleep(0.01)
            first = _first_shown(editor, version, answers, sent)
            if first is not None and first <= pause_end:
                result.pause_first_ms.append((first - sent) * 1000)
            # The user accepts a suggestion that is exactly what they were about to type.
            shown = _shown(editor, version, answers)
            remaining = target[typed:]
            if shown and len(shown.strip()) >= 2 and remaining.startswith(shown) and k < len(keys):
                editor.edit(cursor, cursor, shown)
                cursor += len(shown)
                typed += len(shown)
                result.accepts += 1
                result.accepted_chars += len(shown)
                result.keystrokes += 1
                editor.ask(cursor)
                keys = keys[:k] + _skip(keys[k:], len(shown), target, typed - len(shown))
        await asyncio.sleep(1.0)
        after = await editor.counters()
        result.counters = {key: after[key] - before[key] for key in (
            "requests", "cancellations", "cacheHits", "typeaheadHits", "tokensGenerated",
            "tokensDiscarded", "tokensCancelled", "tokensAfterCancel")}
        result.counters["ttftMs"] = after["ttftMs"]
        result.answers = sum(1 for text, _t in answers.values() if text)
    finally:
        await editor.stop()
    return result


def _keep(answers: dict[int, tuple[str, float]], version: int, fut: asyncio.Future) -> None:
    if fut.cancelled() or fut.exception() is not None or fut.result() is None:
        return
    items = fut.result()
    answers[version] = (items[0]["insertText"] if items else "", time.perf_counter())


def _first_shown(editor: Editor, version: int, answers: dict[int, tuple[str, float]], sent: float) -> float | None:
    times = [t for t, p in editor.partials if p["textDocument"]["version"] == version and p["text"] and t >= sent]
    text, at = answers.get(version, ("", 0.0))
    if text:
        times.append(at)
    return min(times) if times else None


def _shown(editor: Editor, version: int, answers: dict[int, tuple[str, float]]) -> str:
    if version in answers:
        return answers[version][0]
    texts = [p["text"] for _t, p in editor.partials if p["textDocument"]["version"] == version]
    return texts[-1] if texts else ""


def _skip(keys: list[Key], chars: int, target: str, at: int) -> list[Key]:
    """Drop the keystrokes for `chars` characters that an accept inserted; later keys keep their times."""
    out, done = [], 0
    for key in keys:
        if done < chars:
            done += len(key.text) if key.kind == "type" else 0
            continue
        if not out and key.kind == "backspace":
            continue  # the typo it fixes was skipped
        out.append(key)
    return out


# --- server overhead -------------------------------------------------------------------------

STATEMENT = "n = 1"  # typed a key at a time at each place, a request after each key
# The editor asks after this much idle time following an edit (ghostwright.el's
# `ghostwright-idle-delay`); the request's own time is what is measured.
EDITOR_IDLE_S = 0.05


async def overhead(samples: int, seed: int) -> dict:
    editor = await Editor.launch({"completion": {"debounceMs": 0, "maxTokens": 8}})
    rng = random.Random(seed)
    rows: list[float] = []
    inside: list[float] = []
    e2e: list[float] = []
    try:
        editor.open(long_file(5000), "file:///bench/big.py")
        end = 0
        for n in range(samples):
            # The user opens a line at one place and types a statement, then moves on: the first
            # request at a new place meets lines the server has not counted yet, the next ones do not.
            if n % len(STATEMENT) == 0:
                lines = editor.text.split("\n")
                # Statements inside bodies, followed by more of the same body: a new line typed
                # below one of them is new code in the middle of a function, as a user writes it.
                candidates = [i for i, l in enumerate(lines[:-1]) if l.startswith("        ") and l.strip()
                              and not l.rstrip().endswith((":", ",", "(", "[", "{", "\\"))
                              and lines[i + 1].startswith(l[:len(l) - len(l.lstrip())])]
                line = rng.choice(candidates)
                indent = lines[line][:len(lines[line]) - len(lines[line].lstrip())]
                end = editor.text.index("\n", editor.offset_of_line(line))
                editor.edit(end, end, "\n" + indent)
                end += 1 + len(indent)
            key = STATEMENT[n % len(STATEMENT)]
            editor.edit(end, end, key)  # one keystroke first: the document changed, as when typing
            end += 1
            await asyncio.sleep(EDITOR_IDLE_S)
            calls = (await editor.counters())["requests"]
            sent = time.perf_counter()
            await editor.ask(end, invoked=True)
            total = (time.perf_counter() - sent) * 1000
            for _ in range(100):  # a generation stopped early records its end a token later
                c = await editor.counters()
                if c["requests"] > calls:
                    break
                await asyncio.sleep(0.02)
            last = c["lastGeneration"]
            if c["requests"] == calls + 1 and last and last["generateMs"] is not None:
                rows.append(total - last["generateMs"])
                inside.append((await editor.status())["lastRequestMs"] - last["generateMs"])
                e2e.append(total)
    finally:
        await editor.stop()
    return {"samples": len(rows), "overhead": percentiles(rows, (50, 99)),
            "inside": percentiles(inside, (50, 99)), "e2e": percentiles(e2e, (50, 99))}


# --- warm vs cold time to first token ---------------------------------------------------------

async def warm_cold(rounds: int) -> dict:
    from ghostwright import config as configuration
    from ghostwright.backends.base import GenerationRequest, Hooks
    from ghostwright.backends.factory import make_backend

    backend = make_backend(configuration.Config(), Hooks())
    await backend.load(lambda _m: None)
    assert backend.template is not None
    text = long_file(3000)
    template = backend.template

    async def ttft(prompt: str) -> float:
        gen = backend.start(GenerationRequest(prompt, 1, 0.0))
        async for _ in gen:
            pass
        await gen.done.wait()
        return gen.stats.ttft_ms or 0.0

    out: dict[str, list[float]] = {"cold": [], "warm_tail": [], "cold_fim": [], "warm_fim": []}
    await ttft(template.render(text[:500], ""))  # first-call set-up is not what we measure
    for r in range(rounds):
        base = 2000 + r * 4000
        prefix = text[base:base + 1800]
        suffix = text[base + 1800:base + 2200]
        # Prefix-only prompts: the user typed up to 20 characters at the end of the prompt.
        other = text[base + 60000:base + 60000 + 1800 + 12]
        out["cold"].append(await ttft(template.render(other, "")))
        await ttft(template.render(prefix, ""))
        out["warm_tail"].append(await ttft(template.render(prefix + "return self", "")))
        # Fill-in-the-middle: typing changes the end of the prefix, and the suffix window after it.
        other_fim = text[base + 90000:base + 90000 + 1800 + 12]
        out["cold_fim"].append(await ttft(template.render(other_fim, text[base + 95000:base + 95400])))
        await ttft(template.render(prefix, suffix))
        out["warm_fim"].append(await ttft(template.render(prefix + "return self", suffix)))
    med = {k: statistics.median(v) for k, v in out.items()}
    return {"rounds": rounds, **{k: round(v, 1) for k, v in med.items()},
            "ratio_tail": round(med["warm_tail"] / med["cold"], 3),
            "ratio_fim": round(med["warm_fim"] / med["cold_fim"], 3)}


# --- report ----------------------------------------------------------------------------------

def report(rep: ReplayResult | None, over: dict | None, wc: dict | None) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = ["## Latency", "",
             f"`make bench-latency` ({time.strftime('%Y-%m-%d')}, embedded qwen2.5-coder-0.5b on the CPU,"
             f" {os.cpu_count()} cores, load average {load:.1f} at the end of the run)."
             " What the figures mean: [latency.md](latency.md#what-the-figures-say).", ""]
    if rep is not None:
        c = rep.counters
        k = max(1, rep.keystrokes)
        pf = percentiles(rep.pause_first_ms, (50, 95))
        lines += [
            f"**Typing replay** ({REPLAY.label}, `{REPLAY_FUNCTION}`, typed with a seeded human rhythm;"
            " a suggestion that is exactly the next text is accepted at the end of a pause):", "",
            "| figure | value | goal |", "|---|---|---|",
            f"| keystrokes (incl. backspaces, accepts) | {rep.keystrokes} | |",
            f"| model calls per 100 keystrokes | {100 * c['requests'] / k:.1f} | |",
            f"| generations cancelled | {c['cancellations']} | |",
            f"| tokens generated / thrown away (never shown) | {c['tokensGenerated']} / {c['tokensDiscarded']}"
            f" ({100 * c['tokensDiscarded'] / max(1, c['tokensGenerated']):.0f}%) | thrown away ≤ 25% |",
            f"| tokens of cancelled generations, shown or not | {c['tokensCancelled']}"
            f" ({100 * c['tokensCancelled'] / max(1, c['tokensGenerated']):.0f}%) | |",
            f"| tokens after a cancel (all cancels) | {c['tokensAfterCancel']} | ≤ 1 per cancel |",
            f"| pause → first partial p50 / p95 | {pf['p50']} / {pf['p95']} ms"
            f" ({len(rep.pause_first_ms)} of {rep.pauses} pauses showed a suggestion) | |",
            f"| typed-ahead hits / cache hits | {c['typeaheadHits']} / {c['cacheHits']} | |",
            f"| requests answered with a suggestion | {rep.answers} | |",
            f"| model time to first token p50 / p95 | {c['ttftMs']['p50']} / {c['ttftMs']['p95']} ms | |",
            f"| accepts (characters) | {rep.accepts} ({rep.accepted_chars}) | |", ""]
    if over is not None:
        lines += [
            f"**Server overhead** on a 5,000-line file ({over['samples']} invoked requests, each after a keystroke,"
            f" a new line opened under a statement in a function body at each of"
            f" {-(-over['samples'] // len(STATEMENT))} random places and `{STATEMENT}` typed into it,"
            f" the request {EDITOR_IDLE_S * 1000:.0f} ms after the key as ghostwright.el sends it;"
            " end-to-end LSP time minus the backend's time from request to its last wanted token):", "",
            "| figure | p50 | p99 | goal |", "|---|---|---|---|",
            f"| overhead | {over['overhead']['p50']} ms | {over['overhead']['p99']} ms | p50 ≤ 3 ms, p99 ≤ 15 ms |",
            f"| of which inside the server (request in to answer out, minus the backend) |"
            f" {over['inside']['p50']} ms | {over['inside']['p99']} ms | |",
            f"| end to end | {over['e2e']['p50']} ms | {over['e2e']['p99']} ms | |", ""]
    if wc is not None:
        lines += [
            f"**Warm vs cold time to first token** (median of {wc['rounds']} rounds, prompts of ~1,800 characters):",
            "", "| prompt | cold | warm | warm / cold | goal |", "|---|---|---|---|---|",
            f"| prefix only, last 11 characters changed | {wc['cold']} ms | {wc['warm_tail']} ms"
            f" | {wc['ratio_tail']:.0%} | ≤ 30% |",
            f"| fill-in-the-middle, 11 characters typed before a 400-character suffix | {wc['cold_fim']} ms"
            f" | {wc['warm_fim']} ms | {wc['ratio_fim']:.0%} | |", ""]
    return "\n".join(lines)


def write_section(section: str, path: Path) -> None:
    """Replace (or add) the Latency section of docs/benchmarks.md; other sections stay."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    start = text.find("## Latency")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        nxt = text.find("\n## ", start + 1)
        rest = "" if nxt == -1 else text[nxt:]
        text = text[:start] + section.rstrip("\n") + "\n" + rest
    path.write_text(text, encoding="utf-8")


async def main_async(args: argparse.Namespace) -> str:
    rep = await replay(args.seed, args.chars, json.loads(args.options)) if "replay" in args.parts else None
    over = await overhead(args.samples, args.seed) if "overhead" in args.parts else None
    wc = await warm_cold(args.rounds) if "warm" in args.parts else None
    return report(rep, over, wc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="PYTHONPATH=tests python -m bench.latency", description=__doc__)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--chars", type=int, default=600, help="characters of the replay to type")
    parser.add_argument("--samples", type=int, default=100, help="requests for the overhead figure")
    parser.add_argument("--rounds", type=int, default=5, help="warm/cold rounds")
    parser.add_argument("--parts", nargs="+", default=["replay", "overhead", "warm"],
                        choices=["replay", "overhead", "warm"])
    parser.add_argument("--options", default="{}", help="initializationOptions (JSON) for the replay")
    parser.add_argument("--write", type=Path, help="keep the section in this markdown file (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    section = asyncio.run(main_async(args))
    print(section)
    if args.write:
        write_section(section, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
