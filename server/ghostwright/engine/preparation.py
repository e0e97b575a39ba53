"""What a generation needs, decided before the model is asked: the context and the prompt, also ahead of the request."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

from ghostwright.context import cursor as context, prompts, sources
from ghostwright.text import guards
from ghostwright.backends.base import Backend, GenerationRequest
from ghostwright.config import Config, ContextConfig
from ghostwright.text.documents import Document


# The prefix window other files' text never shrinks below.
MIN_PREFIX_TOKENS = 64


@dataclass(frozen=True)
class Prepared:
    """Everything a generation needs, decided before the model is asked."""

    ctx: context.Context
    request: GenerationRequest
    stops: tuple[str, ...]
    cross: sources.CrossFile | None = None  # what the prompt shows of other files


def prefix_room(config: ContextConfig, cross: sources.CrossFile | None) -> ContextConfig:
    """The context config with the prefix window shrunk by what other files show: their text takes
    the room of the prefix's far end, so it does not make the prompt (and its prefill) longer."""
    if cross is None:
        return config
    return dataclasses.replace(config, max_prefix_tokens=max(MIN_PREFIX_TOKENS, config.max_prefix_tokens - cross.tokens))


def prepare(
    doc: Document, offset: int, config: Config, backend: Backend, invoked: bool = False,
    around: sources.Surroundings | None = None,
) -> Prepared | None:
    """Context and prompt at `offset`, or None where no completion makes sense."""
    mode = context.mode_at(doc, offset)
    if mode[0] is None:
        return None
    cross = sources.gather(doc, offset, config.context, around, backend.count_tokens)
    ctx = context.build(doc, offset, prefix_room(config.context, cross), backend.count_tokens,
                        backend.count_tokens_each, mode)
    if ctx is None:
        return None
    template = prompts.TEMPLATES.get(config.completion.template) or backend.template
    assert template is not None
    files = cross.files() if cross is not None else None
    # In prose the blank stays: without it the model, after `# ` or `, `, often ends the line.
    prefix = ctx.prefix if ctx.in_string else prompts.at_token_boundary(ctx.prefix)
    prompt = guards.scrub(template.render(prefix, ctx.suffix, files))  # no tokenizer takes lone surrogates
    names = sources.names_after_module(doc, offset, around) \
        if config.context.known_names and not mode[1] else None
    request = GenerationRequest(prompt, config.completion.max_tokens, config.completion.temperature,
                                prefix=prefix, suffix=ctx.suffix, multiline=ctx.multiline, invoked=invoked,
                                files=files,
                                # The blanks the prompt leaves out come first, then the name.
                                starts_with=tuple(ctx.prefix[len(prefix):] + n for n in names or ()))
    return Prepared(ctx, request, template.stop_tokens, cross)


class Ahead(NamedTuple):
    """A context prepared between an edit and the request that follows it.

    An editor asks at the cursor some time after the edit that put it there (ghostwright.el:
    50 ms of idle): the context built at the end of the last edit in that time is the one the
    request needs, and it need not wait for it."""

    doc: Document
    version: int
    offset: int
    config: Config
    backend: Backend
    prepared: Prepared | None


def ahead(doc: Document, offset: int, config: Config, backend: Backend,
          around: sources.Surroundings | None = None) -> Ahead:
    """Prepare the context at `offset` of this version of `doc` now, for a request to come."""
    return Ahead(doc, doc.version, offset, config, backend, prepare(doc, offset, config, backend, around=around))


def take(b: Ahead | None, doc: Document, offset: int, config: Config, backend: Backend,
         invoked: bool = False, around: sources.Surroundings | None = None) -> Prepared | None:
    """The context at `offset` for this version of `doc`: the one prepared ahead when it fits, else now."""
    if b is None or b.doc is not doc or b.version != doc.version or b.offset != offset \
            or b.config is not config or b.backend is not backend:
        return prepare(doc, offset, config, backend, invoked, around)
    prepared = b.prepared
    if prepared is not None and prepared.request.invoked != invoked:
        prepared = dataclasses.replace(prepared, request=dataclasses.replace(prepared.request, invoked=invoked))
    return prepared
