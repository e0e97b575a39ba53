"""Documents as syntax trees: one incremental tree-sitter parse per document, grammars from wheels."""

from __future__ import annotations

import bisect
import importlib
import logging
from functools import lru_cache
from typing import Any

from ghostwright.text import languages

log = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def grammar(language: str) -> Any:
    """The tree-sitter Language for one of ours, or None (unknown, or its wheel is missing)."""
    spec = languages.get(language).grammar
    if spec is None:
        return None
    try:
        import tree_sitter

        module = importlib.import_module(spec[0])
        return tree_sitter.Language(getattr(module, spec[1])())
    except Exception as exc:  # a broken wheel costs syntax awareness, never a completion
        log.warning("no %s grammar (%s): falling back to lines and indentation", language, exc)
        return None


def _encode(text: str) -> bytes:
    # Lone surrogates (possible from UTF-16 clients) are kept as 3 bytes, as documents.py counts them.
    return text.encode("utf-8", "surrogatepass")


def _point(text: str, offset: int) -> tuple[int, int]:
    """Tree-sitter point (row, byte column) of a code-point offset."""
    row = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    head = text[line_start:offset]
    return row, len(head) if head.isascii() else len(_encode(head))


class OffsetIndex:
    """Byte offsets to code points and back in O(chunk), for one version of a text.

    Node positions come from tree-sitter in UTF-8 bytes; decoding the text up to each of them
    cost O(file) per node, thousands of nodes per request on a large file. Checkpoints every
    CHUNK code points bound each conversion to one chunk, and ASCII chunks need no decoding.
    """

    CHUNK = 2048

    def __init__(self, text: str) -> None:
        self._text = text
        self._chars = list(range(0, len(text) + 1, self.CHUNK))
        self._bytes: list[int] = []
        self._ascii: list[bool] = []
        byte = 0
        for c in self._chars:
            self._bytes.append(byte)
            piece = text[c:c + self.CHUNK]
            self._ascii.append(piece.isascii())
            byte += len(piece) if self._ascii[-1] else len(_encode(piece))

    def to_offset(self, byte: int) -> int:
        i = bisect.bisect_right(self._bytes, byte) - 1
        c, b = self._chars[i], self._bytes[i]
        if self._ascii[i]:
            return c + (byte - b)
        piece = _encode(self._text[c:c + self.CHUNK])
        return c + len(piece[:byte - b].decode("utf-8", "surrogatepass"))

    def to_byte(self, offset: int) -> int:
        i = min(offset // self.CHUNK, len(self._chars) - 1)
        c, b = self._chars[i], self._bytes[i]
        return b + (offset - c if self._ascii[i] else len(_encode(self._text[c:offset])))


class SyntaxTree:
    """A document's tree, kept current under edits: edit() is cheap, the reparse happens on demand."""

    def __init__(self, language: str, text: str) -> None:
        import tree_sitter

        self.language = language
        self._parser = tree_sitter.Parser(grammar(language))
        self._text = text
        self._bytes = _encode(text)
        self._tree = self._parser.parse(self._bytes)
        self._dirty = False
        self._index: OffsetIndex | None = None
        # What callers derive from one version of the text (the file's head of imports): gone
        # with the next edit.
        self.memo: dict[str, Any] = {}

    def edit(self, text: str, start: int, old_end: int, new_text: str) -> str:
        """Apply one change (code-point offsets into `text`) to the tree; returns the new text."""
        start_byte = len(_encode(text[:start])) if not text.isascii() else start
        old_end_byte = start_byte + len(_encode(text[start:old_end]))
        new_end_byte = start_byte + len(_encode(new_text))
        new = text[:start] + new_text + text[old_end:]
        start_point = _point(text, start)
        old_end_point = _point(text, old_end)
        new_end_point = _point(new, start + len(new_text))
        self._tree.edit(
            start_byte=start_byte, old_end_byte=old_end_byte, new_end_byte=new_end_byte,
            start_point=start_point, old_end_point=old_end_point, new_end_point=new_end_point,
        )
        self._text = new
        self._dirty = True
        self._index = None
        self.memo = {}
        return new

    def with_insertion(self, at: int, inserted: str) -> "SyntaxTree":
        """A new tree for this text with `inserted` at code point `at`, reparsed incrementally
        from this one (about a third of a fresh parse for a completion in a window)."""
        other = object.__new__(SyntaxTree)
        other.language, other._parser, other._index, other.memo = self.language, self._parser, None, {}
        other._tree = self.tree.copy()
        other._text = self._text
        other.edit(self._text, at, at, inserted)
        return other

    def replace(self, text: str) -> None:
        """A whole-document change: parse from scratch."""
        self._text = text
        self._bytes = _encode(text)
        self._tree = self._parser.parse(self._bytes)
        self._dirty = False
        self._index = None
        self.memo = {}

    def settle(self) -> None:
        """Reparse and index positions now, ahead of the request that will need both."""
        self.tree
        if not self._text.isascii():
            self._offsets()

    @property
    def tree(self) -> Any:
        if self._dirty:
            self._bytes = _encode(self._text)
            self._tree = self._parser.parse(self._bytes, self._tree)
            self._dirty = False
        return self._tree

    @property
    def text(self) -> str:
        return self._text

    def _offsets(self) -> OffsetIndex:
        if self._index is None:
            self._index = OffsetIndex(self._text)
        return self._index

    def to_offset(self, byte: int) -> int:
        """Code-point offset of a byte offset."""
        if self._text.isascii():
            return byte
        return self._offsets().to_offset(byte)

    def to_byte(self, offset: int) -> int:
        if self._text.isascii():
            return offset
        return self._offsets().to_byte(offset)

    def ancestors(self, offset: int) -> list[Any]:
        """Nodes containing `offset`, innermost first (the root last)."""
        byte = self.to_byte(offset)
        node = self.tree.root_node.descendant_for_byte_range(byte, byte)
        chain = []
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def has_error(self) -> bool:
        return self.tree.root_node.has_error


def parse_text(language: str, text: str) -> SyntaxTree | None:
    """A one-off tree for text that is not a document (clean-up's reparse), or None."""
    if grammar(language) is None:
        return None
    return SyntaxTree(language, text)


def tree_for(language: str, text: str) -> SyntaxTree | None:
    """The incremental tree for a newly opened document, or None where we have no grammar."""
    if grammar(language) is None:
        return None
    try:
        return SyntaxTree(language, text)
    except Exception as exc:  # syntax is a help: without it the context falls back to lines
        log.warning("cannot parse %s text: %s", language, exc)
        return None


def error_count(tree: SyntaxTree) -> int:
    """ERROR and MISSING nodes in the tree: how broken the text is."""
    count = 0
    stack = [tree.tree.root_node]
    while stack:
        node = stack.pop()
        if not node.has_error and not node.is_missing:
            continue
        if node.is_error or node.is_missing:
            count += 1
        stack.extend(node.children)
    return count
