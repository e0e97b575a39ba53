"""A reference edit applier for tests, written independently of the server's: it works on the
encoded code units of the position encoding, the way the LSP specification defines positions."""

from __future__ import annotations

CODECS = {"utf-16": ("utf-16-le", 2), "utf-8": ("utf-8", 1), "utf-32": ("utf-32-le", 4)}


def apply(text: str, start: tuple[int, int], end: tuple[int, int], new: str, encoding: str) -> str:
    codec, width = CODECS[encoding]
    lines = text.split("\n")

    def offset(line: int, character: int) -> int:
        if line >= len(lines):
            return len(text)
        units = lines[line].encode(codec, "surrogatepass")
        # The reference only ever produces character offsets on code point boundaries.
        head = units[: character * width].decode(codec, "surrogatepass")
        return sum(len(l) + 1 for l in lines[:line]) + len(head)

    a, b = offset(*start), offset(*end)
    return text[:a] + new + text[b:]


def units_in(line: str, encoding: str) -> int:
    codec, width = CODECS[encoding]
    return len(line.encode(codec, "surrogatepass")) // width


def boundary_columns(line: str, encoding: str) -> list[int]:
    """Every character offset on this line that falls between code points."""
    cols, at = [0], 0
    for ch in line:
        at += units_in(ch, encoding)
        cols.append(at)
    return cols
