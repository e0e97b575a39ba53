"""A second candidate at the user's request: the same prompt sampled again, unlike every one shown."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from ghostwright.engine.preparation import Prepared
from ghostwright.config import Config

log = logging.getLogger(__name__)

# Each attempt is one generation of at most completion.maxTokens: the bound on what M-n costs.
ATTEMPTS = 5
# Low enough to stay a plausible completion, high enough to leave the greedy path; each attempt
# that repeats a shown candidate samples a little more freely.
FIRST_TEMPERATURE = 0.7
STEP = 0.1
MAX_TEMPERATURE = 1.2


@dataclass(frozen=True)
class Ask:
    """The params of ghostwright/alternativeCompletion."""

    uri: str
    line: int
    character: int
    exclude: tuple[str, ...]


def _get(params: Any, name: str) -> Any:
    return params.get(name) if isinstance(params, dict) else getattr(params, name, None)


def read_params(params: Any) -> Ask | None:
    """The request's params, or None when they do not have the documented shape."""
    uri = _get(_get(params, "textDocument"), "uri")
    position = _get(params, "position")
    line, character = _get(position, "line"), _get(position, "character")
    exclude = _get(params, "exclude") or []
    if not isinstance(uri, str) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                           for n in (line, character)):
        return None
    if not isinstance(exclude, (list, tuple)) or not all(isinstance(t, str) for t in exclude):
        return None
    return Ask(uri, line, character, tuple(exclude))


def differs(text: str, exclude: tuple[str, ...]) -> bool:
    """Non-blank and unlike every shown candidate (trailing white space does not count)."""
    key = text.rstrip()
    return bool(key.strip()) and all(key != shown.rstrip() for shown in exclude)


def sampling(config: Config, attempt: int, shown: int) -> tuple[float, int]:
    """Temperature and seed of one attempt; the seeds move on with each candidate already shown,
    so asking for a third candidate does not sample the second again."""
    temperature = min(MAX_TEMPERATURE, max(config.completion.temperature, FIRST_TEMPERATURE) + STEP * attempt)
    return round(temperature, 2), 1 + shown * ATTEMPTS + attempt


async def alternative(prepared: Prepared, config: Config, exclude: tuple[str, ...],
                      run: Callable[[Prepared], Awaitable[str]], attempts: int = ATTEMPTS) -> str:
    """A cleaned completion for `prepared` unlike every text in `exclude`, or "" after `attempts`;
    `run` generates one (the engine's streaming loop)."""
    for attempt in range(attempts):
        temperature, seed = sampling(config, attempt, len(exclude))
        request = dataclasses.replace(prepared.request, temperature=temperature, seed=seed)
        text = await run(dataclasses.replace(prepared, request=request))
        # A sampled answer can run out of tokens where a call's arguments begin (`.format(`): not
        # a candidate to offer; the next attempt samples another.
        if differs(text, exclude) and text.rstrip()[-1:] not in ("(", "["):
            return text
        log.debug("alternative attempt %d (t=%.2f, seed %d) repeated a shown candidate: %r",
                  attempt + 1, temperature, seed, text)
    return ""
