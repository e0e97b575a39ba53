"""A small Emacs Lisp reader: strings, comments, character literals and parens, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field

OPEN, CLOSE = "([", ")]"


@dataclass
class Reading:
    """What a left-to-right read of some Lisp text found."""

    depth: int = 0  # parens still open at the end
    unmatched_close: int = 0  # closers with no opener (the text closes more than it opened)
    in_string: bool = False
    in_comment: bool = False
    # Offsets where a top-level form starts (depth 0 → 1), in reading order.
    toplevel: list[int] = field(default_factory=list)
    # For each offset where the depth returned to 0 after a top-level form, its end.
    toplevel_ends: list[int] = field(default_factory=list)


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
        elif ch == "?":
            # A character literal: ?a ?\( ?\\ ?\C-x. The character after it is not syntax.
            if i + 1 < n and text[i + 1] == "\\":
                i += 3
                # ?\C-x and ?\M-x carry a further character.
                while i + 1 < n and text[i - 1] in "CMSHsA" and text[i] == "-":
                    i += 2
                continue
            i += 2
            continue
        elif ch == "\\":
            i += 2  # an escaped character in a symbol name, e.g. foo\(bar
            continue
        elif ch in OPEN:
            if r.depth == 0:
                r.toplevel.append(i)
            r.depth += 1
        elif ch in CLOSE:
            if r.depth == 0:
                r.unmatched_close += 1
            else:
                r.depth -= 1
                if r.depth == 0:
                    r.toplevel_ends.append(i + 1)
        i += 1
    return r
