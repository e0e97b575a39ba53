"""Real code nobody on this project wrote, holes at many kinds of place: ghostwright through its
LSP server against llm-ls's strategy on the same model, per language and per kind of place
(`make bench-real`)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import time
from collections import defaultdict
from pathlib import Path

from ghostwright.evaluation.holes import (  # noqa: F401 (the bench's names, kept)
    COMMENT, MAX_LINE, PLACES, Hole, candidates, interleaved, make_holes,
)
from ghostwright.evaluation.scoring import Score, first_line, is_exact, similarity  # noqa: F401

DATA = Path(__file__).resolve().parent / "data" / "real"
LANGUAGES = ("python", "javascript", "emacs-lisp", "go", "c")
LANGUAGE_IDS = {"python": "python", "javascript": "javascript", "emacs-lisp": "emacs-lisp", "go": "go", "c": "c"}
PER_LANGUAGE = 130


# --- the data: pinned files, checked against their manifest ---
def manifest() -> list[dict]:
    return json.loads((DATA / "MANIFEST.json").read_text(encoding="utf-8"))["files"]


def load_files() -> dict[str, list[tuple[str, str]]]:
    """language → [(relative path, text)], each file's sha256 checked against the manifest."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in manifest():
        raw = (DATA / entry["path"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise SystemExit(f"{entry['path']}: sha256 {digest} is not the manifest's {entry['sha256']}")
        out[entry["language"]].append((entry["path"], raw.decode("utf-8")))
    return out


# --- running ---
async def run(per_language: int, max_tokens: int, out: Path | None, trace: Path | None,
              languages: tuple[str, ...], systems: tuple[str, ...], resume: bool = False,
              context_options: dict | None = None, first_line: bool = False) -> dict:
    from ghostwright.backends.openvino import OpenVinoBackend
    from bench import quality
    from ghostwright.config import OpenVinoConfig

    holes = interleaved(make_holes(load_files(), per_language, languages=languages))
    print(f"{len(holes)} holes; loading the model for the baseline and starting the server", flush=True)
    backend = OpenVinoBackend(OpenVinoConfig(device="CPU"))
    await backend.load(lambda _m: None)
    init = {"completion": {"debounceMs": 0, "maxTokens": max_tokens, "cacheEntries": 0},
            "openvino": {"device": "CPU"}, "context": dict(context_options or {})}
    client = await quality.start_server(init) if "ghostwright" in systems else None
    scores: dict[tuple[str, str, str], Score] = defaultdict(Score)
    records = []
    done = {r["id"]: r for r in read_trace(trace)} if resume and trace is not None and trace.exists() else {}
    if trace is not None and not done:
        trace.write_text("", encoding="utf-8")
    started = time.monotonic()
    try:
        for n, hole in enumerate(holes):
            prior = done.get(hole.task_id, {})
            if all(who in prior for who in systems):
                score_record(scores, hole, prior, systems)
                continue
            record = {"id": hole.task_id, "language": hole.language, "place": hole.place,
                      "expected": hole.expected}
            for who in systems:
                if who in prior:  # asked in the run this one resumes: kept as it was
                    answer, elapsed = prior[who], prior[f"{who}_s"]
                elif who == "ghostwright":
                    uri = f"file:///bench/real/{n}/{Path(hole.path).name}"
                    answer, elapsed, _ = await quality.run_ghostwright(
                        client, hole, n, uri=uri, language_id=LANGUAGE_IDS[hole.language])
                else:
                    answer, elapsed, _ = await quality.run_baseline(backend, hole, max_tokens, first_line)
                    elapsed = None if first_line else elapsed
                record[who] = answer
                record[f"{who}_s"] = None if elapsed is None else round(elapsed, 3)
            score_record(scores, hole, record, systems)
            records.append(record)
            if trace is not None:
                with trace.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
            if (n + 1) % 10 == 0:
                print(f"  {n + 1}/{len(holes)} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        if client is not None:
            await client.shutdown_session()
            await client.stop()
    table = render(scores, max_tokens, len(holes), systems)
    print(table)
    if out is not None:
        write_section(out, table)
    return {k: v.cells() for k, v in scores.items()}


def read_trace(path: Path) -> list[dict]:
    """A trace's records, one per hole: a hole resumed later (another system asked) is its last record."""
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            records[record["id"]] = record
    return list(records.values())


def score_record(scores: dict, hole: Hole, record: dict, systems: tuple[str, ...]) -> None:
    for who in systems:
        for key in ((hole.language, hole.place), (hole.language, "all"), ("all", hole.place), ("all", "all")):
            scores[(who, *key)].add(hole, record[who], record[f"{who}_s"])


def table_from_traces(paths: list[Path], per_language: int, languages: tuple[str, ...]) -> str:
    """The tables of earlier runs' traces, side by side: each trace's systems, named after its
    file when there are several (`before.jsonl` → `ghostwright (before)`)."""
    holes = {h.task_id: h for h in make_holes(load_files(), per_language, languages=languages)}
    scores: dict = defaultdict(Score)
    systems: list[str] = []
    common = set.intersection(*[{r["id"] for r in read_trace(p)} for p in paths])
    for path in paths:
        for record in read_trace(path):
            hole = holes.get(record["id"])
            if hole is None or record["id"] not in common:
                continue
            for who in ("ghostwright", "baseline"):
                if who not in record:
                    continue
                name = who if len(paths) == 1 or who == "baseline" else f"{who} ({path.stem})"
                if who == "baseline" and path != paths[-1]:
                    continue  # the baseline of the last run only: side by side with its ghostwright
                if name not in systems:
                    systems.append(name)
                for key in ((hole.language, hole.place), (hole.language, "all"), ("all", hole.place),
                            ("all", "all")):
                    scores[(name, *key)].add(hole, record[who], record[f"{who}_s"])
    names = ", ".join(f"`{p.name}`" for p in paths)
    systems.sort(key=lambda name: name == "baseline")  # ghostwright's runs first
    return render(scores, 64, len(common), tuple(systems),
                  f"From the traces {names} (the {len(common)} holes they share); the machine and load of "
                  "each run are given with it below.")


async def capture_raw(per_language: int, max_tokens: int, path: Path, languages: tuple[str, ...],
                      context_options: dict | None = None, resume: bool = False) -> None:
    """For finding out whose fault an answer is: ghostwright's context and prompt built in this
    process, the model's whole raw text for it, and the clean-up's answer, per hole (JSON lines).
    `reclean` judges the same raw texts again after a change to the clean-up, without the model.
    Interleaved by language, so a run cut short (and `--resume`d) covers every language."""
    from ghostwright import config as configuration
    from ghostwright.backends.openvino import OpenVinoBackend
    from ghostwright.config import OpenVinoConfig

    holes = interleaved(make_holes(load_files(), per_language, languages=languages))
    done = {r["id"] for r in read_trace(path)} if resume and path.exists() else set()
    backend = OpenVinoBackend(OpenVinoConfig(device="CPU"))
    await backend.load(lambda _m: None)
    config = configuration.load({"completion": {"maxTokens": max_tokens},
                                 "context": dict(context_options or {})})[0]
    with path.open("a" if done else "w", encoding="utf-8") as f:
        for n, hole in enumerate(holes):
            if hole.task_id in done:
                continue
            prepared = _prepare(hole, config, backend)
            raw = ""
            if prepared is not None:
                gen = backend.start(prepared.request)
                async for delta in gen:
                    raw += delta
                    # Enough to judge any clean-up by: three whole lines, or a statement that
                    # one line opens and the next close (the server waits for it too).
                    if len([l for l in raw.split("\n")[:-1] if l.strip()]) >= 3 and \
                            (prepared.ctx.multiline or _done(prepared, raw)):
                        gen.stop()
                        break
                await gen.done.wait()
            f.write(json.dumps({"id": hole.task_id, "language": hole.language, "place": hole.place,
                                "expected": hole.expected, "raw": raw,
                                "mode": None if prepared is None else ("multi" if prepared.ctx.multiline else "single"),
                                "answer": _clean(prepared, raw)}, ensure_ascii=False) + "\n")
            f.flush()
            if (n + 1) % 10 == 0:
                print(f"  {n + 1}/{len(holes)}", flush=True)


def _prepare(hole: Hole, config, backend):
    from ghostwright.engine import preparation as completion
    from ghostwright.text.documents import DocumentStore

    doc = DocumentStore().open(f"file:///bench/real/{Path(hole.path).name}", hole.before + hole.after, 1,
                               LANGUAGE_IDS[hole.language])
    return completion.prepare(doc, len(hole.before), config, backend, invoked=True)


def _done(prepared, raw: str) -> bool:
    from ghostwright.context import cleanup

    return cleanup.clean(raw, prepared.ctx, prepared.stops, final=False).done


def _clean(prepared, raw: str) -> str:
    from ghostwright.context import cleanup

    return "" if prepared is None else cleanup.clean(raw, prepared.ctx, prepared.stops).text


def reclean(path: Path, per_language: int, languages: tuple[str, ...], context_options: dict | None = None,
            quiet: bool = False) -> None:
    """The raw texts of `capture_raw` through today's context and clean-up: the figures a
    clean-up change gives, and every answer it changes."""
    from ghostwright import config as configuration
    from ghostwright.backends.openvino import OpenVinoBackend
    from ghostwright.config import OpenVinoConfig

    rows = {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    holes = [h for h in make_holes(load_files(), per_language, languages=languages) if h.task_id in rows]
    backend = OpenVinoBackend(OpenVinoConfig(device="CPU"))
    asyncio.run(backend.load(lambda _m: None))  # its tokenizer sizes the windows
    config = configuration.load({"context": dict(context_options or {})})[0]
    before, after = defaultdict(Score), defaultdict(Score)
    for hole in holes:
        row = rows[hole.task_id]
        answer = _clean(_prepare(hole, config, backend), row["raw"])
        for key in ((hole.language, "all"), ("all", hole.place), ("all", "all")):
            before[key].add(hole, row["answer"], 0.0)
            after[key].add(hole, answer, 0.0)
        if answer != row["answer"] and not quiet:
            mark = "+" if is_exact(hole, answer) else ("-" if is_exact(hole, row["answer"]) else " ")
            print(f"{mark} {hole.task_id}\n    expected {hole.expected!r}\n    raw      {row['raw'][:80]!r}\n"
                  f"    was      {row['answer']!r}\n    now      {answer!r}")
    print("| where | n | exact was | exact now | similarity was | now | empty was | now |")
    for key in sorted(after):
        b, a = before[key].cells(), after[key].cells()
        print(f"| {key[0]}/{key[1]} | {a[0]} | {b[1]} | {a[1]} | {b[2]} | {a[2]} | {b[3]} | {a[3]} |")


def render(scores: dict, max_tokens: int, n_holes: int, systems: tuple[str, ...], source: str = "") -> str:
    from bench.quality import run_header

    head = ("| {what} | system | n | exact first line % | edit similarity | empty % | p50 s | p95 s |\n"
            "|---|---|---|---|---|---|---|---|")
    names = {who: who.replace("baseline", "llm-ls strategy") for who in systems}

    def table(keys: list[tuple[str, str]], what: str, label) -> list[str]:
        rows = [head.format(what=what)]
        for key in keys:
            for who in systems:
                s = scores.get((who, *key))
                if s is not None and s.n:
                    rows.append(f"| {label(key)} | {names[who]} | " + " | ".join(s.cells()) + " |")
        return rows

    languages = [l for l in LANGUAGES if scores.get((systems[0], l, "all"))]
    places = [p for p in PLACES if scores.get((systems[0], "all", p))]
    return "\n".join([
        source or f"{run_header(max_tokens)}; {n_holes} holes.",
        "",
        *table([(l, "all") for l in languages] + [("all", "all")], "language", lambda k: k[0]),
        "",
        *table([("all", p) for p in places], "kind of place", lambda k: k[1]),
    ])


def write_section(path: Path, table: str) -> None:
    from bench.quality import replace_section

    head = "## Real code (five languages, holes of many kinds)"
    body = (f"{head}\n\n`make bench-real` (`PYTHONPATH=tests python -m bench.real_code --limit N`, N holes per "
            "language). The files are real code nobody on this project wrote, pinned in "
            "`tests/bench/data/real/` (MANIFEST.json names each file's package, version, licence and "
            "sha256). Each hole takes out the rest of one line, at a kind of place: *indent* (the line "
            "from its indentation), *word* (from a word boundary), *operator* (after `=`, `,`, `.`, an "
            "operator), *call-args* (after a call's `(`), *closer* (`}`, `} else {`, `elif`, `except`, "
            "`case`…), *entry* (an entry of a literal or argument list), *field* (a class or struct field, "
            "after its name; Emacs Lisp: a `defvar`/`defcustom`), *decorator* (decorators, `#` "
            "directives, Lisp `:keyword` arguments, `(interactive …)`), *comment* (comments and "
            "docstrings, after their first word), *eof* (everything from the cursor on taken out), "
            "*lisp-closers* (the last word of a Lisp line ending in `))`, and its closers). Drawn by a "
            "seed, in turn from each kind, so a LIMIT still covers every kind. The whole file is opened "
            "in one LSP session of the real server (debounce 0, no result cache), then asked once at the "
            "hole. The baseline is llm-ls's strategy on the same model, as in the HumanEval bench above "
            "(1024-token window of alternate lines, the whole generation, cut at the first newline). "
            "Exact first line: the answer's first line equals the rest of the line (blanks at its ends "
            "aside); edit similarity: difflib's ratio of the two, 0–100; empty: no text at all (every "
            "hole has text to find). `--trace FILE` keeps every answer (`--resume` goes on from it); `--table A B` "
            "prints the tables of earlier traces side by side.\n\n"
            f"{table}\n")
    replace_section(path, head, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=PER_LANGUAGE, help="holes per language")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--only", choices=("ghostwright", "baseline"), default=None,
                        help="run one side only (for tuning; not for the published table)")
    parser.add_argument("--write", type=Path, default=None, help="update this benchmarks page")
    parser.add_argument("--trace", type=Path, default=None, help="write every hole's answers here (JSON lines)")
    parser.add_argument("--raw", type=Path, default=None,
                        help="in process, no LSP: write each hole's raw model text and answer here")
    parser.add_argument("--reclean", type=Path, default=None,
                        help="judge the raw texts of an earlier --raw run with today's clean-up")
    parser.add_argument("--prefix-tokens", type=int, default=None, help="override context.maxPrefixTokens")
    parser.add_argument("--suffix-tokens", type=int, default=None, help="override context.maxSuffixTokens")
    parser.add_argument("--resume", action="store_true",
                        help="keep the answers the --trace (or --raw) file has, per system, and ask for the rest")
    parser.add_argument("--baseline-first-line", action="store_true",
                        help="stop the baseline's generation at its first newline: the same answers (the "
                             "first line is all that is judged), no latency figures for it")
    parser.add_argument("--quiet", action="store_true", help="--reclean: the table only, not each changed answer")
    parser.add_argument("--table", type=Path, nargs="+", default=None,
                        help="print (and with --write, write) the tables of earlier runs' traces")
    args = parser.parse_args(argv)
    languages = tuple(args.languages.split(","))
    if args.table:
        table = table_from_traces(args.table, args.limit, languages)
        print(table)
        if args.write:
            write_section(args.write, table)
        return
    windows = {k: v for k, v in (("maxPrefixTokens", args.prefix_tokens), ("maxSuffixTokens", args.suffix_tokens))
               if v is not None}
    if args.raw:
        asyncio.run(capture_raw(args.limit, args.max_tokens, args.raw, languages, windows, args.resume))
        return
    if args.reclean:
        reclean(args.reclean, args.limit, languages, windows, args.quiet)
        return
    systems = (args.only,) if args.only else ("ghostwright", "baseline")
    asyncio.run(run(args.limit, args.max_tokens, args.write if not args.only else None, args.trace,
                    languages, systems, args.resume, windows, args.baseline_first_line))


if __name__ == "__main__":
    main()
