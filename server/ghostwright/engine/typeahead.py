"""Typed-ahead reuse: what is left of a completion after the user typed some of it, or that it no longer fits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ghostwright.context import cleanup
from ghostwright.context.cursor import Context


@dataclass(frozen=True)
class Anchor:
    """The document around the cursor when a generation started."""

    before: str
    after: str

    @classmethod
    def at(cls, text: str, offset: int) -> "Anchor":
        return cls(text[:offset], text[offset:])


def typed_since(anchor: Anchor, text: str, offset: int) -> str | None:
    """The characters typed at the anchor since, or None when anything else in the document changed."""
    if offset < len(anchor.before) or len(text) - offset != len(anchor.after):
        return None
    if not (text.startswith(anchor.before) and text.endswith(anchor.after)):
        return None
    return text[len(anchor.before):offset]


@dataclass(frozen=True)
class Verdict:
    state: Literal["show", "wait", "miss"]  # show text / no text yet but it may come / it does not fit
    text: str = ""
    done: bool = False  # nothing the generation adds can change `text`


WAIT = Verdict("wait")
MISS = Verdict("miss")


def _body(raw: str, ctx: Context, stops: tuple[str, ...]) -> tuple[str, bool]:
    """The raw text as the original cursor would receive it, before any cut: (text, stopped)."""
    text, stopped = cleanup.cut_at_stops(raw, stops)
    return cleanup.strip_typed_blanks(text, ctx), stopped  # blanks the cursor already sits after


def _clean(raw: str, ctx: Context, stops: tuple[str, ...], finished: bool) -> cleanup.Cleaned:
    """Partial clean-up while the text may still grow; the final steps once it cannot."""
    if finished:
        return cleanup.clean(raw, ctx, stops, final=True)
    partial = cleanup.clean(raw, ctx, stops, final=False)
    return cleanup.clean(raw, ctx, stops, final=True) if partial.done else partial


def continuation(
    raw: str,
    ctx0: Context,
    stops: tuple[str, ...],
    typed: str,
    ctx_now: Context | None,
    finished: bool,
) -> Verdict:
    """What to show after `typed` was typed at the start of a completion whose raw text is `raw`.

    `ctx0` is the context the generation was started for, `ctx_now` the one at the cursor now,
    `finished` whether the generation has ended. Within the shown text the rest is shown as it
    was; past it (an accepted line, then Enter), the rest of the raw text is cleaned afresh.
    """
    if not raw and not finished:
        return WAIT  # nothing to judge yet (the clean-up of nothing is nothing, and never done)
    body, stopped = _body(raw, ctx0, stops)
    if not body.startswith(typed) and not typed.startswith(body):
        # The clean-up only ever cuts the body short, so what it would show cannot fit either:
        # say so before paying for it (its last step reparses the window).
        return MISS
    shown = _clean(raw, ctx0, stops, finished)
    if len(typed) < len(shown.text) and shown.text.startswith(typed):
        return Verdict("show", shown.text[len(typed):], shown.done or finished)
    ended = finished or stopped
    if typed.startswith(shown.text) and "\n" in typed[len(shown.text):] and body.startswith(typed):
        if ctx_now is None:
            return MISS
        rest = _clean(body[len(typed):], ctx_now, stops, ended)
        if rest.text:
            return Verdict("show", rest.text, rest.done or ended)
        return MISS if (rest.done or ended) else WAIT
    if not ended and not shown.done and (body.startswith(typed) or typed.startswith(body)):
        return WAIT  # the user is typing ahead of the stream and still matches it
    return MISS
