"""The workspace's source files, listed in the background and outlined on demand; a request never waits for the listing."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from ghostwright.config import ContextConfig
from ghostwright.context import outline as outlines
from ghostwright.text import languages
from ghostwright.text.languages import language_of
from ghostwright.trust.workspace_files import Limits, Workspace

log = logging.getLogger(__name__)

# The files a definition can live in: those of the languages whose imports context reads (a
# family in the table), and these, which no entry names.
OTHER_SOURCE_SUFFIXES = (".mts", ".cts", ".d.ts", "go.mod", ".hh", ".hxx")


def source_suffixes() -> tuple[str, ...]:
    """The endings of the file names the index lists."""
    return tuple(ext for lang in languages.LANGUAGES.values() if lang.family for ext in lang.extensions) \
        + OTHER_SOURCE_SUFFIXES
# Outlines kept (per file, by its modification time and size).
OUTLINES_KEPT = 512


def limits(config: ContextConfig) -> Limits:
    return Limits(max_file_bytes=config.max_file_bytes, max_files=config.max_files, exclude=tuple(config.exclude))


class WorkspaceIndex:
    """The files of the workspace folders that context may read, by name.

    `start` lists them on a thread of its own; until that is done `ready` is False and lookups
    find only what `allows` admits among the paths asked about. `refresh` (a file created,
    deleted or saved) lists again, in the background too."""

    def __init__(self, folders: list[Path], config: ContextConfig) -> None:
        self.workspace = Workspace(folders, limits(config))
        self.config_key = (tuple(folders), limits(config))
        self._lock = threading.Lock()
        self._by_name: dict[str, list[str]] = {}
        self._all: set[str] = set()
        self._outlines: OrderedDict[str, tuple[tuple[int, int], str, list[outlines.Entry]]] = OrderedDict()
        self._wanted = threading.Event()
        self._closed = False
        self.ready = False
        self.files = 0
        self.generation = 0  # how many listings are done: what was scanned of an older one is old
        self._thread: threading.Thread | None = None

    @property
    def folders(self) -> tuple[Path, ...]:
        return self.workspace.folders

    def start(self) -> None:
        self._wanted.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ghostwright-index", daemon=True)
            self._thread.start()

    def refresh(self) -> None:
        """Files were created, deleted or saved: list again (in the background); outlines check their stamps."""
        self._wanted.set()

    def close(self) -> None:
        self._closed = True
        self._wanted.set()

    def _run(self) -> None:
        while not self._closed:
            self._wanted.wait()
            self._wanted.clear()
            if self._closed:
                return
            try:
                self._list()
            except Exception:  # an index is a help: without it, context uses open documents only
                log.exception("listing the workspace failed")

    def _list(self) -> None:
        by_name: dict[str, list[str]] = {}
        every: set[str] = set()
        for path in self.workspace.files(source_suffixes()):
            key = os.path.abspath(path)
            by_name.setdefault(path.name, []).append(key)
            every.add(key)
            if self._closed:
                return
        with self._lock:
            self._by_name, self._all = by_name, every
            self.files = len(every)
            self.generation += 1
        self.ready = True
        log.info("workspace index: %d source files under %s", len(every), ", ".join(map(str, self.folders)))

    # --- lookups (any thread) ---
    def has(self, path: str) -> bool:
        """Whether `path` (absolute, normalised) is a file context may read."""
        if self.ready:
            with self._lock:
                return path in self._all
        return self.workspace.allows(Path(path)) and os.path.isfile(path)

    def ending_with(self, relative: str, near: str) -> str | None:
        """The indexed file whose path ends with `relative` ("pkg/mod.py"), the one nearest `near` first."""
        name = relative.rsplit("/", 1)[-1]
        with self._lock:
            candidates = [p for p in self._by_name.get(name, ()) if p.endswith(os.sep + relative.replace("/", os.sep))]
        if not candidates:
            return None
        return max(candidates, key=lambda p: (len(os.path.commonpath([p, near])), -len(p)))

    def in_folder(self, folder: str) -> list[str]:
        """The indexed files directly in `folder` (a Go package)."""
        with self._lock:
            return sorted(p for p in self._all if os.path.dirname(p) == folder)

    def paths(self) -> list[str]:
        """Every indexed file (absolute), in a stable order."""
        with self._lock:
            return sorted(self._all)

    def text(self, path: str) -> str | None:
        """The text of an indexed file, read under the workspace's rules (not remembered)."""
        return self.workspace.read(Path(path)) if self.has(path) else None

    def relative(self, path: str) -> str:
        return self.workspace.relative(Path(path))

    def outline(self, path: str) -> tuple[str, list[outlines.Entry]] | None:
        """(text, outline) of a workspace file on disk, or None (not allowed, unreadable, too big)."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._outlines.get(path)
            if cached is not None and cached[0] == stamp:
                self._outlines.move_to_end(path)
                return cached[1], cached[2]
        text = self.workspace.read(Path(path))
        if text is None:
            return None
        entries = outline_of(path, text)
        with self._lock:
            self._outlines[path] = (stamp, text, entries)
            while len(self._outlines) > OUTLINES_KEPT:
                self._outlines.popitem(last=False)
        return text, entries


_MEMO: OrderedDict[tuple[str, int], list[outlines.Entry]] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def outline_of(path: str, text: str, language: str = "") -> list[outlines.Entry]:
    """The outline of a text (an open document's, or a file's), remembered by path and text."""
    key = (path, hash(text))
    with _MEMO_LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    try:
        entries = outlines.outline(language or language_of("", Path(path).as_uri()), text)
    except Exception:  # a grammar surprise costs this file's outline, never the completion
        log.exception("outlining %s failed", path)
        entries = []
    with _MEMO_LOCK:
        _MEMO[key] = entries
        while len(_MEMO) > OUTLINES_KEPT:
            _MEMO.popitem(last=False)
    return entries


def index_for(current: WorkspaceIndex | None, folders: list[Path], config: ContextConfig,
              start: Callable[[WorkspaceIndex], None] = WorkspaceIndex.start) -> WorkspaceIndex | None:
    """The index for these folders and limits: the current one when nothing changed, else a new one."""
    if not folders or not (config.definitions_tokens or config.usage_examples_tokens or config.known_names) \
            or config.max_files == 0:
        if current is not None:
            current.close()
        return None
    if current is not None and current.config_key == (tuple(folders), limits(config)):
        return current
    if current is not None:
        current.close()
    index = WorkspaceIndex(folders, config)
    start(index)
    return index
