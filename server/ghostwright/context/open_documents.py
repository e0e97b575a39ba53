"""Snippets of other open documents most like the lines above the cursor (Jaccard over identifier sets of line windows)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

WINDOW_LINES = 16
STEP = 8
# Below this similarity a window shares too few names to be worth its tokens.
MIN_SIMILARITY = 0.08
# Documents looked at, most recently used first.
MAX_DOCUMENTS = 12

_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
# Words every file of a language shares: they make unrelated windows look alike.
_COMMON = frozenset("""
self this def return if else elif for while in not and or is None True False import from as class
function const let var new null undefined true false export default async await try catch finally
except raise with pass break continue lambda yield of typeof instanceof switch case int str void
""".split())


@dataclass(frozen=True)
class Similar:
    """The best window of one document."""

    uri: str
    text: str
    score: float


def identifiers(text: str) -> frozenset[str]:
    return frozenset(w for w in _IDENT.findall(text) if w not in _COMMON and len(w) > 1)


@lru_cache(maxsize=64)
def _windows(uri: str, version: int, text: str) -> tuple[tuple[int, int, frozenset[str]], ...]:
    """(start, end offset, identifiers) of the document's sliding windows of lines, for one version."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    out = []
    for first in range(0, max(1, len(starts) - WINDOW_LINES + STEP), STEP):
        last = min(len(starts), first + WINDOW_LINES)
        start, end = starts[first], (starts[last] - 1 if last < len(starts) else len(text))
        ids = identifiers(text[start:end])
        if ids:
            out.append((start, end, ids))
    return tuple(out)


def query(text: str, offset: int) -> frozenset[str]:
    """The identifiers of the lines above the cursor line: they stay put while the user types on it."""
    line_start = text.rfind("\n", 0, offset) + 1
    start = line_start
    for _ in range(WINDOW_LINES):
        if start <= 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return identifiers(text[start:line_start])


_last: tuple[object, list[Similar]] = (None, [])


def most_similar(wanted: frozenset[str], documents: list[tuple[str, int, str]]) -> list[Similar]:
    """The best window of each document (uri, version, text), in the order given, when it is similar enough.

    The answer for the same lines above the cursor and the same document versions is the last
    one: typing on a line asks again and again."""
    global _last
    if not wanted:
        return []
    key = (wanted, tuple((uri, version, len(text)) for uri, version, text in documents[:MAX_DOCUMENTS]))
    if _last[0] == key:
        return _last[1]
    out = []
    for uri, version, text in documents[:MAX_DOCUMENTS]:
        best: tuple[float, int, int] | None = None
        for start, end, ids in _windows(uri, version, text):
            score = len(wanted & ids) / len(wanted | ids)
            if score >= MIN_SIMILARITY and (best is None or score > best[0]):
                best = (score, start, end)
        if best is not None:
            out.append(Similar(uri, text[best[1]:best[2]].rstrip("\n"), best[0]))
    _last = (key, out)
    return out
