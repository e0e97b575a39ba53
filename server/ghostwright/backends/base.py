"""The backend interface: start a generation, stream its text, cancel it at the next token."""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

from ghostwright.context.prompts import RepoFiles, Template


class BackendError(Exception):
    """A backend cannot serve: the message is written for the user and names the fix."""


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    max_tokens: int
    temperature: float
    # The two halves the prompt was rendered from: a backend with its own template (or a server
    # that applies one, like Ollama's `suffix`) renders again from these. None: use `prompt` as is.
    prefix: str | None = None
    suffix: str | None = None
    # What the router decides on: a whole block is wanted, or the user asked explicitly.
    multiline: bool = False
    invoked: bool = False
    # feedback.adaptive: the first backend's single-line answers here are rarely accepted.
    rarely_taken: bool = False
    # Sampling seed (with temperature > 0): a second candidate asks again with another seed.
    seed: int | None = None
    # Other files the prompt shows before the current one (rendered again with the halves).
    files: RepoFiles | None = None
    # What the answer must start with, one of these (context.knownNames); empty: anything. A
    # backend that cannot constrain its decoding answers unconstrained.
    starts_with: tuple[str, ...] = ()


class Replace(str):
    """A delta that replaces everything streamed so far (the router re-asked a stronger backend)."""


@dataclass
class GenerationStats:
    tokens: int = 0
    # Tokens the device produced after cancel() was called: what a cancel failed to save.
    tokens_after_cancel: int = 0
    cancelled: bool = False
    started: float = 0.0
    first_token: float | None = None
    last_token: float | None = None  # the last token that was still wanted, or its text out
    finished: float | None = None
    # Mean log-probability per generated token, where the backend reports it; the router reads it.
    mean_logprob: float | None = None
    # Which backend produced the text (the router's choice), for status and benchmarks.
    backend: str = ""

    @property
    def ttft_ms(self) -> float | None:
        return None if self.first_token is None else (self.first_token - self.started) * 1000

    @property
    def duration_ms(self) -> float | None:
        return None if self.finished is None else (self.finished - self.started) * 1000

    @property
    def generate_ms(self) -> float | None:
        """From the request to the backend until its last wanted token: the backend's own time."""
        return None if self.last_token is None else (self.last_token - self.started) * 1000

    def to_wire(self) -> dict:
        return {
            "tokens": self.tokens,
            "tokensAfterCancel": self.tokens_after_cancel,
            "cancelled": self.cancelled,
            "ttftMs": self.ttft_ms,
            "durationMs": self.duration_ms,
            "meanLogprob": self.mean_logprob,
            "backend": self.backend,
            "generateMs": self.generate_ms,
        }


class Generation:
    """One generation in flight: iterate for text deltas; cancel() stops the device at its next token.

    The producer side (a worker thread or an HTTP reader) calls `feed`, `count_token` and `finish`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
        self._cancel = threading.Event()
        self.stats = GenerationStats(started=time.monotonic())
        self.done = asyncio.Event()
        # Judged on the producer's thread after each piece of text, so the device stops at the
        # token that completed the answer instead of one token later.
        self.stop_when: Callable[[str], bool] | None = None
        self._text = ""
        self._ended = False

    # --- consumer side (event loop) ---
    def cancel(self) -> None:
        """The answer is no longer wanted (superseded, or the editor cancelled)."""
        if not self._cancel.is_set():
            self.stats.cancelled = True
            self._cancel.set()

    def stop(self) -> None:
        """The answer is complete: nothing the model adds could be shown."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    # --- producer side (any thread) ---
    def count_token(self, n: int = 1) -> bool:
        """Record `n` new tokens; False when the generation must stop now."""
        now = time.monotonic()
        if self.stats.first_token is None:
            self.stats.first_token = now
        self.stats.tokens += n
        if self._cancel.is_set():
            self.stats.tokens_after_cancel += n
            return False
        self.stats.last_token = now
        return True

    def feed(self, text: str) -> bool:
        """Pass text on; False when nothing more is wanted (the producer should stop now)."""
        if not self._cancel.is_set():
            # The backend's own time ends when its text is out: decoding tokens is its work.
            self.stats.last_token = time.monotonic()
        self._put(text)
        if self.stop_when is not None:
            self._text += text
            try:
                if self.stop_when(self._text):
                    self._cancel.set()
            except Exception:  # a judgement that fails must not end the generation
                self.stop_when = None
        return not self._cancel.is_set()

    def end_of_text(self) -> None:
        """The last token's text is out (the token limit): readers need not wait for the backend
        to wind down (OpenVINO decodes the whole result again and computes its metrics)."""
        if not self._ended:
            self._ended = True
            self._put(None)

    def finish(self, error: BaseException | None = None) -> None:
        self.stats.finished = time.monotonic()
        if not self._ended:
            self._ended = True
            if error is not None:
                self._put(error)
            self._put(None)
        self._loop.call_soon_threadsafe(self.done.set)

    def _put(self, item: str | BaseException | None) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)


class StreamGeneration(Generation):
    """A generation produced by an asyncio task (an HTTP reader, the router): cancel() cancels the task."""

    task: asyncio.Task | None = None

    def cancel(self) -> None:
        super().cancel()
        self._close()

    def stop(self) -> None:
        super().stop()
        self._close()

    def _close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


def percentiles(values: list[float], points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float | None]:
    """Nearest-rank percentiles, e.g. {"p50": ..., "p95": ...}; None when there is no sample."""
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for p in points:
        if not ordered:
            out[f"p{p}"] = None
        else:
            rank = max(0, min(len(ordered) - 1, -(-p * len(ordered) // 100) - 1))
            out[f"p{p}"] = round(ordered[rank], 2)
    return out


@dataclass
class BackendCounters:
    started: int = 0  # written on the event loop only; `requests` when each generation has ended
    requests: int = 0
    cancellations: int = 0
    tokens: int = 0
    # Tokens of cancelled generations that no one saw: produced after the last text the editor was
    # sent, or for a request already gone. Device time spent for nothing.
    tokens_discarded: int = 0
    # All tokens of cancelled generations, including what was shown before the user typed on.
    tokens_cancelled: int = 0
    tokens_after_cancel: int = 0
    cache_hits: int = 0
    typeahead_hits: int = 0
    last: GenerationStats | None = None
    ttft_ms: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)

    def begin(self, gen: Generation, done: Callable[[Callable[[Any], None]], None]) -> None:
        """A generation started; `done` registers the callback that runs when it has ended."""
        self.started += 1
        done(lambda _f: self.record(gen))

    def record(self, gen: Generation) -> None:
        s = gen.stats
        self.requests += 1
        self.cancellations += s.cancelled
        self.tokens += s.tokens
        self.tokens_after_cancel += s.tokens_after_cancel
        self.last = s
        if s.ttft_ms is not None:
            self.ttft_ms = (self.ttft_ms + [s.ttft_ms])[-1000:]
        if s.tokens >= 2 and s.first_token is not None and s.finished is not None and s.finished > s.first_token:
            rate = (s.tokens - 1) / (s.finished - s.first_token)
            self.tokens_per_s = (self.tokens_per_s + [rate])[-1000:]

    def to_wire(self) -> dict:
        return {
            "requests": self.requests,
            "generating": self.started - self.requests,
            "cancellations": self.cancellations,
            "cacheHits": self.cache_hits,
            "typeaheadHits": self.typeahead_hits,
            "tokensGenerated": self.tokens,
            "tokensDiscarded": self.tokens_discarded,
            "tokensCancelled": self.tokens_cancelled,
            "tokensAfterCancel": self.tokens_after_cancel,
            "ttftMs": percentiles(self.ttft_ms),
            "tokensPerSecond": percentiles(self.tokens_per_s, (5, 50, 95)),
            "lastGeneration": self.last.to_wire() if self.last else None,
        }


@dataclass(frozen=True)
class Hooks:
    """What a backend hands to the server while it works, given when it is built."""

    # Problems the user should hear about once (VRAM spill, a backend gone): the server shows them.
    notify: Callable[[str], None] = lambda message: None
    # A backend that learns its model's licence while loading (Ollama's /api/show) hands it here
    # as (model, provenance.Licence); the server applies the policy and raises BackendError to
    # stop a denied load.
    vet_licence: Callable[[str, Any], None] = lambda model, licence: None


NO_HOOKS = Hooks()


class Backend(ABC):
    """A place that turns prompts into streamed text."""

    name: str = "backend"

    def __init__(self, hooks: Hooks = NO_HOOKS) -> None:
        self.template: Template | None = None
        self.model_name: str = ""
        self.device: str = ""
        self.counters = BackendCounters()
        self.notify = hooks.notify
        self.vet_licence = hooks.vet_licence

    async def probe(self) -> None:
        """Check cheaply that the backend can still serve; raise BackendError when it cannot."""

    async def close(self) -> None:
        """Release connections and workers."""

    @abstractmethod
    async def load(self, report: Callable[[str], None]) -> None:
        """Get ready to generate (may take seconds); raise BackendError when it cannot."""

    @abstractmethod
    def start(self, request: GenerationRequest) -> Generation:
        """Begin generating; the returned generation streams its text."""

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's prompt; backends with a tokenizer count exactly."""
        return int(len(text) / 3.5 + 0.999)

    def count_tokens_each(self, texts: list[str]) -> list[int]:
        """`count_tokens` of each text; a backend whose tokenizer takes batches does it in one call."""
        return [self.count_tokens(text) for text in texts]

    def describe(self) -> dict:
        return {
            "backend": self.name,
            "model": self.model_name,
            "device": self.device,
            "template": self.template.name if self.template else None,
            **self.counters.to_wire(),
        }
