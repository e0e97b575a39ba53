"""A small Emacs Lisp reader: strings, comments, character literals and parens, nothing more."""

from __future__ import annotations

from dataclasses import dataclass

OPEN, CLOSE = "([", ")]"


@dataclass
class Reading:
    """What a left-to-right read of some Lisp text found."""

    depth: int = 0  # parens still open at the end
    unmatched_close: int = 0  # closers with no opener (the text closes more than it opened)
    in_string: bool = False
    in_comment: bool = False


def read(text: str, start_depth: int = 0, in_string: bool = False) -> Reading:
    """Read `text` and report paren depth, strings and comments at its end."""
    r = Reading(depth=start_depth, in_string=in_string)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if r.in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                r.in_string = False
            i += 1
            continue
        if ch == ";":
            nl = text.find("\n", i)
            if nl == -1:
                r.in_comment = True
                return r
            i = nl + 1
            continue
        if ch == '"':
            r.in_string = True
        elif ch == "?" and starts_char_literal(text, i):
            i = skip_char_literal(text, i)
            continue
        elif ch == "\\":
            i += 2  # an escaped character in a symbol name, e.g. foo\(bar
            continue
        elif ch in OPEN:
            r.depth += 1
        elif ch in CLOSE:
            if r.depth == 0:
                r.unmatched_close += 1
            else:
                r.depth -= 1
        i += 1
    return r


def starts_char_literal(text: str, i: int) -> bool:
    """A ? that begins a character literal, not one inside a symbol name such as foo?."""
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "-_*+/<>=!$%&:")


def skip_char_literal(text: str, i: int) -> int:
    """The offset after the character literal that starts at text[i] == "?": ?a ?\\( ?\\C-x ?\\M-\\("""
    i += 1
    n = len(text)
    while i < n and text[i] == "\\":
        if text[i + 1:i + 2] in ("C", "M", "S", "H", "s", "A") and text[i + 2:i + 3] == "-":
            i += 3  # a modifier: the character follows
            continue
        if text[i + 1:i + 2] == "^":
            i += 2
            continue
        return i + 2
    return i + 1
