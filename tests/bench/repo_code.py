"""Repository-level holes: the rest of a line that uses a name defined only in another file of a
real package, asked in-file only, with the workspace on disk, and with the defining file open
too, through the LSP server side by side (`make bench-repo`)."""

from __future__ import annotations

import argparse
import ast
import asyncio
import hashlib
import json
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ghostwright.evaluation.holes import MAX_LINE, interleaved
from ghostwright.evaluation.scoring import Score

DATA = Path(__file__).resolve().parent / "data" / "repo"
LANGUAGES = ("python", "javascript")
LANGUAGE_IDS = {"python": "python", "javascript": "javascript"}
EXTENSIONS = {"python": ".py", "javascript": ".js"}
PER_LANGUAGE = 120
KINDS = ("attribute", "call-args")  # after `module.`; after the `(` of a call to an imported function
SETTINGS = ("in-file", "workspace", "workspace+open")
# The budgets of the two workspace settings where the server's config has no default for them;
# the in-file setting sets them all to 0.
BUDGETS = {"definitionsTokens": 384, "usageExamplesTokens": 96, "openDocumentsTokens": 256, "recentEditsTokens": 128,
           "otherFilesTokens": 256}


@dataclass(frozen=True)
class RepoHole:
    language: str
    package: str  # the package's directory, relative to DATA (e.g. python/jinja2-3.1.4)
    path: str  # the file, relative to the package's directory
    kind: str  # KINDS
    name: str  # the name the rest of the line needs (attribute) or the imported function (call-args)
    defined_in: str  # the file of the package that defines `name`, relative to the package
    line: int  # 0-based line of the cursor
    before: str  # the file before the cursor
    after: str  # the file after the cursor line (its rest taken out)
    expected: str  # the rest of the line

    @property
    def task_id(self) -> str:
        return f"{self.package}/{self.path}:{self.line + 1}:{self.kind}"

    @property
    def holed(self) -> str:
        """The file as the workspace holds it for this hole."""
        return self.before + self.after


# --- the data: pinned packages, checked against their manifest ---
def manifest() -> list[dict]:
    return json.loads((DATA / "MANIFEST.json").read_text(encoding="utf-8"))["packages"]


def load_packages() -> dict[str, dict[str, str]]:
    """package directory → {path in the package: text}, each file's sha256 checked."""
    out: dict[str, dict[str, str]] = {}
    for package in manifest():
        files = out.setdefault(package["root"], {})
        for entry in package["files"]:
            raw = (DATA / package["root"] / entry["path"]).read_bytes()
            digest = hashlib.sha256(raw).hexdigest()
            if digest != entry["sha256"]:
                raise SystemExit(f"{package['root']}/{entry['path']}: sha256 {digest} is not the manifest's "
                                 f"{entry['sha256']}")
            files[entry["path"]] = raw.decode("utf-8")
    return out


def language_of(root: str) -> str:
    return root.split("/", 1)[0]


# --- what a file imports: local name → (kind of binding, file of the package it comes from) ---
def python_imports(path: str, text: str, files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """`import pkg.mod as m`, `from . import mod`, `from .mod import f`, `from pkg.mod import f`:
    names bound to a module ("module") or to something a module defines ("name")."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    parts = path[:-3].split("/")
    # The package path: the directories above the file that hold an __init__.py.
    top = len(parts) - 1
    while top > 0 and "/".join(parts[:top]) + "/__init__.py" in files:
        top -= 1
    source_root, dotted = parts[:top], parts[top:]
    package = dotted[:-1] if parts[-1] != "__init__" else dotted[:-1]

    def module_file(names: list[str]) -> str | None:
        base = "/".join(source_root + names)
        for candidate in (base + ".py", base + "/__init__.py"):
            if candidate in files:
                return candidate
        return None

    out: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = module_file(alias.name.split("."))
                if target and alias.asname:
                    out[alias.asname] = ("module", target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else list(package)
            else:
                base = []
            names = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                local = alias.asname or alias.name
                sub = module_file(names + [alias.name])
                if sub is not None:
                    out[local] = ("module", sub)
                elif (target := module_file(names)) is not None and target != path:
                    out[local] = ("name", target)
    return out


_REQUIRE = re.compile(r"^\s*(?:const|let|var)\s+(\{[^}]*\}|[\w$]+)\s*=\s*require\(\s*['\"](\.[^'\"]*)['\"]\s*\)",
                      re.M)
_IMPORT = re.compile(r"^\s*import\s+([^'\"]*?)\s+from\s+['\"](\.[^'\"]*)['\"]", re.M)


def javascript_imports(path: str, text: str, files: dict[str, str]) -> dict[str, tuple[str, str]]:
    """`const x = require('./x')`, `const {a, b: c} = require('./x')`, `import x, {a as b} from
    './x.js'`, `import * as x from './x.js'`, relative paths only: a whole module ("module"), or
    one thing it exports ("name")."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""

    def resolve(spec: str) -> str | None:
        parts = (folder.split("/") if folder else []) + spec.split("/")
        norm: list[str] = []
        for part in parts:
            if part == "..":
                if norm:
                    norm.pop()
            elif part not in (".", ""):
                norm.append(part)
        base = "/".join(norm)
        for candidate in (base, base + ".js", base + "/index.js"):
            if candidate in files:
                return candidate
        return None

    out: dict[str, tuple[str, str]] = {}
    for binding, spec in [m.groups() for m in _REQUIRE.finditer(text)] + [m.groups() for m in _IMPORT.finditer(text)]:
        target = resolve(spec)
        if target is None:
            continue
        binding = binding.strip()
        named = re.search(r"\{([^}]*)\}", binding)
        if named:
            for item in named.group(1).split(","):
                item = item.strip()
                if item:
                    local = re.split(r"\s+as\s+|\s*:\s*", item)[-1].strip()
                    out[local] = ("name", target)
            binding = binding[:named.start()].strip(" ,")
        star = re.match(r"\*\s+as\s+([\w$]+)", binding)
        if star:
            out[star.group(1)] = ("module", target)
        elif re.fullmatch(r"[\w$]+", binding):
            out[binding] = ("module", target)
    return out


def defines(language: str, text: str, name: str) -> bool:
    """Whether a file defines `name` (a function, class, method, field, constant or export)."""
    n = re.escape(name)
    if language == "python":
        return re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{n}\b|^{n}\s*[:=]|^\s+{n}\s*[:=]", text, re.M) is not None
    return re.search(rf"(?:function\*?|class|const|let|var)\s+{n}\b|^\s*(?:static\s+|async\s+|get\s+|set\s+)*{n}\s*\("
                     rf"|\b{n}\s*:|\.{n}\s*=|^\s*{n}\s*[,}}]|export\s+default\s+{n}\b", text, re.M) is not None


def _exports_default(text: str) -> bool:
    return re.search(r"export\s+default\b|module\.exports\s*=", text) is not None


def _import_lines(language: str, lines: list[str]) -> set[int]:
    """Lines of import statements (a multi-line `from x import (…)` or `{…} = require` whole)."""
    out, inside = set(), False
    for i, line in enumerate(lines):
        s = line.strip()
        starts = s.startswith(("import ", "from ")) if language == "python" else (
            s.startswith("import ") or "require(" in s)
        if starts or inside:
            out.add(i)
            opened = s.count("(") + s.count("{") - s.count(")") - s.count("}")
            if starts and opened > 0:
                inside = True
            elif inside and (s.endswith((")", "}")) or ")" in s or "}" in s):
                inside = not (s.endswith(")") or s.startswith(")") or "} from" in s or "})" in s
                              or s.startswith("}"))
    return out


def _is_comment(language: str, stripped: str) -> bool:
    return stripped.startswith("#") if language == "python" else stripped.startswith(("//", "/*", "*"))


def _only_here(text: str, lines: list[str], skip: set[int], name: str, line: int, col: int) -> bool:
    """`name` occurs in the file only at (line, col) and in import statements, even inside a longer
    word (`visit_For` gives `For` away)."""
    for i, other in enumerate(lines):
        if i in skip:
            continue
        at = [m.start() for m in re.finditer(re.escape(name), other)]
        if at and (i != line or at != [col]):
            return False
    return True


def candidates(language: str, path: str, text: str, files: dict[str, str]) -> list[tuple[str, str, str, int, int]]:
    """(kind, name, defining file, line, column of the cursor) for every hole the file offers: the
    name appears on no other line of the file (import statements aside), and another file of the
    package defines it."""
    imports = (python_imports if language == "python" else javascript_imports)(path, text, files)
    if not imports:
        return []
    lines = text.split("\n")
    skip = _import_lines(language, lines)
    words: dict[str, set[int]] = defaultdict(set)  # name → lines it appears on, imports aside
    for i, line in enumerate(lines):
        if i not in skip:
            for w in re.findall(r"[\w$]+", line):
                words[w].add(i)
    out: list[tuple[str, str, str, int, int]] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i in skip or not stripped or len(line) > MAX_LINE or _is_comment(language, stripped):
            continue
        for m in re.finditer(r"(?<![\w$.])([\w$]+)\.([\w$]+)", line):
            local, name = m.groups()
            bound = imports.get(local)
            if bound and bound[0] == "module" and _only_here(text, lines, skip, name, i, m.start(2)) \
                    and defines(language, files[bound[1]], name) \
                    and line[:m.start()].count('"') % 2 == 0 and line[:m.start()].count("'") % 2 == 0:
                out.append(("attribute", name, bound[1], i, m.start(2)))
                break
        for m in re.finditer(r"(?<![\w$.])(?:new\s+)?([\w$]+)\(", line):
            local = m.group(1)
            bound = imports.get(local)
            if not bound or words[local] != {i} or not line[m.end():].strip() or line[m.end():].lstrip().startswith(")"):
                continue
            target = files[bound[1]]
            if bound[0] == "name" and not defines(language, target, local):
                continue
            if bound[0] == "module" and not (language == "javascript" and _exports_default(target)):
                continue  # a Python module is not called
            out.append(("call-args", local, bound[1], i, m.end()))
            break
    return out


def make_holes(packages: dict[str, dict[str, str]], per_language: int, seed: int = 0,
               languages: tuple[str, ...] = LANGUAGES) -> list[RepoHole]:
    """Seeded: each language's holes drawn in turn from each kind and each package, so a small
    LIMIT still covers them all."""
    holes: list[RepoHole] = []
    for language in languages:
        rng = random.Random(f"{seed}:{language}")
        pools: dict[tuple[str, str], list[RepoHole]] = defaultdict(list)
        for root in sorted(packages):
            if language_of(root) != language:
                continue
            files = packages[root]
            for path in sorted(files):
                if not path.endswith(EXTENSIONS[language]):
                    continue
                text = files[path]
                lines = text.split("\n")
                starts = [0]
                for line in lines[:-1]:
                    starts.append(starts[-1] + len(line) + 1)
                for kind, name, defined_in, i, col in candidates(language, path, text, files):
                    expected = lines[i][col:].rstrip()
                    if not expected.strip():
                        continue
                    pools[(kind, root)].append(RepoHole(
                        language, root, path, kind, name, defined_in, i, text[:starts[i] + col],
                        text[starts[i] + len(lines[i]):], expected))
        for key in sorted(pools):
            rng.shuffle(pools[key])
        order = sorted(pools, key=lambda k: (KINDS.index(k[0]), k[1]))
        picked: list[RepoHole] = []
        while len(picked) < per_language and any(pools[k] for k in order):
            for key in order:
                if pools[key] and len(picked) < per_language:
                    picked.append(pools[key].pop())
        holes += picked
    return holes


# --- running: one server per setting, the same holes asked of each in turn ---
def default_budgets() -> dict[str, int]:
    """The server's own defaults for the budgets (what a user gets), BUDGETS where it has none."""
    from ghostwright.config import ContextConfig, snake

    defaults = ContextConfig()
    return {key: getattr(defaults, snake(key), value) for key, value in BUDGETS.items()}


def settings_options(budgets: dict[str, int]) -> dict[str, dict]:
    """The `context` initializationOptions of each setting."""
    off = {**{key: 0 for key in budgets}, "knownNames": False}
    return {"in-file": off, "workspace": dict(budgets), "workspace+open": dict(budgets)}


def make_workspace(packages: dict[str, dict[str, str]], into: Path) -> dict[str, Path]:
    """Each package copied under `into` as a project of its own: package directory → its copy."""
    out = {}
    for root in packages:
        shutil.copytree(DATA / root, into / root.split("/", 1)[1])
        out[root] = into / root.split("/", 1)[1]
    return out


def take_out(hole: RepoHole, folders: dict[str, Path]) -> Path:
    """Write the hole's file to the workspace with the rest of its line taken out."""
    target = folders[hole.package] / hole.path
    target.write_text(hole.holed, encoding="utf-8")
    return target


def put_back(hole: RepoHole, folders: dict[str, Path], packages: dict[str, dict[str, str]]) -> Path:
    target = folders[hole.package] / hole.path
    target.write_text(packages[hole.package][hole.path], encoding="utf-8")
    return target


def _changed(client, path: Path) -> None:
    """Tell a server that watches files of a change on disk, as an editor does: only once the
    server has registered a watcher."""
    from lsprotocol import types as lsp

    if not any(r.method == "workspace/didChangeWatchedFiles" for r in client.registrations):
        return
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=path.as_uri(), type=lsp.FileChangeType.Changed)]))


async def ask(client, setting: str, hole: RepoHole, serial: int,
              folders: dict[str, Path]) -> tuple[str, float, dict]:
    """One hole in one setting: the answer, the time to it, and what the prompt showed of other
    files (`ghostwright/status`: per source, tokens and files). With `workspace+open`, the
    defining file is opened (as the editor has it: its text on disk) before the request and
    closed after it."""
    from lsprotocol import types as lsp

    from bench import quality
    from rawlsp import plain

    defining = folders[hole.package] / hole.defined_in
    if setting == "workspace+open":
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
            uri=defining.as_uri(), language_id=LANGUAGE_IDS[hole.language], version=1,
            text=defining.read_text(encoding="utf-8"))))
    try:
        answer, elapsed, _ = await quality.run_ghostwright(
            client, hole, serial, uri=(folders[hole.package] / hole.path).as_uri(),
            language_id=LANGUAGE_IDS[hole.language])
        status = plain(await client.protocol.send_request_async("ghostwright/status", {}))
    finally:
        if setting == "workspace+open":
            client.text_document_did_close(lsp.DidCloseTextDocumentParams(
                text_document=lsp.TextDocumentIdentifier(uri=defining.as_uri())))
    return answer, elapsed, (status.get("context") or {}).get("lastUsed") or {}


@dataclass
class Shown:
    """What the prompts showed of other files: tokens, and how often the defining file."""

    tokens: list[int] = field(default_factory=list)
    defining: int = 0

    def add(self, hole: RepoHole, used: dict) -> None:
        self.tokens.append(sum(source.get("tokens", 0) for source in used.values()))
        files = [str(f) for source in used.values() for f in source.get("files", [])]
        self.defining += any(f.endswith(hole.defined_in) for f in files)

    def cells(self) -> list[str]:
        n = len(self.tokens)
        return [f"{statistics.mean(self.tokens):.0f}", f"{100 * self.defining / n:.0f}"] if n else ["-", "-"]


async def index_ready(client, timeout_s: float = 120.0) -> None:
    """Wait until the server has listed the workspace, where its status tells (a user's editor
    has been open a while before the completions this measures)."""
    from rawlsp import plain

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = plain(await client.protocol.send_request_async("ghostwright/status", {}))
        if (status.get("context") or {}).get("indexReady", True):
            return
        await asyncio.sleep(0.5)
    print("  the workspace index was not ready in time: going on without waiting", flush=True)


async def run(per_language: int, max_tokens: int, budgets: dict[str, int], out: Path | None,
              trace: Path | None, languages: tuple[str, ...], resume: bool = False) -> dict:
    from bench import quality

    packages = load_packages()
    holes = interleaved(make_holes(packages, per_language, languages=languages))
    options = settings_options(budgets)
    scores: dict[tuple[str, str, str], Score] = defaultdict(Score)
    shown: dict[tuple[str, str, str], Shown] = defaultdict(Shown)
    done = {}
    if resume and trace is not None and trace.exists():
        done = {r["id"]: r for r in map(json.loads, trace.read_text(encoding="utf-8").splitlines())
                if all(setting in r for setting in SETTINGS)}
    elif trace is not None:
        trace.write_text("", encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="ghostwright-repo-") as tmp:
        folders = make_workspace({r: f for r, f in packages.items() if language_of(r) in languages}, Path(tmp))
        print(f"{len(holes)} holes; starting one server per setting ({', '.join(SETTINGS)})", flush=True)
        clients = {}
        try:
            for setting in SETTINGS:
                clients[setting] = await quality.start_server(
                    {"completion": {"debounceMs": 0, "maxTokens": max_tokens, "cacheEntries": 0},
                     "openvino": {"device": "CPU"}, "context": options[setting]},
                    workspace=sorted(folders.values()))
            for setting, client in clients.items():
                if any(options[setting].values()):  # with every source off, nothing is indexed
                    await index_ready(client)
            started = time.monotonic()
            for n, hole in enumerate(holes):
                if hole.task_id in done:
                    score_record(scores, shown, hole, done[hole.task_id])
                    continue
                record = {"id": hole.task_id, "language": hole.language, "kind": hole.kind,
                          "defined_in": hole.defined_in, "expected": hole.expected}
                changed = take_out(hole, folders)
                for client in clients.values():
                    _changed(client, changed)
                try:
                    # The settings take turns at going first, so no one of them always meets a
                    # machine the other jobs have just left busy.
                    order = SETTINGS[n % len(SETTINGS):] + SETTINGS[:n % len(SETTINGS)]
                    for setting in order:
                        answer, elapsed, used = await ask(clients[setting], setting, hole, n, folders)
                        record[setting] = answer
                        record[f"{setting}_s"] = round(elapsed, 3)
                        record[f"{setting}_context"] = used
                finally:
                    changed = put_back(hole, folders, packages)
                    for client in clients.values():
                        _changed(client, changed)
                score_record(scores, shown, hole, record)
                if trace is not None:
                    with trace.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(record, ensure_ascii=False) + "\n")
                if (n + 1) % 10 == 0:
                    print(f"  {n + 1}/{len(holes)} ({time.monotonic() - started:.0f} s)", flush=True)
        finally:
            for client in clients.values():
                await client.shutdown_session()
                await client.stop()
    table = render(scores, shown, max_tokens, len(holes), budgets)
    print(table)
    if out is not None:
        write_section(out, table)
    return {k: v.cells() for k, v in scores.items()}


def table_from_trace(path: Path, max_tokens: int, budgets: dict[str, int]) -> str:
    """The tables of an earlier run's trace (a run cut short gives those of the holes it asked)."""
    holes = {h.task_id: h for h in make_holes(load_packages(), 1 << 30)}
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [r for r in records if r["id"] in holes and all(s in r for s in SETTINGS)]
    scores: dict[tuple[str, str, str], Score] = defaultdict(Score)
    shown: dict[tuple[str, str, str], Shown] = defaultdict(Shown)
    for record in records:
        score_record(scores, shown, holes[record["id"]], record)
    from bench import machine

    return render(scores, shown, max_tokens, len(records), budgets,
                  f"From the trace `{path.name}` of a run on {machine.describe()} (its time and load are "
                  f"given with it); max {max_tokens} new tokens")


def score_record(scores: dict, shown: dict, hole: RepoHole, record: dict) -> None:
    for setting in SETTINGS:
        if setting in record:
            for key in ((hole.language, "all"), ("all", hole.kind), ("all", "all")):
                scores[(setting, *key)].add(hole, record[setting], record[f"{setting}_s"])
                shown[(setting, *key)].add(hole, record.get(f"{setting}_context") or {})


def render(scores: dict, shown: dict, max_tokens: int, n_holes: int, budgets: dict[str, int],
           source: str = "") -> str:
    """Per language (and per kind of hole): each setting's figures, beside the workspace settings
    their change over in-file only, and what the prompts showed of other files."""
    from bench.quality import run_header

    head = ("| {what} | setting | n | exact first line % | edit similarity | empty % | p50 s | p95 s "
            "| exact vs in-file (points) | similarity vs in-file | p50 vs in-file | other files' tokens "
            "| defining file shown % |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def table(keys: list[tuple[str, str]], what: str, label) -> list[str]:
        rows = [head.format(what=what)]
        for key in keys:
            base = scores.get(("in-file", *key))
            for setting in SETTINGS:
                s = scores.get((setting, *key))
                if s is None or not s.n:
                    continue
                ratios = ["", "", ""]
                if setting != "in-file" and base is not None and base.n:
                    b, c = base.cells(), s.cells()
                    ratios = [f"{float(c[1]) - float(b[1]):+.1f}", f"{float(c[2]) - float(b[2]):+.1f}",
                              f"{float(c[4]) / float(b[4]):.2f}×" if float(b[4]) else "-"]
                rows.append(f"| {label(key)} | {setting} | "
                            + " | ".join(s.cells() + ratios + shown[(setting, *key)].cells()) + " |")
        return rows

    languages = [l for l in LANGUAGES if scores.get(("in-file", l, "all"))]
    kinds = [k for k in KINDS if scores.get(("in-file", "all", k))]
    budget_text = ", ".join(f"`context.{k}` {v}" for k, v in budgets.items())
    return "\n".join([
        f"{source or run_header(max_tokens)}; {n_holes} holes; workspace settings with {budget_text} "
        "(in-file only: all of them 0, and `context.knownNames` off).",
        "",
        *table([(l, "all") for l in languages] + [("all", "all")], "language", lambda k: k[0]),
        "",
        *table([("all", k) for k in kinds], "kind of hole", lambda k: k[1]),
    ])


def write_section(path: Path, table: str) -> None:
    from bench.quality import replace_section

    head = "## Repository-level (names defined in another file of the package)"
    body = (f"{head}\n\n`make bench-repo` (`PYTHONPATH=tests python -m bench.repo_code --limit N`, N holes per "
            "language). Whole packages nobody on this project wrote, pinned in `tests/bench/data/repo/` "
            "(MANIFEST.json: name, version, registry, archive sha256, licence, every file's sha256): "
            "Jinja2, requests, click and packaging from PyPI, axios and semver from npm. Each hole takes "
            "out the rest of one line that needs a name defined in another file of the package and "
            "nowhere else in its own (the CrossCodeEval criterion; import statements aside): *attribute* "
            "(the cursor after `module.`, a module of the package the file imports; the attribute occurs "
            "nowhere else in the file, not even inside a longer word) and *call-args* (the cursor after "
            "the `(` of a call to a function or class the file imports from another file of the package, "
            "called on no other line). Drawn by a seed, in turn from each kind and package. The packages "
            "are copied to a temporary workspace (one folder per package, given as `workspaceFolders`; the "
            "run starts once each server's status says its workspace index is ready) "
            "and the hole's file is written there with the rest of the line taken out, so the disk does "
            "not give the answer away (`workspace/didChangeWatchedFiles` tells a server that registered a "
            "file watcher, before and after). One server per setting, the same holes asked of each in turn (the order rotates): "
            "*in-file* (`context.definitionsTokens`, `context.usageExamplesTokens`, "
            "`context.openDocumentsTokens`, "
            "`context.recentEditsTokens` and `context.otherFilesTokens` all 0, `context.knownNames` off), "
            "*workspace* (budgets on, "
            "only the hole's file open), "
            "*workspace+open* (budgets on, and the file that defines the name opened in the editor before "
            "the request, closed after). Debounce 0, no result cache; the scoring is the real-code "
            "bench's (exact first line, edit similarity, empty answers). *Other files' tokens*: the mean of "
            "what the prompt showed of other files, and *defining file shown*: how often the file that "
            "defines the name was among them (both from `ghostwright/status`). `--trace FILE` keeps every "
            "answer (`--resume` goes on from it; `--table FILE` prints its tables).\n\n"
            f"{table}\n")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if head in text:
        # Earlier runs stay, each with the note written under it: the new one goes after them,
        # and only the description above them is replaced.
        start = text.index(head)
        nxt = text.find("\n## ", start + len(head))
        section = text[start:] if nxt == -1 else text[start:nxt + 1]
        intro_end = section.find("\n\n", len(head) + 2)
        runs = section[intro_end + 2:].rstrip("\n") if intro_end != -1 else ""
        intro = body[:body.index("\n\n", len(head) + 2) + 2]
        body = intro + (runs + "\n\n" if runs else "") + f"{table}\n"
    replace_section(path, head, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=PER_LANGUAGE, help="holes per language")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--budget", action="append", default=[], metavar="KEY=TOKENS",
                        help="a context budget of the workspace settings (e.g. definitionsTokens=1024); "
                        "default: the server's own")
    parser.add_argument("--write", type=Path, default=None, help="update this benchmarks page")
    parser.add_argument("--trace", type=Path, default=None, help="write every hole's answers here (JSON lines)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the holes the --trace file has answered (a larger LIMIT asks the same "
                        "holes first)")
    parser.add_argument("--table", type=Path, default=None,
                        help="print (and with --write, write) the tables of an earlier run's --trace")
    args = parser.parse_args(argv)
    budgets = default_budgets()
    for item in args.budget:
        key, _, value = item.partition("=")
        if key not in BUDGETS or not value.isdigit():
            parser.error(f"--budget {item!r}: expected one of {', '.join(BUDGETS)} = a whole number")
        budgets[key] = int(value)
    if args.table:
        table = table_from_trace(args.table, args.max_tokens, budgets)
        print(table)
        if args.write:
            write_section(args.write, table)
        return
    asyncio.run(run(args.limit, args.max_tokens, budgets, args.write, args.trace,
                    tuple(args.languages.split(",")), args.resume))


if __name__ == "__main__":
    main()
