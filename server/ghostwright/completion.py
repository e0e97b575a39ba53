"""One completion, start to end: document → context → prompt → backend → clean-up → text."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, NamedTuple

from ghostwright import cleanup, context, guards, prompts
from ghostwright.backends.base import Backend, GenerationRequest, GenerationStats, Replace
from ghostwright.config import Config
from ghostwright.documents import Document

log = logging.getLogger(__name__)

PartialSink = Callable[[str], Awaitable[None] | None]


@dataclass
class Completion:
    text: str
    offset: int  # where it is inserted, in code points
    stats: GenerationStats | None = None


@dataclass(frozen=True)
class Prepared:
    """Everything a generation needs, decided before the model is asked."""

    ctx: context.Context
    request: GenerationRequest
    stops: tuple[str, ...]


def prepare(
    doc: Document, offset: int, config: Config, backend: Backend, invoked: bool = False
) -> Prepared | None:
    """Context and prompt at `offset`, or None where no completion makes sense."""
    ctx = context.build(doc, offset, config.context, backend.count_tokens, backend.count_tokens_each)
    if ctx is None:
        return None
    template = prompts.TEMPLATES.get(config.completion.template) or backend.template
    assert template is not None
    prompt = guards.scrub(template.render(ctx.prefix, ctx.suffix))  # no tokenizer takes lone surrogates
    request = GenerationRequest(prompt, config.completion.max_tokens, config.completion.temperature,
                                prefix=ctx.prefix, suffix=ctx.suffix, multiline=ctx.multiline, invoked=invoked)
    return Prepared(ctx, request, template.stop_tokens)


class _Built(NamedTuple):
    doc: Document
    version: int
    offset: int
    config: Config
    backend: Backend
    prepared: Prepared | None


class Ahead:
    """Contexts prepared between an edit and the request that follows it, one per document.

    An editor asks at the cursor some time after the edit that put it there (ghostwright.el:
    50 ms of idle): the context built at the end of the last edit in that time is the one the
    request needs, and it need not wait for it."""

    def __init__(self) -> None:
        self._by_uri: dict[str, _Built] = {}

    def put(self, doc: Document, offset: int, config: Config, backend: Backend) -> Prepared | None:
        prepared = prepare(doc, offset, config, backend)
        self._by_uri[doc.uri] = _Built(doc, doc.version, offset, config, backend, prepared)
        return prepared

    def take(self, doc: Document, offset: int, config: Config, backend: Backend,
             invoked: bool = False) -> Prepared | None:
        """The context at `offset` for this version of `doc`: prepared ahead, else now."""
        b = self._by_uri.pop(doc.uri, None)
        if b is None or b.doc is not doc or b.version != doc.version or b.offset != offset \
                or b.config is not config or b.backend is not backend:
            return prepare(doc, offset, config, backend, invoked)
        prepared = b.prepared
        if prepared is not None and prepared.request.invoked != invoked:
            prepared = dataclasses.replace(prepared, request=dataclasses.replace(prepared.request, invoked=invoked))
        return prepared

    def forget(self, uri: str) -> None:
        self._by_uri.pop(uri, None)

    def clear(self) -> None:
        self._by_uri.clear()


async def complete(
    doc: Document,
    offset: int,
    config: Config,
    backend: Backend,
    on_partial: PartialSink | None = None,
    invoked: bool = False,
) -> Completion:
    """Stream a completion at `offset`; `on_partial` sees each new cleaned text.

    Cancelling the awaiting task cancels the backend's generation at its next token.
    """
    prepared = prepare(doc, offset, config, backend, invoked)
    if prepared is None:
        return Completion("", offset)
    return await generate(prepared, backend, offset, on_partial)


async def generate(prepared: Prepared, backend: Backend, offset: int,
                   on_partial: PartialSink | None = None) -> Completion:
    """Run one prepared request to its cleaned text; the device stops as soon as clean-up has ended it."""
    ctx, request, stops = prepared.ctx, prepared.request, prepared.stops
    gen = backend.start(request)
    raw, shown = "", ""
    finished = False
    try:
        async for delta in gen:
            raw = str(delta) if isinstance(delta, Replace) else raw + delta
            cleaned = cleanup.clean(raw, ctx, stops, final=False)
            if cleaned.text != shown and cleaned.text and on_partial is not None:
                shown = cleaned.text
                result = on_partial(shown)
                if result is not None:
                    await result
            if cleaned.done:
                gen.stop()  # free the device now rather than after max_tokens
                break
        else:
            finished = True
    finally:
        if not finished:
            gen.cancel()  # no-op after stop(); on task cancellation it reaches the device
    final = cleanup.clean(raw, ctx, stops).text
    log.debug("completion at %d: %r (raw %r)", offset, final, raw)
    return Completion(final, offset, gen.stats)
