"""The lines the user edited last, per document: what they are in the middle of elsewhere."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# Edits remembered, newest last.
KEPT = 16
# An edit this close to the last one in the same document extends it.
MERGE_LINES = 3
# Lines shown around an edited range.
AROUND = 2


@dataclass
class Edit:
    uri: str
    first: int
    last: int


class EditLog:
    """The last edited line ranges, one entry per burst of editing in one place."""

    def __init__(self) -> None:
        self._edits: deque[Edit] = deque(maxlen=KEPT)

    def record(self, uri: str, line: int) -> None:
        newest = self._edits[-1] if self._edits else None
        if newest is not None and newest.uri == uri and newest.first - MERGE_LINES <= line <= newest.last + MERGE_LINES:
            newest.first, newest.last = min(newest.first, line), max(newest.last, line)
            return
        for edit in list(self._edits):  # the same place edited again moves to the front
            if edit.uri == uri and edit.first - MERGE_LINES <= line <= edit.last + MERGE_LINES:
                self._edits.remove(edit)
                edit.first, edit.last = min(edit.first, line), max(edit.last, line)
                self._edits.append(edit)
                return
        self._edits.append(Edit(uri, line, line))

    def forget(self, uri: str) -> None:
        self._edits = deque((e for e in self._edits if e.uri != uri), maxlen=KEPT)

    def newest_first(self, besides: str) -> list[Edit]:
        """Edits in documents other than `besides`, newest first."""
        return [e for e in reversed(self._edits) if e.uri != besides]


def excerpt(text: str, line_starts: list[int], edit: Edit) -> str:
    """The edited lines and a little around them, from the document's text now."""
    first = max(0, edit.first - AROUND)
    last = min(len(line_starts), edit.last + AROUND + 1)
    if first >= last:
        return ""
    end = line_starts[last] - 1 if last < len(line_starts) else len(text)
    return text[line_starts[first]:end].strip("\n")
