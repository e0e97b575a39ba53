"""Real code nobody on this project wrote, holes at many kinds of place: ghostwright through its
LSP server against llm-ls's strategy on the same model, per language and per kind of place
(`make bench-real`)."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import hashlib
import json
import random
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "real"
LANGUAGES = ("python", "javascript", "emacs-lisp", "go", "c")
LANGUAGE_IDS = {"python": "python", "javascript": "javascript", "emacs-lisp": "emacs-lisp", "go": "go", "c": "c"}
PER_LANGUAGE = 130
# Kinds of place, in the order the tables list them.
PLACES = ("indent", "word", "operator", "call-args", "closer", "entry", "field", "decorator",
          "comment", "eof", "lisp-closers")
COMMENT = {"python": "#", "javascript": "//", "emacs-lisp": ";", "go": "//", "c": "//"}
MAX_LINE = 160  # longer lines are data, not code anyone types


@dataclass(frozen=True)
class Hole:
    language: str
    path: str  # relative to DATA
    place: str  # the kind of place (PLACES)
    line: int  # 0-based line of the cursor in the file
    before: str  # the document before the cursor
    after: str  # the document after the cursor (the rest of the cursor line taken out)
    expected: str  # the rest of the line the hole took out

    kind = "single"  # what the baseline is asked for: llm-ls cuts at the first newline

    @property
    def task_id(self) -> str:
        return f"{self.path}:{self.line + 1}:{self.place}"


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


# --- holes ---
_CLOSER = re.compile(r"^(\}|\]|\)|else\b|elif\b|except\b|finally\b|catch\b|case\b|default\s*:|end\b)")
_OPERATOR = re.compile(r"(==|!=|<=|>=|&&|\|\||:=|=>|->|\+=|-=|[=,.+\-*/<>%&|?:])")
_CALL = re.compile(r"[\w\]\)]\(")
_WORD_START = re.compile(r"(?<=[\s(\[{,])[A-Za-z_]")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _is_comment(stripped: str, language: str) -> bool:
    if stripped.startswith(COMMENT[language]):
        return True
    return language in ("c", "go", "javascript") and stripped.startswith(("/*", "* ", "*/"))


def _docstring_lines(lines: list[str], language: str) -> set[int]:
    """Lines inside Python triple-quoted strings (docstrings mostly)."""
    inside, out, quote = False, set(), ""
    if language != "python":
        return out
    for i, line in enumerate(lines):
        s = line.strip()
        if inside:
            out.add(i)
            if quote in s:
                inside = False
            continue
        for q in ('"""', "'''"):
            if s.startswith(q) or s.startswith("r" + q):
                body = s[s.index(q) + 3:]
                if q not in body:
                    inside, quote = True, q
                break
    return out


def _syntax_lines(text: str, language: str) -> dict[str, set[int]]:
    """Lines that hold class fields and entries of literals or argument lists, by syntax."""
    from ghostwright.text import syntax

    found: dict[str, set[int]] = {"field": set(), "entry": set()}
    tree = syntax.parse_text(language, text) if syntax.grammar(language) is not None else None
    if tree is None:
        return found
    field_types = {"field_definition", "public_field_definition", "field_declaration"}
    list_types = {"object", "array", "dictionary", "list", "set", "tuple", "arguments", "argument_list",
                  "literal_value", "initializer_list", "keyed_element", "composite_literal"}
    stack = [tree.tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        row = node.start_point[0]
        if node.type in field_types:
            found["field"].add(row)
        elif node.type == "expression_statement" and language == "python" and node.parent is not None \
                and node.parent.type == "block" and node.parent.parent is not None \
                and node.parent.parent.type == "class_definition" and node.children \
                and node.children[0].type == "assignment":
            found["field"].add(row)
        elif node.parent is not None and node.parent.type in list_types and node.is_named \
                and node.start_point[0] != node.parent.start_point[0]:
            found["entry"].add(row)
    return found


def _lisp_fields(lines: list[str]) -> tuple[set[int], set[int]]:
    """Emacs Lisp: keyword arguments of definitions (`:type 'boolean`, `:group …`) as attributes,
    and `(defvar …`/`(defcustom …` lines as the fields of a package."""
    attrs = {i for i, l in enumerate(lines) if re.match(r"\s+:\w", l) or l.startswith(";;;###autoload")
             or re.match(r"\s+\((declare|interactive)\b", l)}
    fields = {i for i, l in enumerate(lines) if re.match(r"\((defvar|defcustom|defconst|defface)\s", l)}
    return attrs, fields


def candidates(path: str, text: str, language: str) -> list[tuple[str, int, int]]:
    """(place, line, column of the cursor) for every hole this file offers."""
    lines = text.split("\n")
    docs = _docstring_lines(lines, language)
    by_syntax = _syntax_lines(text, language)
    lisp_attrs, lisp_fields = _lisp_fields(lines) if language == "emacs-lisp" else (set(), set())
    out: list[tuple[str, int, int]] = []
    last = max((i for i, l in enumerate(lines) if l.strip()), default=0)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or len(line) > MAX_LINE:
            continue
        ind = len(_indent(line))
        comment = _is_comment(stripped, language) or i in docs
        if comment:
            words = [m.start() for m in re.finditer(r"(?<=\s)\w", line) if m.start() > ind + 2]
            if words:
                out.append(("comment", i, words[0]))
            continue
        if i == last or (i > 20 and i % 7 == 0):
            out.append(("eof", i, ind))
        if _CLOSER.match(stripped) and language != "emacs-lisp":
            out.append(("closer", i, ind))
        elif i in by_syntax["field"] or i in lisp_fields:
            names = re.match(r"\s*(\(\w+\s+)?(static\s+|readonly\s+|pub\s+)?#?[\w-]+\s*", line)
            col = names.end() if names else ind
            out.append(("field", i, col if col < len(line.rstrip()) else ind))
        elif stripped.startswith(("@", "#[")) or (language == "c" and stripped.startswith("#")) \
                or i in lisp_attrs:
            out.append(("decorator", i, ind))
        elif i in by_syntax["entry"] and stripped.endswith(","):
            out.append(("entry", i, ind))
        else:
            out.append(("indent", i, ind))
        if language == "emacs-lisp":
            m = re.search(r"[\w\"'-]+\){2,}\s*$", line)
            if m and m.start() > ind:
                out.append(("lisp-closers", i, m.start()))
        for m in _CALL.finditer(line):
            if m.end() < len(line.rstrip()) and m.start() > ind:
                out.append(("call-args", i, m.end()))
        ops = [m.end() for m in _OPERATOR.finditer(line) if ind < m.start() and m.end() < len(line.rstrip())
               and line[:m.start()].count('"') % 2 == 0 and line[:m.start()].count("'") % 2 == 0]
        if ops:
            col = ops[len(ops) // 2]
            col += len(line[col:]) - len(line[col:].lstrip(" "))
            if col < len(line.rstrip()):
                out.append(("operator", i, col))
        words = [m.start() for m in _WORD_START.finditer(line) if m.start() > ind]
        if words:
            out.append(("word", i, words[len(words) // 2]))
    return out


def make_holes(files: dict[str, list[tuple[str, str]]], per_language: int, seed: int = 0,
               languages: tuple[str, ...] = LANGUAGES) -> list[Hole]:
    """Seeded and stratified: each language's holes are drawn in turn from each kind of place,
    so a small LIMIT still covers every kind."""
    holes: list[Hole] = []
    for language in languages:
        rng = random.Random(f"{seed}:{language}")
        by_place: dict[str, list[Hole]] = defaultdict(list)
        for path, text in files.get(language, []):
            lines = text.split("\n")
            starts = [0]
            for line in lines[:-1]:
                starts.append(starts[-1] + len(line) + 1)
            for place, i, col in candidates(path, text, language):
                line = lines[i]
                cursor = starts[i] + col
                expected = line[col:].rstrip()
                if not expected.strip():
                    continue
                before = text[:cursor]
                after = "" if place == "eof" else text[starts[i] + len(line):]
                by_place[place].append(Hole(language, path, place, i, before, after, expected))
        for pool in by_place.values():
            rng.shuffle(pool)
        order = [p for p in PLACES if by_place.get(p)]
        picked: list[Hole] = []
        while len(picked) < per_language and any(by_place[p] for p in order):
            for place in order:
                if by_place[place] and len(picked) < per_language:
                    picked.append(by_place[place].pop())
        holes += picked
    return holes


def interleaved(holes: list[Hole]) -> list[Hole]:
    """One language after the other, hole by hole: a run cut short still covers every language."""
    by_language: dict[str, list[Hole]] = defaultdict(list)
    for hole in holes:
        by_language[hole.language].append(hole)
    out: list[Hole] = []
    for i in range(max((len(v) for v in by_language.values()), default=0)):
        out += [v[i] for v in by_language.values() if i < len(v)]
    return out


# --- scoring ---
def first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def is_exact(hole: Hole, answer: str) -> bool:
    return first_line(answer) == hole.expected.strip()


def similarity(hole: Hole, answer: str) -> float:
    return 100 * difflib.SequenceMatcher(None, first_line(answer), hole.expected.strip(), autojunk=False).ratio()


@dataclass
class Score:
    n: int = 0
    exact: int = 0
    empty: int = 0
    similarity: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def add(self, hole: Hole, answer: str, elapsed: float | None) -> None:
        """`elapsed` None: an answer without a time (judged from a --raw capture)."""
        self.n += 1
        self.exact += is_exact(hole, answer)
        self.empty += not answer.strip()
        self.similarity.append(similarity(hole, answer))
        if elapsed is not None:
            self.latencies.append(elapsed)

    def cells(self) -> list[str]:
        if not self.n:
            return ["-"] * 6
        quality = [str(self.n), f"{100 * self.exact / self.n:.1f}", f"{statistics.mean(self.similarity):.1f}",
                   f"{100 * self.empty / self.n:.1f}"]
        if not self.latencies:
            return quality + ["-", "-"]
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        return quality + [f"{statistics.median(lat):.2f}", f"{p95:.2f}"]


# --- running ---
async def run(per_language: int, max_tokens: int, out: Path | None, trace: Path | None,
              languages: tuple[str, ...], systems: tuple[str, ...], resume: bool = False,
              context_options: dict | None = None) -> dict:
    from ghostwright.backends.openvino import OpenVinoBackend
    from ghostwright.bench import quality
    from ghostwright.config import OpenVinoConfig

    holes = interleaved(make_holes(load_files(), per_language, languages=languages))
    print(f"{len(holes)} holes; loading the model for the baseline and starting the server", flush=True)
    backend = OpenVinoBackend(OpenVinoConfig(device="CPU"))
    await backend.load(lambda _m: None)
    init = {"completion": {"debounceMs": 0, "maxTokens": max_tokens, "cacheEntries": 0},
            "openvino": {"device": "CPU"}, "context": dict(context_options or {})}
    client = await quality.start_server(init)
    scores: dict[tuple[str, str, str], Score] = defaultdict(Score)
    records = []
    done = {r["id"]: r for r in read_trace(trace)} if resume and trace is not None and trace.exists() else {}
    if trace is not None and not done:
        trace.write_text("", encoding="utf-8")
    started = time.monotonic()
    try:
        for n, hole in enumerate(holes):
            if hole.task_id in done and all(who in done[hole.task_id] for who in systems):
                score_record(scores, hole, done[hole.task_id], systems)
                continue
            record = {"id": hole.task_id, "language": hole.language, "place": hole.place,
                      "expected": hole.expected}
            for who in systems:
                if who == "ghostwright":
                    uri = f"file:///bench/real/{n}/{Path(hole.path).name}"
                    answer, elapsed, _ = await quality.run_ghostwright(
                        client, hole, n, uri=uri, language_id=LANGUAGE_IDS[hole.language])
                else:
                    answer, elapsed, _ = await quality.run_baseline(backend, hole, max_tokens)
                record[who] = answer
                record[f"{who}_s"] = round(elapsed, 3)
            score_record(scores, hole, record, systems)
            records.append(record)
            if trace is not None:
                with trace.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
            if (n + 1) % 10 == 0:
                print(f"  {n + 1}/{len(holes)} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        await client.shutdown_session()
        await client.stop()
    table = render(scores, max_tokens, len(holes), systems)
    print(table)
    if out is not None:
        write_section(out, table)
    return {k: v.cells() for k, v in scores.items()}


def read_trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
    from ghostwright.bench.quality import run_header

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
    from ghostwright.bench.quality import replace_section

    head = "## Real code (five languages, holes of many kinds)"
    body = (f"{head}\n\n`make bench-real` (`python tests/bench/real_code.py --limit N`, N holes per "
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
                        help="keep the holes the --trace (or --raw) file has answered")
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
                    languages, systems, args.resume, windows))


if __name__ == "__main__":
    main()
