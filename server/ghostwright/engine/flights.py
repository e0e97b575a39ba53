"""Generations in flight per document, shared by every request they still fit, and the prompt cache.

A generation belongs to its flight, not to the request that started it: a newer request whose
text is what the user typed into the suggestion adopts the flight instead of restarting the model.
A flight no request follows any more is cancelled at its next token. `follow` is the one loop
that streams a generation's text to whoever asked: the editor, `ghostwright complete`, the
alternative candidate.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from ghostwright.context import cleanup, cursor as context
from ghostwright.engine import typeahead
from ghostwright.backends.base import Backend, BackendCounters, BackendError, Generation, Replace
from ghostwright.engine.cache import PromptCache
from ghostwright.engine.preparation import Prepared
from ghostwright.config import Config
from ghostwright.text.documents import Document

log = logging.getLogger(__name__)

PartialSink = Callable[[str], Awaitable[None] | None]


def cache_key(backend: Backend, prepared: Prepared) -> tuple:
    r = prepared.request
    return (backend.name, backend.model_name, r.prompt, r.max_tokens, r.temperature)


class Flight:
    """One generation's text as it arrives, anchored where it was asked for."""

    def __init__(self, anchor: typeahead.Anchor, prepared: Prepared, gen: Generation | None, raw: str = "") -> None:
        self.anchor = anchor
        self.prepared = prepared
        self.gen = gen
        self.raw = raw
        self.finished = gen is None
        self.error: BaseException | None = None
        self.followers = 0
        # Tokens the generation had produced when its text last reached the editor: what came
        # after is what a cancel throws away.
        self.shown_tokens = 0
        self._tick = asyncio.Event()

    def changed(self) -> asyncio.Event:
        """An event set at the next change of the text (or the end)."""
        return self._tick

    def _bump(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def run(self, on_end: Callable[["Flight"], None]) -> None:
        assert self.gen is not None
        try:
            async for delta in self.gen:
                # The router replaces the text when a fallback backend starts the answer again.
                self.raw = str(delta) if isinstance(delta, Replace) else self.raw + delta
                self._bump()
        except BackendError as exc:
            self.error = exc
        except Exception as exc:  # a backend bug must not leave followers waiting forever
            log.exception("generation failed")
            self.error = exc
        finally:
            self.finished = True
            self._bump()
            on_end(self)

    def follow(self) -> None:
        self.followers += 1

    def mark_shown(self) -> None:
        if self.gen is not None:
            self.shown_tokens = self.gen.stats.tokens

    def release(self) -> None:
        self.followers -= 1
        if self.followers <= 0 and not self.finished and self.gen is not None:
            self.gen.cancel()  # nobody will show it: free the device at its next token

    def verdict(self, typed: str, ctx_now: context.Context | None) -> typeahead.Verdict:
        p = self.prepared
        return typeahead.continuation(self.raw, p.ctx, p.stops, typed, ctx_now, self.finished)


@dataclass
class View:
    """One request following a flight: what it typed since the flight's anchor, and its context."""

    flight: Flight
    typed: str
    ctx: context.Context | None
    source: str  # "typeahead", "cache" or "model": where the answer comes from
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.flight.release()

    @property
    def adopted(self) -> bool:
        """Reused a flight another request started: on a miss, fall back to asking the model."""
        return self.source == "typeahead"


def cancel(flight: Flight | None) -> None:
    """Stop a flight's generation at its next token (nothing when it has ended)."""
    if flight is not None and flight.gen is not None and not flight.finished:
        flight.gen.cancel()


def adopt(flight: Flight | None, doc: Document, offset: int, config: Config) -> View | None:
    """Follow the document's flight when the user only typed into its text (synchronous, so it
    happens before the request this one supersedes lets go of the flight)."""
    if flight is None or flight.error is not None:
        return None
    if flight.gen is not None and flight.gen.stats.cancelled:
        return None
    typed = typeahead.typed_since(flight.anchor, doc.text, offset)
    if typed is None:
        return None
    ctx_now = context.build(doc, offset, config.context) if "\n" in typed else None
    if flight.verdict(typed, ctx_now).state == "miss":
        return None
    flight.follow()
    log.debug("typed-ahead: %r typed into a %s generation", typed, "finished" if flight.finished else "running")
    return View(flight, typed, ctx_now, "typeahead")


def from_cache(cache: PromptCache, doc: Document, offset: int, prepared: Prepared, backend: Backend) -> View | None:
    """A finished flight from the prompt cache, when the same prompt was answered before."""
    raw = cache.get(cache_key(backend, prepared))
    if raw is None:
        return None
    flight = Flight(typeahead.Anchor.at(doc.text, offset), prepared, None, raw)
    flight.follow()
    return View(flight, "", None, "cache")


# The generations running: a task nobody holds may be collected before it ends.
_runs: set[asyncio.Task] = set()


def launch(doc: Document, offset: int, prepared: Prepared, backend: Backend,
           cache: PromptCache | None) -> View:
    """A new generation for `prepared`; its finished text goes into `cache` (None: it stays out)."""
    gen = backend.start(prepared.request)
    ctx, stops = prepared.ctx, prepared.stops
    gen.stop_when = lambda raw: cleanup.clean(raw, ctx, stops, final=False).done
    flight = Flight(typeahead.Anchor.at(doc.text, offset), prepared, gen)
    key, counters = cache_key(backend, prepared), backend.counters
    flight.follow()

    def ended(f: Flight) -> None:
        stats = f.gen.stats if f.gen else None
        if stats is not None and stats.cancelled:
            counters.tokens_cancelled += stats.tokens
            counters.tokens_discarded += stats.tokens - min(f.shown_tokens, stats.tokens)
        elif f.error is None and cache is not None:
            cache.put(key, f.raw)

    asyncio.get_running_loop().call_soon(cleanup.prepare_judgement, ctx)
    task = asyncio.create_task(flight.run(ended))
    _runs.add(task)
    task.add_done_callback(_runs.discard)
    return View(flight, "", None, "model")


async def follow(view: View, on_partial: PartialSink | None) -> str | None:
    """Stream the view's text until it is complete; None when the flight stopped fitting."""
    flight = view.flight
    shown = ""
    try:
        while True:
            tick = flight.changed()
            if flight.error is not None:
                raise flight.error
            v = flight.verdict(view.typed, view.ctx)
            if v.state == "miss":
                return None if view.adopted else ""
            if v.state == "show" and v.done:
                if not flight.finished and flight.gen is not None:
                    flight.gen.stop()  # nothing it adds can be shown: free the device now
                flight.mark_shown()
                return v.text  # the answer carries the final text: no last partial
            if v.state == "show" and v.text != shown and on_partial is not None:
                shown = v.text
                flight.mark_shown()
                await _send(on_partial, shown)
            await tick.wait()
    finally:
        view.release()


async def _send(sink: PartialSink, text: str) -> None:
    result = sink(text)
    if result is not None:
        await result


def count_reuse(counters: BackendCounters, view: View, text: str | None) -> None:
    if view.source == "cache":
        counters.cache_hits += 1
    elif view.source == "typeahead" and text:
        counters.typeahead_hits += 1
