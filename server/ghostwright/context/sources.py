"""Context beyond the file: definitions, usage examples, similar open documents, recent edits, each within its budget."""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

from ghostwright.config import ContextConfig
from ghostwright.context import definitions, known_names, open_documents, recent_edits, usage_examples
from ghostwright.context.outline import Entry
from ghostwright.context.prompts import RepoFiles
from ghostwright.context.workspace_index import WorkspaceIndex, index_for, outline_of
from ghostwright.text.documents import Document
from ghostwright.text import languages
from ghostwright.text.languages import language_of
from ghostwright.text.syntax import SyntaxTree
from ghostwright.trust.workspace_files import Workspace, is_secret

TokenCounter = Callable[[str], int]

# In prompt order, stable first: what changes least while the user types on a line comes first,
# so the backend's cached prompt prefix covers it (recent edits move only when another document
# is edited; definitions with the names near the cursor; usage examples with the call the cursor is
# in; similar snippets with the lines above it).
SOURCES = ("recentEdits", "definitions", "usageExamples", "openDocuments")
# A snippet cut to fit a budget keeps at least this many tokens, else it is left out.
MIN_CUT_TOKENS = 24


def path_of(uri: str) -> str | None:
    """The local path of a `file:` URI, else None."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return os.path.normpath(unquote(parsed.path))


@dataclass(frozen=True)
class Snippet:
    source: str  # one of SOURCES
    path: str  # as the prompt names it (relative to the workspace folder)
    text: str
    tokens: int


@dataclass(frozen=True)
class CrossFile:
    """What the prompt sees of other files, and the names it goes under."""

    repo: str
    path: str
    snippets: tuple[Snippet, ...]
    comment: str = "#"

    def files(self) -> RepoFiles:
        return RepoFiles(self.repo, self.path, tuple((s.path, s.text) for s in self.snippets), self.comment)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.snippets)

    def summary(self) -> dict:
        """Per source: tokens and files, as `ghostwright/status` and `ghostwright complete` show them."""
        out: dict = {}
        for s in self.snippets:
            entry = out.setdefault(s.source, {"tokens": 0, "files": []})
            entry["tokens"] += s.tokens
            if s.path not in entry["files"]:
                entry["files"].append(s.path)
        return out


class _Counts:
    """Token counts of snippet texts, remembered: the same outlines come back at every request."""

    def __init__(self, size: int = 4096) -> None:
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._size = size

    def __call__(self, count: TokenCounter, text: str) -> int:
        n = self._seen.get(text)
        if n is None:
            n = self._seen[text] = count(text)
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return n


_counts = _Counts()


class Surroundings:
    """What the editor has open and did, and the workspace on disk: everything context may read
    besides the current document. Open documents come first: their text is newer than the disk's."""

    def __init__(self) -> None:
        self.folders: list[Path] = []
        self.workspace: Workspace | None = None
        self.index: WorkspaceIndex | None = None
        self._docs: OrderedDict[str, Document] = OrderedDict()  # most recently used last
        self.edits = recent_edits.EditLog()
        # Verdicts on paths and URIs, by workspace: they are asked again at every request.
        self._allowed: dict[str, bool] = {}
        self._relative: dict[str, str] = {}

    # --- what the editor says ---
    def set_folders(self, folders: list[Path], config: ContextConfig, wait: bool = False) -> None:
        self.folders = [Path(os.path.abspath(f)) for f in folders if f]
        self.configure(config, wait)

    def configure(self, config: ContextConfig, wait: bool = False) -> None:
        """(Re)make the index when the folders or its limits changed; `wait` lists the files (and scans
        their calls) now."""
        start = WorkspaceIndex._list if wait else WorkspaceIndex.start
        self.index = index_for(self.index, self.folders, config, start)
        if wait and self.index is not None and config.usage_examples_tokens:
            usage_examples.call_sites(self.index).scan()  # a one-off completion (`ghostwright complete`)
        workspace = self.index.workspace if self.index is not None else (
            Workspace(self.folders) if self.folders else None)
        if workspace is not self.workspace:
            self._allowed.clear()
            self._relative.clear()
        self.workspace = workspace

    def used(self, doc: Document) -> None:
        self._docs[doc.uri] = doc
        self._docs.move_to_end(doc.uri)

    def edited(self, doc: Document) -> None:
        self.used(doc)
        if not doc.text_only:
            self.edits.record(doc.uri, doc.position_at(doc.last_edit, "utf-32")[0])

    def closed(self, uri: str) -> None:
        self._docs.pop(uri, None)
        self.edits.forget(uri)

    def refresh(self) -> None:
        if self.index is not None:
            self.index.refresh()

    def close(self) -> None:
        if self.index is not None:
            self.index.close()

    def status(self) -> dict:
        return {"workspaceFolders": [str(f) for f in self.folders],
                "indexReady": bool(self.index and self.index.ready),
                "indexedFiles": self.index.files if self.index else 0}

    # --- which documents may be shown ---
    def allowed(self, uri: str) -> bool:
        """An open document may reach a prompt unless its name looks secret or, in a workspace, it
        lies outside the workspace folders (a file of another project the editor also has open)."""
        verdict = self._allowed.get(uri)
        if verdict is None:
            if len(self._allowed) > 4096:
                self._allowed.clear()
            verdict = self._allowed[uri] = self._allows(uri)
        return verdict

    def _allows(self, uri: str) -> bool:
        path = path_of(uri)
        name = (path or urlparse(uri).path).rsplit("/", 1)[-1]
        if is_secret(unquote(name)):
            return False
        if self.workspace is None or path is None:
            return True
        return self.workspace.allows(Path(path))

    def others(self, doc: Document) -> list[Document]:
        """Other open documents that may be shown, most recently used first."""
        return [d for uri, d in reversed(self._docs.items())
                if uri != doc.uri and not d.text_only and self.allowed(uri)]

    def relative(self, path: str) -> str:
        shown = self._relative.get(path)
        if shown is None:
            if len(self._relative) > 4096:
                self._relative.clear()
            inside = self.workspace is not None and self.workspace.folder_of(Path(path)) is not None
            shown = self._relative[path] = self.workspace.relative(Path(path)) if inside else os.path.basename(path)
        return shown

    def repo_name(self, path: str | None) -> str:
        if self.folders:
            folder = self.workspace.folder_of(Path(path)) if self.workspace and path else None
            return (folder or self.folders[0]).name
        return os.path.basename(os.path.dirname(path)) if path else ""


class _Files:
    """definitions.Files over the open documents, then the workspace index."""

    def __init__(self, surroundings: Surroundings) -> None:
        self.s = surroundings
        self.open = {p: d for d in surroundings._docs.values()
                     if not d.text_only and (p := path_of(d.uri)) is not None and surroundings.allowed(d.uri)}

    def exists(self, path: str) -> bool:
        return path in self.open or (self.s.index is not None and self.s.index.has(path))

    def ending_with(self, relative: str, near: str) -> str | None:
        tail = os.sep + relative.replace("/", os.sep)
        opened = [p for p in self.open if p.endswith(tail)]
        if opened:
            return max(opened, key=lambda p: len(os.path.commonpath([p, near])))
        index = self.s.index
        if index is None:
            return None
        if index.ready:
            return index.ending_with(relative, near)
        for folder in self.s.folders:  # not listed yet: the usual places, asked directly
            for base in (folder, folder / "src", folder / "lib"):
                candidate = os.path.normpath(os.path.join(base, relative))
                if index.has(candidate):
                    return candidate
        return None

    def in_folder(self, folder: str) -> list[str]:
        found = {p for p in self.open if os.path.dirname(p) == folder}
        if self.s.index is not None and self.s.index.ready:
            found.update(self.s.index.in_folder(folder))
        return sorted(found)

    def outline(self, path: str) -> list[Entry] | None:
        doc = self.open.get(path)
        if doc is not None:
            return outline_of(path, doc.text, language_of(doc.language_id, doc.uri))
        if self.s.index is None:
            return None
        found = self.s.index.outline(path)
        return found[1] if found else None

    def read(self, path: str) -> str | None:
        doc = self.open.get(path)
        if doc is not None:
            return doc.text
        if self.s.index is not None:
            found = self.s.index.outline(path)
            return found[0] if found else None
        return self.s.workspace.read(Path(path)) if self.s.workspace is not None else None

    def relative(self, path: str) -> str:
        return self.s.relative(path)


def _fit(text: str, budget: int, count: TokenCounter) -> tuple[str, int]:
    """`text` cut at a line end to at most `budget` tokens: ("", 0) when too little would be left."""
    n = _counts(count, text)
    if n <= budget:
        return text, n
    if budget < MIN_CUT_TOKENS:
        return "", 0
    lines = text.split("\n")
    keep = max(1, int(len(lines) * budget / n))
    while keep > 0:
        cut = "\n".join(lines[:keep])
        n = _counts(count, cut)
        if n <= budget:
            return (cut, n) if n >= MIN_CUT_TOKENS else ("", 0)
        keep -= 1
    return "", 0


def _definitions(doc: Document, offset: int, path: str, language: str, budget: int, files: _Files,
                 count: TokenCounter) -> list[Snippet]:
    tree = doc.syntax if isinstance(doc.syntax, SyntaxTree) else None
    found = definitions.find(language, path, doc.text, offset, tree, files)
    # First the brief form of each, by rank, while the budget lasts; then the whole outline of
    # those chosen (a class's methods), by rank, where the rest of the budget holds it.
    ranked = sorted(found, key=lambda f: (-f.priority, f.order))
    chosen: dict[definitions.Found, tuple[str, int]] = {}
    left = budget
    for f in ranked:
        text, n = _fit(f.brief, left, count)
        if text:
            chosen[f] = (text, n)
            left -= n + 1  # the line break between entries
        if left < MIN_CUT_TOKENS:
            break
    for f in ranked:
        if f in chosen and f.text != f.brief:
            n = _counts(count, f.text)
            if n - chosen[f][1] <= left:
                left -= n - chosen[f][1]
                chosen[f] = (f.text, n)
    by_file: dict[str, list[tuple[tuple[int, int], str]]] = {}
    for f, (text, _n) in sorted(chosen.items(), key=lambda c: c[0].order):
        by_file.setdefault(f.path, []).append((f.order, text))
    out = []
    for file, parts in by_file.items():
        text = "\n".join(t for _, t in parts)
        out.append(Snippet("definitions", file, text, _counts(count, text)))
    return out


def _open_documents(doc: Document, offset: int, language: str, budget: int, s: Surroundings,
                    count: TokenCounter, outlined: set[str] = frozenset()) -> list[Snippet]:
    """Snippets of other open documents like the lines above the cursor, but none of a file whose
    outline the definitions show already: a second view of it costs prefill and seldom a name."""
    others = [d for d in s.others(doc) if _family(language_of(d.language_id, d.uri)) == _family(language)
              and s.relative(path_of(d.uri) or d.uri) not in outlined]
    similar = open_documents.most_similar(open_documents.query(doc.text, offset),
                                          [(d.uri, d.version, d.text) for d in others])
    out, left = [], budget
    for sim in similar:
        text, n = _fit(sim.text, left, count)
        if text:
            out.append(Snippet("openDocuments", s.relative(path_of(sim.uri) or sim.uri), text, n))
            left -= n
    return out


def _family(language: str) -> str:
    """Languages of one family (JavaScript, TypeScript) read each other's code as their own."""
    return languages.get(language).family or language


@lru_cache(maxsize=64)
def _family_of_ending(ending: str) -> str:
    return _family(language_of("", "file:///x" + ending))


def _family_of(path: str) -> str:
    return _family_of_ending(os.path.splitext(path)[1])


def _usage_examples(doc: Document, offset: int, path: str, language: str, budget: int, files: _Files,
                    count: TokenCounter) -> list[Snippet]:
    """Inside the arguments of a call to a name imported from the workspace: other files' calls of
    it, one snippet per file, the best first, while the budget lasts."""
    sites = None
    if files.s.index is not None:
        sites = usage_examples.call_sites(files.s.index)
        sites.wanted()  # any request starts the scan (in the background) once the index is listed
    tree = doc.syntax if isinstance(doc.syntax, SyntaxTree) else None
    names, call = usage_examples.called_names(language, path, doc.text, offset, tree, files)
    if not names:
        return []
    opened = [(p, d.uri, d.version, d.text) for p, d in files.open.items()]
    # Ranked by the lines above and the call's head, not what is typed of its arguments: typing on
    # keeps the block the same, and the backend's cached prompt prefix with it.
    near = doc.text[max(0, doc.text.rfind("\n", 0, max(0, call - 400))):call]
    family = _family(language)
    by_file: dict[str, list[str]] = {}
    left = budget
    for site in usage_examples.examples(names, path, near, sites, opened):
        if _family_of(site.path) != family:  # `parse(` of another language's file is another name
            continue
        n = _counts(count, site.text) + 1
        if n > left:
            continue
        by_file.setdefault(site.path, []).append(site.text)
        left -= n
        if left < 8:
            break
    out = []
    for file, texts in by_file.items():
        text = "\n".join(texts)
        out.append(Snippet("usageExamples", files.relative(file), text, _counts(count, text)))
    return out


def _recent_edits(doc: Document, budget: int, s: Surroundings, count: TokenCounter) -> list[Snippet]:
    out, left = [], budget
    shown: set[tuple[str, int]] = set()
    docs = {d.uri: d for d in s.others(doc)}
    for edit in s.edits.newest_first(doc.uri):
        other = docs.get(edit.uri)
        if other is None or (edit.uri, edit.first) in shown:
            continue
        shown.add((edit.uri, edit.first))
        text, n = _fit(recent_edits.excerpt(other.text, other.line_starts, edit), left, count)
        if text.strip():
            out.append(Snippet("recentEdits", s.relative(path_of(edit.uri) or edit.uri), text, n))
            left -= n
        if left < MIN_CUT_TOKENS:
            break
    return out


def gather(doc: Document, offset: int, config: ContextConfig, s: Surroundings | None,
           count: TokenCounter) -> CrossFile | None:
    """Other files' context for a completion at `offset` of `doc`; None when there is none (all
    budgets 0, nothing found): the prompt is then the current file's alone."""
    if s is None or doc.text_only or not config.other_files_tokens or not (
            config.definitions_tokens or config.usage_examples_tokens or config.open_documents_tokens
            or config.recent_edits_tokens):
        return None
    language = language_of(doc.language_id, doc.uri)
    path = path_of(doc.uri)
    # One budget for all of them (what a prompt may grow by), filled in the order of what helps
    # most: usage examples (a few lines, only inside a call), definitions, then recent edits, then
    # similar snippets; shown in the order of SOURCES.
    left = config.other_files_tokens
    found: dict[str, list[Snippet]] = {}
    files = _Files(s) if path is not None and (config.definitions_tokens or config.usage_examples_tokens) else None
    if config.usage_examples_tokens and files is not None and path is not None:
        found["usageExamples"] = _usage_examples(doc, offset, path, language,
                                                 min(config.usage_examples_tokens, left), files, count)
        left -= sum(sn.tokens for sn in found["usageExamples"])
    if config.definitions_tokens and files is not None and path is not None and left >= MIN_CUT_TOKENS:
        found["definitions"] = _definitions(doc, offset, path, language, min(config.definitions_tokens, left),
                                            files, count)
        left -= sum(sn.tokens for sn in found["definitions"])
    if config.recent_edits_tokens and left >= MIN_CUT_TOKENS:
        found["recentEdits"] = _recent_edits(doc, min(config.recent_edits_tokens, left), s, count)
        left -= sum(sn.tokens for sn in found["recentEdits"])
    if config.open_documents_tokens and left >= MIN_CUT_TOKENS:
        found["openDocuments"] = _open_documents(doc, offset, language, min(config.open_documents_tokens, left),
                                                 s, count, {sn.path for sn in found.get("definitions", ())})
    snippets = [sn for source in SOURCES for sn in found.get(source, ())]
    if not snippets:
        return None
    here = s.relative(path) if path is not None else urlparse(doc.uri).path.rsplit("/", 1)[-1]
    return CrossFile(s.repo_name(path), here, tuple(snippets), definitions.comment_of(language))


def names_after_module(doc: Document, offset: int, s: Surroundings | None) -> tuple[str, ...] | None:
    """What may follow the cursor right after `module.` of a workspace module (known_names), else None."""
    path = path_of(doc.uri)
    if s is None or path is None or doc.text_only:
        return None
    tree = doc.syntax if isinstance(doc.syntax, SyntaxTree) else None
    return known_names.after_module(language_of(doc.language_id, doc.uri), path, doc.text, offset, tree, _Files(s))
