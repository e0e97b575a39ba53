"""The editor's open documents, kept identical to the client's text under incremental edits."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from typing import Any

from ghostwright import syntax

log = logging.getLogger(__name__)

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(ch: str, encoding: str) -> int:
    """Length of one code point in the negotiated position encoding's code units."""
    cp = ord(ch)
    if encoding == UTF16:
        return 2 if cp > 0xFFFF else 1
    if encoding == UTF8:
        if cp < 0x80:
            return 1
        if cp < 0x800 or 0xD800 <= cp <= 0xDFFF:
            # A lone surrogate cannot be UTF-8 encoded; count it as the 3 bytes of U+FFFD.
            return 2 if cp < 0x800 else 3
        return 3 if cp < 0x10000 else 4
    return 1


def column_to_index(line: str, character: int, encoding: str) -> int:
    """Code-point index in `line` of an LSP character offset; clamps past the end (LSP rule)."""
    if character <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(character, len(line))
    units = 0
    for i, ch in enumerate(line):
        units += _units(ch, encoding)
        if units > character:
            # An offset inside a surrogate pair or a multi-byte sequence snaps to its start.
            return i
        if units == character:
            return i + 1
    return len(line)


def index_to_column(line: str, index: int, encoding: str) -> int:
    """LSP character offset of a code-point index in `line`."""
    head = line[:index]
    if encoding == UTF32 or head.isascii():
        return len(head)
    return sum(_units(ch, encoding) for ch in head)


@dataclass
class Document:
    uri: str
    text: str
    version: int = 0
    language_id: str = ""
    # The incremental syntax tree (syntax.SyntaxTree), or None for languages without a grammar.
    syntax: Any = field(default=None, repr=False)
    # Where the last prompt window started (windows.Anchor), so the next one can start there too.
    window_anchor: Any = field(default=None, repr=False)
    last_edit: int = 0  # where the last change ended: where the user is likely to ask next
    _line_starts: list[int] | None = field(default=None, repr=False)

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        start = starts[line]
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return self.text[start:end]

    def offset_at(self, line: int, character: int, encoding: str) -> int:
        """Code-point offset of an LSP position; positions past the end clamp to the end."""
        starts = self.line_starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        return starts[line] + column_to_index(self.line_text(line), character, encoding)

    def position_at(self, offset: int, encoding: str) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line, index_to_column(self.line_text(line), offset - self.line_starts[line], encoding)

    def apply_change(
        self, start: tuple[int, int] | None, end: tuple[int, int] | None, new_text: str, encoding: str
    ) -> tuple[int, int, int]:
        """Apply one content change; returns (start offset, old end offset, new end offset).

        `start`/`end` are None for a whole-document replacement. A range whose end comes
        before its start is taken as the span between them, as editors mean it.
        """
        if start is None or end is None:
            old_len = len(self.text)
            if self.syntax is not None:
                try:
                    self.syntax.replace(new_text)
                except Exception:
                    log.exception("syntax tree reparse failed; %s continues without a tree", self.uri)
                    self.syntax = None
            self.text = new_text
            self._line_starts = None
            self.last_edit = 0
            return 0, old_len, len(new_text)
        a = self.offset_at(*start, encoding)
        b = self.offset_at(*end, encoding)
        if b < a:
            a, b = b, a
        if self.syntax is not None:
            try:
                self.text = self.syntax.edit(self.text, a, b, new_text)
            except Exception:  # the tree is a help; the text must stay in sync whatever happens
                log.exception("syntax tree edit failed; %s continues without a tree", self.uri)
                self.syntax = None
        if self.syntax is None:
            self.text = self.text[:a] + new_text + self.text[b:]
        self._shift_line_starts(a, b, new_text)
        self.last_edit = a + len(new_text)
        return a, b, a + len(new_text)

    def _shift_line_starts(self, a: int, b: int, new_text: str) -> None:
        """Update the line index for one change instead of rescanning the document (keystrokes
        into large files)."""
        starts = self._line_starts
        if starts is None:
            return
        first = bisect.bisect_right(starts, a)  # line starts up to `a` are unchanged
        last = bisect.bisect_right(starts, b)
        delta = len(new_text) - (b - a)
        inserted = []
        i = new_text.find("\n")
        while i != -1:
            inserted.append(a + i + 1)
            i = new_text.find("\n", i + 1)
        starts[first:] = inserted + [s + delta for s in starts[last:]]


class DocumentStore:
    """Open documents by URI."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self._unsettled: set[str] = set()

    def changed(self, uri: str) -> bool:
        """Note a document whose tree waits for its reparse; True when it is the first since
        the last `settle` (the caller schedules one settle for all)."""
        first = not self._unsettled
        self._unsettled.add(uri)
        return first

    def settle(self) -> list[Document]:
        """Reparse the changed documents now, while nothing waits: an editor asks for a
        completion some time after its edit (ghostwright.el: 50 ms of idle), and the request
        then finds its tree ready instead of paying for the reparse. Returns them."""
        uris, self._unsettled = self._unsettled, set()
        docs = [d for d in (self._docs.get(uri) for uri in uris) if d is not None]
        for doc in docs:
            if doc.syntax is not None:
                try:
                    doc.syntax.settle()
                except Exception:  # the tree is a help: the request will try again or go without
                    log.exception("reparse of %s failed", doc.uri)
        return docs

    def open(self, uri: str, text: str, version: int, language_id: str) -> Document:
        doc = Document(uri=uri, text=text, version=version, language_id=language_id)
        doc.syntax = syntax.tree_for(syntax.language_of(language_id, uri), text)
        self._docs[uri] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def __len__(self) -> int:
        return len(self._docs)
