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
    """(first line, end line, identifiers) of the document's sliding windows, for one version."""
    lines = text.split("\n")
    out = []
    for start in range(0, max(1, len(lines) - WINDOW_LINES + STEP), STEP):
        end = min(len(lines), start + WINDOW_LINES)
        ids = identifiers("\n".join(lines[start:end]))
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


def most_similar(wanted: frozenset[str], documents: list[tuple[str, int, str]]) -> list[Similar]:
    """The best window of each document (uri, version, text), in the order given, when it is similar enough."""
    if not wanted:
        return []
    out = []
    for uri, version, text in documents[:MAX_DOCUMENTS]:
        best: tuple[float, int, int] | None = None
        for start, end, ids in _windows(uri, version, text):
            score = len(wanted & ids) / len(wanted | ids)
            if score >= MIN_SIMILARITY and (best is None or score > best[0]):
                best = (score, start, end)
        if best is not None:
            lines = text.split("\n")
            out.append(Similar(uri, "\n".join(lines[best[1]:best[2]]).rstrip("\n"), best[0]))
    return out
