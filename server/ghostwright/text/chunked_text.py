"""Text kept in chunks, so an edit to a document too big to complete costs the edit, not the document."""

from __future__ import annotations

import bisect
from itertools import accumulate

from ghostwright.text.guards import utf8_size

# Code points per chunk: an edit copies one chunk or two, and the per-edit bookkeeping over all
# chunks is a C-speed prefix sum, so an edit costs the edit even in a huge document
# (docs/robustness.md has the figure).
CHUNK = 1 << 16


class ChunkedText:
    """A string as a list of chunks, with their lengths, newline counts and the UTF-8 size."""

    def __init__(self, text: str) -> None:
        self.chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
        self.lens = [len(c) for c in self.chunks]
        self.newlines = [c.count("\n") for c in self.chunks]
        self.length = len(text)
        self.bytes = utf8_size(text)

    def __len__(self) -> int:
        return self.length

    def __str__(self) -> str:
        return "".join(self.chunks)

    def _locate(self, offset: int) -> tuple[int, int]:
        """(chunk index, its start offset) of the chunk holding `offset` (the end: the last chunk)."""
        ends = list(accumulate(self.lens))
        i = min(bisect.bisect_right(ends, offset), len(self.chunks) - 1)
        return i, ends[i] - self.lens[i]

    def read(self, start: int, stop: int) -> str:
        """The text in [start, stop)."""
        start, stop = max(0, start), min(self.length, stop)
        if start >= stop:
            return ""
        i, at = self._locate(start)
        parts = []
        while at < stop and i < len(self.chunks):
            chunk = self.chunks[i]
            parts.append(chunk[max(0, start - at):stop - at])
            at += len(chunk)
            i += 1
        return "".join(parts)

    def replace(self, a: int, b: int, new: str) -> None:
        """Replace [a, b) with `new`."""
        i, si = self._locate(a)
        j, sj = self._locate(b)
        removed = self.read(a, b)
        middle = self.chunks[i][:a - si] + new + self.chunks[j][b - sj:]
        if len(middle) < CHUNK // 4 and j + 1 < len(self.chunks):
            j += 1  # a chunk worn small by deletions joins the next one: their number stays bounded
            middle += self.chunks[j]
        pieces = [middle[k:k + CHUNK] for k in range(0, len(middle), CHUNK)] if len(middle) > 2 * CHUNK else [middle]
        if not middle and len(self.chunks) > j - i + 1:
            pieces = []
        self.chunks[i:j + 1] = pieces
        self.lens[i:j + 1] = [len(p) for p in pieces]
        self.newlines[i:j + 1] = [p.count("\n") for p in pieces]
        self.length += len(new) - (b - a)
        self.bytes += utf8_size(new) - utf8_size(removed)

    def line_start(self, line: int) -> int | None:
        """Offset where `line` (0-based) begins, or None past the last line."""
        if line <= 0:
            return 0
        ends = list(accumulate(self.newlines))
        k = bisect.bisect_left(ends, line)
        if k >= len(self.chunks):
            return None
        chunk, n = self.chunks[k], line - (ends[k] - self.newlines[k])
        pos = -1
        for _ in range(n):
            pos = chunk.find("\n", pos + 1)
        return sum(self.lens[:k]) + pos + 1

    def line_end(self, start: int) -> int:
        """Offset of the newline ending the line that holds `start` (or the end of the text)."""
        i, at = self._locate(start)
        pos = max(0, start - at)
        while i < len(self.chunks):
            nl = self.chunks[i].find("\n", pos)
            if nl != -1:
                return at + nl
            at += self.lens[i]
            i, pos = i + 1, 0
        return self.length

    def line_of(self, offset: int) -> tuple[int, int]:
        """(line, offset of its start) of the line holding `offset`."""
        i, at = self._locate(offset)
        line = sum(self.newlines[:i]) + self.chunks[i].count("\n", 0, offset - at)
        nl = self.chunks[i].rfind("\n", 0, offset - at)
        while nl == -1 and i > 0:
            i -= 1
            at -= self.lens[i]
            nl = self.chunks[i].rfind("\n")
        return line, (at + nl + 1) if nl != -1 else 0
