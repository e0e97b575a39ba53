"""Stop sequences per language: where a completion at this position has said enough."""

from __future__ import annotations

from ghostwright.text import languages


def for_position(language: str, multiline: bool, block_indent: int) -> tuple[str, ...]:
    """Stops for a completion in `language`; only multi-line completions need any (single-line
    ones end at the newline)."""
    if not multiline:
        return ()
    lang = languages.get(language)
    stops: list[str] = ["\n\n\n"]  # two blank lines: the model has moved on to something else
    if lang.line_comment:
        # A comment at column 0 after code starts a new section, not more of this one.
        stops.append(f"\n{lang.line_comment}")
    if block_indent == 0:
        # At the top level, one definition at a time (the language's `top_level` keywords begin
        # the next one): stop where the next one begins.
        stops += [f"\n{kw}" for kw in lang.top_level]
    return tuple(stops)
