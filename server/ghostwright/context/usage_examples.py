"""Usage examples: inside the argument list of a call to a workspace name, how other files of the workspace call it."""

from __future__ import annotations

import logging
import os
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable

from ghostwright.context import definitions
from ghostwright.context.workspace_index import WorkspaceIndex

log = logging.getLogger(__name__)

_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
# A call: a name, after a dot (kept: `.f` is a method or a module's member, `f` a name in scope) or
# not, and its `(`; `def f(`, `function f(`, `class C(` and a method's head (`  parse (comp) {`) define.
_CALL = re.compile(r"(?:(?<=[\w$)\]])(\.)\s*|(?<![\w$.]))([A-Za-z_$][\w$]*)\s*\(")
_DEFINES = re.compile(r"(?:\bdef|\bfunction\*?|\bclass|\bfunc|\bfn)\s+$")
_METHOD_HEAD = re.compile(r"^\s*(?:(?:static|async|get|set)\s+)*$")
# A call longer than this (a line of data, minified code) is no example anyone reads.
MAX_SITE_CHARS = 160
# A call whose arguments go on past its line is taken up to this many lines (until its `(` closes).
MAX_SITE_LINES = 3
# Examples kept per name and file (the shortest), and per name in the whole workspace (files in path order).
PER_FILE = 2
PER_NAME = 24
# Open documents scanned and kept by (uri, version).
OPEN_KEPT = 32


@dataclass(frozen=True)
class Site:
    """One call as a file writes it: its file (absolute), its first line (0-based), its text."""

    path: str
    line: int
    text: str


def _lines_of_call(lines: list[str], i: int, start: int) -> str | None:
    """The call that opens at column `start` of line `i`, up to its closing `)`: its lines dedented
    to the first one's, at most MAX_SITE_LINES; None when longer or too wide."""
    depth, taken = 0, []
    indent = len(lines[i]) - len(lines[i].lstrip())
    for j in range(i, min(len(lines), i + MAX_SITE_LINES)):
        line = lines[j]
        text = line[start:] if j == i else line
        for c in text:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0:
                    break
        taken.append(line[indent:].rstrip() if len(line) - len(line.lstrip()) >= indent else line.strip())
        if depth <= 0:
            out = "\n".join(taken)
            return out if len(out) <= MAX_SITE_CHARS else None
    return None


_COMMENTS = ("#", "//", "/*", "* ", ";")


def _in_string(line: str, at: int) -> bool:
    """Whether column `at` of a line is inside a string the line opens or a comment that ends it
    (quotes counted, escapes skipped; `#` after a blank or at the start, `//`)."""
    quote = ""
    i = 0
    while i < at:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif (c == "#" and (i == 0 or line[i - 1] in " \t")) or line.startswith("//", i):
            return True
        i += 1
    return bool(quote)


def scan(path: str, text: str) -> dict[str, list[Site]]:
    """The calls of a file's text by the name called, `.name` after a dot (at most PER_FILE each,
    the shortest)."""
    out: dict[str, list[Site]] = {}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "(" not in line or len(line) > 4 * MAX_SITE_CHARS or line.lstrip().startswith(_COMMENTS):
            continue
        for m in _CALL.finditer(line):
            if _in_string(line, m.start()):  # `self.write("(await auto_await(")` calls nothing, nor `# f(x)`
                continue
            name = ("." if m.group(1) else "") + m.group(2)
            if _DEFINES.search(line, 0, m.start()) or name in ("if", "for", "while", "switch", "return", "catch") \
                    or (_METHOD_HEAD.match(line, 0, m.start()) and line.rstrip().endswith("{")):
                continue
            found = out.get(name, [])
            if len(found) >= PER_FILE and all(len(s.text) <= len(line.strip()) for s in found):
                continue
            site = _lines_of_call(lines, i, m.start())
            if site is None:
                continue
            found = out.setdefault(name, found)
            found.append(Site(path, i, site))
            if len(found) > PER_FILE:
                found.sort(key=lambda s: len(s.text))
                del found[PER_FILE:]
    return out


class CallSites:
    """The calls of every file the workspace index lists, by name: scanned on a thread of its own
    when the index has listed its files (again), only the files whose stamp changed read again.
    A request never waits: it gets what the last scan found, nothing before the first."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self._index = weakref.ref(index)
        self._lock = threading.Lock()
        self._files: dict[str, tuple[tuple[int, int], dict[str, list[Site]]]] = {}
        self._by_name: dict[str, list[Site]] = {}
        self._scanned = -1  # the index's listing the last scan covered
        self._running = False
        self.ready = False

    def wanted(self) -> None:
        """Scan in the background if the index listed its files since the last scan."""
        index = self._index()
        if index is None or not index.ready or index.generation == self._scanned:
            return
        with self._lock:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="ghostwright-usages", daemon=True).start()

    def _run(self) -> None:
        try:
            self.scan()
        except Exception:  # examples are a help: without them, the other sources still are
            log.exception("scanning the workspace's calls failed")
        finally:
            self._running = False

    def scan(self) -> None:
        """Scan now (the index's listing must be done)."""
        index = self._index()
        if index is None:
            return
        generation = index.generation
        files: dict[str, tuple[tuple[int, int], dict[str, list[Site]]]] = {}
        for path in index.paths():
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamp = (st.st_mtime_ns, st.st_size)
            old = self._files.get(path)
            if old is not None and old[0] == stamp:
                files[path] = old
                continue
            text = index.text(path)
            files[path] = (stamp, scan(path, text) if text is not None else {})
        by_name: dict[str, list[Site]] = {}
        for path in sorted(files):
            for name, sites in files[path][1].items():
                kept = by_name.setdefault(name, [])
                if len(kept) < PER_NAME:
                    kept.extend(sites[:PER_NAME - len(kept)])
        with self._lock:
            self._files, self._by_name, self._scanned = files, by_name, generation
        self.ready = True

    def of(self, name: str) -> list[Site]:
        with self._lock:
            return list(self._by_name.get(name, ()))


_SITES: "weakref.WeakKeyDictionary[WorkspaceIndex, CallSites]" = weakref.WeakKeyDictionary()
_SITES_LOCK = threading.Lock()


def call_sites(index: WorkspaceIndex) -> CallSites:
    """The call sites of this index's files (one scanner per index)."""
    with _SITES_LOCK:
        sites = _SITES.get(index)
        if sites is None:
            sites = _SITES[index] = CallSites(index)
    return sites


_OPEN: OrderedDict[tuple[str, int], dict[str, list[Site]]] = OrderedDict()


def _scan_open(path: str, uri: str, version: int, text: str) -> dict[str, list[Site]]:
    key = (uri, version)
    found = _OPEN.get(key)
    if found is None:
        found = _OPEN[key] = scan(path, text)
        while len(_OPEN) > OPEN_KEPT:
            _OPEN.popitem(last=False)
    return found


def called_names(language: str, path: str, text: str, offset: int, tree,
                 files: definitions.Files) -> tuple[set[str], int]:
    """The names to look for where the cursor is inside the arguments of a call to a name the file
    imports from a workspace module (`f(`, `ns.f(`, `new C(`) — the name as imported and as bound
    here, `.f` for a module's member — and the offset just past the call's `(`; (set(), -1) anywhere
    else."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_before = text[line_start:offset]
    opened = definitions.call_open(line_before)
    called = definitions.callee(line_before[:opened]) if opened >= 0 else ""
    if not called:
        return set(), -1
    head = line_before[:opened].rstrip()[:-len(called)]
    dotted = re.search(r"([A-Za-z_$][\w$]*)\s*\.\s*$", head)
    found = _imported(language, path, text, tree, files, called, dotted.group(1) if dotted else None)
    return (found, line_start + opened + 1) if found else (set(), -1)


def _imported(language: str, path: str, text: str, tree, files: definitions.Files, called: str,
              module: str | None) -> set[str]:
    """The names of `called` (`module.called` when a module is named) if the file imports it from a workspace file."""
    for imp in definitions.imports_of(language, text, tree):
        if module is not None:  # `ns.f(`: ns a module the file imports, or `from . import ns`
            if imp.namespace == module:
                targets = definitions.resolve(language, imp, path, files)
            else:
                original = next((n for n in imp.names if imp.local(n) == module), None)
                targets = definitions.submodule(language, imp, original, path, files) if original else []
            if targets:
                return {"." + called}  # as a member, whatever other files call the module
            continue
        if imp.namespace == called:  # a module called itself (a JavaScript default export)
            original = called
        else:
            original = next((n for n in imp.names if imp.local(n) == called), None)
            if original is None:
                continue
        if definitions.resolve(language, imp, path, files):
            return {original, called}
    return set()


def _words(text: str) -> set[str]:
    return set(_IDENT.findall(text))


def examples(names: set[str], here: str, near: str, sites: CallSites | None,
             open_docs: Iterable[tuple[str, str, int, str]]) -> list[Site]:
    """The calls of `names` in files other than `here`, most like `near` (the lines around the
    cursor, by their identifiers) first, then the shortest; open documents' text wins over the disk."""
    found: list[Site] = []
    opened: set[str] = set()
    for path, uri, version, text in open_docs:
        opened.add(path)
        if path != here:
            scanned = _scan_open(path, uri, version, text)
            for name in names:
                found += scanned.get(name, ())
    if sites is not None:
        for name in names:
            found += [s for s in sites.of(name) if s.path != here and s.path not in opened]
    if not found:
        return []
    words = _words(near)

    def rank(site: Site) -> tuple[float, int]:
        w = _words(site.text)
        return -len(w & words) / (len(w | words) or 1), len(site.text)

    seen: set[str] = set()
    out = []
    for site in sorted(found, key=rank):
        if site.text not in seen:  # the same call written again elsewhere tells nothing more
            seen.add(site.text)
            out.append(site)
    return out
