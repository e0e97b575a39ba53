"""The editor's open documents, kept identical to the client's text under incremental edits."""

from __future__ import annotations

import bisect
import logging
from typing import Any

from ghostwright.text import guards, syntax
from ghostwright.text.languages import language_of
from ghostwright.text.chunked_text import ChunkedText

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


class Document:
    """One open document. Over its byte limit it is text only (chunked_text.ChunkedText): no
    syntax tree, no line index over the whole text, and an edit costs the edit's size."""

    def __init__(self, uri: str, text: str, version: int = 0, language_id: str = "", syntax: Any = None,
                 max_bytes: int | None = None) -> None:
        self.uri = uri
        self.version = version
        self.language_id = language_id
        # The incremental syntax tree (syntax.SyntaxTree), or None for languages without a grammar.
        self.syntax = syntax
        # Where the last prompt window started (windows.Anchor), so the next one can start there too.
        self.window_anchor: Any = None
        self.last_edit = 0  # where the last change ended: where the user is likely to ask next
        self.max_bytes = max_bytes  # over it: text only (None: never)
        self._text = text
        self._chunks: ChunkedText | None = None
        self._line_starts: list[int] | None = None
        if max_bytes is not None and guards.over_limit(text, max_bytes) is not None:
            self._chunks, self._text = ChunkedText(text), None

    def __repr__(self) -> str:
        return f"Document({self.uri!r}, version={self.version}, {len(self)} code points)"

    @property
    def text_only(self) -> bool:
        """Over the byte limit: kept as text, never parsed or tokenized."""
        return self._chunks is not None

    @property
    def text(self) -> str:
        """The whole text (for a text-only document, joined once per version: rare paths only)."""
        if self._text is None:
            self._text = str(self._chunks)
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value
        self._line_starts = None
        if self._chunks is not None:
            self._chunks, self._text = ChunkedText(value), None

    def __len__(self) -> int:
        return len(self._chunks) if self._chunks is not None else len(self._text)

    def over_limit(self, limit: int) -> int | None:
        """The size in bytes when over `limit`, else None; no pass over a text-only document."""
        if self._chunks is not None:
            return self._chunks.bytes if self._chunks.bytes > limit else None
        return guards.over_limit(self._text, limit)

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
        if self._chunks is not None:
            start = self._chunks.line_start(line)
            return "" if start is None else self._chunks.read(start, self._chunks.line_end(start))
        starts = self.line_starts
        start = starts[line]
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return self.text[start:end]

    def line_bytes(self, line: int, limit: int) -> int | None:
        """The size in bytes of `line` when over `limit`, else None (a short line is not encoded)."""
        if self._chunks is not None:
            return guards.over_limit(self.line_text(line), limit)
        starts = self.line_starts
        if not 0 <= line < len(starts):
            return None
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self._text)
        if (end - starts[line]) * 4 <= limit:
            return None
        return guards.over_limit(self._text[starts[line]:end], limit)

    def offset_at(self, line: int, character: int, encoding: str) -> int:
        """Code-point offset of an LSP position; positions past the end clamp to the end."""
        if line < 0:
            return 0
        if self._chunks is not None:
            chunks = self._chunks
            start = chunks.line_start(line)
            if start is None:
                return len(chunks)
            # A column never spans more code points than its count of code units.
            head = chunks.read(start, min(chunks.line_end(start), start + max(0, character)))
            return start + column_to_index(head, character, encoding)
        starts = self.line_starts
        if line >= len(starts):
            return len(self.text)
        return starts[line] + column_to_index(self.line_text(line), character, encoding)

    def position_at(self, offset: int, encoding: str) -> tuple[int, int]:
        offset = max(0, min(offset, len(self)))
        if self._chunks is not None:
            line, start = self._chunks.line_of(offset)
            return line, index_to_column(self._chunks.read(start, offset), offset - start, encoding)
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
            old_len = len(self)
            self._replace_all(new_text)
            self.last_edit = 0
            return 0, old_len, len(new_text)
        a = self.offset_at(*start, encoding)
        b = self.offset_at(*end, encoding)
        if b < a:
            a, b = b, a
        if self._chunks is not None:
            self._chunks.replace(a, b, new_text)
            self._text = None
            self.last_edit = a + len(new_text)
            self._fit_limit()
            return a, b, a + len(new_text)
        if self.syntax is not None:
            try:
                self._text = self.syntax.edit(self._text, a, b, new_text)
            except Exception:  # the tree is a help; the text must stay in sync whatever happens
                log.exception("syntax tree edit failed; %s continues without a tree", self.uri)
                self.syntax = None
        if self.syntax is None:
            self._text = self._text[:a] + new_text + self._text[b:]
        self._shift_line_starts(a, b, new_text)
        self.last_edit = a + len(new_text)
        self._fit_limit()
        return a, b, a + len(new_text)

    def _replace_all(self, new_text: str) -> None:
        if self._chunks is None and self.syntax is not None and \
                (self.max_bytes is None or guards.over_limit(new_text, self.max_bytes) is None):
            try:
                self.syntax.replace(new_text)
            except Exception:
                log.exception("syntax tree reparse failed; %s continues without a tree", self.uri)
                self.syntax = None
        self.text = new_text
        self._fit_limit()

    def _fit_limit(self) -> None:
        """Cross the byte limit either way: drop the tree and keep chunks above it, join the text
        and parse it again below it (once per crossing)."""
        if self.max_bytes is None:
            return
        over = self.over_limit(self.max_bytes) is not None
        if over and self._chunks is None:
            self._chunks = ChunkedText(self._text)
            self._text, self._line_starts = None, None
            self.syntax, self.window_anchor = None, None
        elif not over and self._chunks is not None:
            self._text, self._chunks = self.text, None
            self.syntax = syntax.tree_for(language_of(self.language_id, self.uri), self._text)

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

    def __init__(self, max_bytes: int | None = None) -> None:
        self._docs: dict[str, Document] = {}
        self._unsettled: set[str] = set()
        self.max_bytes = max_bytes  # documents over it are text only

    def set_limit(self, max_bytes: int | None) -> None:
        """A new byte limit (configuration): each open document crosses it now if it must."""
        self.max_bytes = max_bytes
        for doc in self._docs.values():
            doc.max_bytes = max_bytes
            doc._fit_limit()

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
        doc = Document(uri=uri, text=text, version=version, language_id=language_id, max_bytes=self.max_bytes)
        if not doc.text_only:
            doc.syntax = syntax.tree_for(language_of(language_id, uri), text)
        self._docs[uri] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def __len__(self) -> int:
        return len(self._docs)
