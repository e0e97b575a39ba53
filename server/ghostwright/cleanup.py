"""Clean-up of raw model text into what the editor shows; the same steps run on partials."""

from __future__ import annotations

from dataclasses import dataclass

from ghostwright.context import Context


@dataclass(frozen=True)
class Cleaned:
    text: str
    done: bool  # nothing the model adds from here on can be shown: stop generating


def cut_at_stops(raw: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    cut = min((i for i in (raw.find(s) for s in stops if s) if i != -1), default=-1)
    return (raw, False) if cut == -1 else (raw[:cut], True)


def cut_single_line(text: str, ctx: Context) -> tuple[str, bool]:
    if ctx.multiline:
        return text, False
    # A leading newline is the model starting on the next line: nothing for this one.
    nl = text.find("\n")
    return (text, False) if nl == -1 else (text[:nl], True)


def cut_at_dedent(text: str, ctx: Context) -> tuple[str, bool]:
    """Stop before the first line that leaves the block the cursor is in."""
    if not ctx.multiline:
        return text, False
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() and len(line) - len(line.lstrip(" \t")) < ctx.block_indent:
            return "\n".join(lines[:i]), True
    return text, False


def drop_suffix_overlap(text: str, ctx: Context) -> str:
    """Drop the tail of the completion that the text right of the cursor already has."""
    rest = ctx.line_suffix.strip()
    if rest and not ctx.multiline:
        for k in range(min(len(rest), len(text)), 0, -1):
            if text.endswith(rest[:k]) and text[: len(text) - k].strip():
                return text[: len(text) - k]
    if ctx.multiline:
        following = [l for l in ctx.suffix.split("\n")[1:] if l.strip()][:1]
        lines = text.split("\n")
        if following and len(lines) > 1 and lines[-1].strip() == following[0].strip():
            return "\n".join(lines[:-1])
    return text


def strip_repeated_indent(text: str, ctx: Context) -> str:
    """The cursor already sits after the indentation: do not insert it twice."""
    if ctx.line_prefix and not ctx.line_prefix.strip():
        return text.lstrip(" \t") if text[:1] in " \t" else text
    return text


def clean(raw: str, ctx: Context, stops: tuple[str, ...]) -> Cleaned:
    text, done = cut_at_stops(raw, stops)
    text = strip_repeated_indent(text, ctx)
    text, single_done = cut_single_line(text, ctx)
    text, dedent_done = cut_at_dedent(text, ctx)
    text = drop_suffix_overlap(text.rstrip(), ctx)
    return Cleaned(text, done or single_done or dedent_done)
