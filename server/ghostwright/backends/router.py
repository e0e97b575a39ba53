"""Which backend answers: the NPU for everyday text, Ollama for blocks and weak answers, and fallback."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from ghostwright.backends.base import (
    Backend, BackendError, Generation, GenerationRequest, Replace, StreamGeneration,
)
from ghostwright.config import Config, RouterConfig

log = logging.getLogger(__name__)

NPU, GPU = "npu", "gpu"


def effective_policy(cfg: Config) -> str:
    if cfg.router.policy != "auto":
        return cfg.router.policy
    return "npu-first" if escalation_name(cfg) else "npu-only"


def escalation_name(cfg: Config) -> str | None:
    """The backend blocks and weak answers go to: Ollama when configured, else an OpenAI-style server."""
    if cfg.ollama.model and cfg.backend != "ollama":
        return "ollama"
    if cfg.openai.base_url and cfg.backend != "openai":
        return "openai"
    return None


def build(name: str, cfg: Config) -> Backend:
    if name == "ollama":
        from ghostwright.backends.ollama import OllamaBackend

        return OllamaBackend(cfg.ollama, cfg.allow_remote)
    if name == "openai":
        from ghostwright.backends.openai import OpenAIBackend

        return OpenAIBackend(cfg.openai, cfg.allow_remote)
    from ghostwright.backends.openvino import OpenVinoBackend

    return OpenVinoBackend(cfg.openvino)


@dataclass(frozen=True)
class Plan:
    """The backends a configuration puts in each slot (None: the slot stays empty)."""

    policy: str
    npu: str | None
    gpu: str | None


def gpu_name(cfg: Config) -> str | None:
    """The backend that reaches the GPU: Ollama when configured, else an OpenAI-style server.

    Never the in-process OpenVINO model: ghostwright itself does not use the GPU."""
    if cfg.ollama.model:
        return "ollama"
    if cfg.openai.base_url:
        return "openai"
    # Named as the backend without its settings: its load then says which key to set.
    return cfg.backend if cfg.backend != "openvino" else None


def plan(cfg: Config) -> Plan:
    """Which backend serves in which slot; BackendError naming the keys to set when none can."""
    policy = effective_policy(cfg)
    if policy == "npu-only":
        return Plan(policy, cfg.backend, None)
    if policy == "npu-first":
        return Plan(policy, cfg.backend, escalation_name(cfg))
    gpu = gpu_name(cfg)
    if gpu is None:
        raise BackendError(
            'router.policy is "gpu-only" but no GPU backend is configured: set ollama.model (the GPU is '
            'reached through Ollama) or openai.baseUrl and openai.model, or set router.policy to "auto"')
    return Plan(policy, None, gpu)


def make_backend(cfg: Config) -> Backend:
    """One backend when only one is configured (as before), else a router over both.

    Raises BackendError when the configuration cannot serve at all."""
    p = plan(cfg)
    if p.npu is not None and p.gpu is None and escalation_name(cfg) is None:
        return build(p.npu, cfg)
    return Router(cfg.router, p.policy, build(p.npu, cfg) if p.npu else None,
                  build(p.gpu, cfg) if p.gpu else None)


@dataclass(frozen=True)
class Route:
    slot: str | None  # NPU, GPU, or None when no backend can serve
    reason: str


def choose(policy: str, request: GenerationRequest, npu_up: bool, gpu_up: bool, cfg: RouterConfig) -> Route:
    """Where one request goes, before it starts (weak answers are judged after the NPU has spoken)."""
    if policy == "npu-only":
        return Route(NPU, "npu-only") if npu_up else Route(None, "the NPU backend is down")
    if policy == "gpu-only":
        return Route(GPU, "gpu-only") if gpu_up else Route(None, "the GPU backend is down")
    wanted = ("multiline" if cfg.escalate_multiline and request.multiline
              else "invoked" if cfg.escalate_invoked and request.invoked
              else "rarely taken" if request.rarely_taken else None)
    if wanted and gpu_up:
        return Route(GPU, wanted)
    if npu_up:
        return Route(NPU, "everyday" if not wanted else f"{wanted}, GPU down: fallback")
    if gpu_up:
        return Route(GPU, "NPU down: fallback")
    return Route(None, "no backend is up")


def is_weak(text: str, mean_logprob: float | None, cfg: RouterConfig) -> str | None:
    """Why a finished NPU answer deserves a second opinion, or None."""
    if cfg.escalate_empty and not text.strip():
        return "empty"
    if mean_logprob is not None and mean_logprob < cfg.min_mean_logprob:
        return "weak"
    return None


@dataclass
class Health:
    up: bool = False
    loaded: bool = False
    error: str = ""
    delay: float = 0.0
    retry_at: float = 0.0
    told: bool = False  # the user has heard about this outage
    probe: asyncio.Task | None = None


class Router(Backend):
    name = "router"

    def __init__(self, cfg: RouterConfig, policy: str, npu: Backend | None, gpu: Backend | None) -> None:
        super().__init__()
        self.cfg = cfg
        self.policy = policy
        self.slots: dict[str, Backend] = {s: b for s, b in ((NPU, npu), (GPU, gpu)) if b is not None}
        self.health = {slot: Health() for slot in self.slots}
        self.routes: Counter[str] = Counter()  # slot and reason → requests
        for backend in self.slots.values():
            backend.notify = lambda message: self.notify(message)
            backend.vet_licence = lambda model, licence: self.vet_licence(model, licence)

    def _label(self, slot: str) -> str:
        b = self.slots[slot]
        return f"{b.name} ({b.model_name})" if b.model_name else b.name

    # --- health ---
    def _up(self, slot: str) -> bool:
        h = self.health.get(slot)
        if h is None:
            return False
        if not h.up and time.monotonic() >= h.retry_at and (h.probe is None or h.probe.done()):
            h.probe = asyncio.create_task(self._probe(slot))
        return h.up

    def _down(self, slot: str, error: str) -> None:
        h = self.health[slot]
        was_up = h.up
        h.up, h.error = False, error
        h.delay = min(max(h.delay * 2, self.cfg.retry_min_s), self.cfg.retry_max_s)
        h.retry_at = time.monotonic() + h.delay
        if was_up or not h.told:
            h.told = True
            others = [self._label(s) for s in self.slots if s != slot and self.health[s].up]
            then = f"; completions come from {others[0]} until it is back" if others else ""
            self.notify(f"{error}{then}")
        log.warning("%s down (retry in %.1fs): %s", slot, h.delay, error)

    def _mark_up(self, slot: str) -> None:
        h = self.health[slot]
        if not h.up and h.told:
            log.warning("%s is back", self._label(slot))
        h.up, h.loaded, h.error, h.delay, h.told = True, True, "", 0.0, False

    async def _probe(self, slot: str) -> None:
        h, backend = self.health[slot], self.slots[slot]
        try:
            if h.loaded:
                await backend.probe()
            else:
                await backend.load(lambda msg: log.info("%s: %s", slot, msg))
        except BackendError as exc:
            self._down(slot, str(exc))
        except Exception as exc:  # a probe must never take the server down
            log.exception("probe of %s failed", slot)
            self._down(slot, f"{backend.name}: {exc}")
        else:
            self._mark_up(slot)

    # --- load ---
    async def load(self, report: Callable[[str], None]) -> None:
        slots = list(self.slots)
        results = await asyncio.gather(*(self.slots[s].load(report) for s in slots), return_exceptions=True)
        failed = {s: r for s, r in zip(slots, results) if isinstance(r, BaseException)}
        for slot in slots:
            if slot not in failed:
                self._mark_up(slot)
        for slot, exc in failed.items():
            if not isinstance(exc, BackendError):
                log.error("loading %s failed", slot, exc_info=exc)
            if len(failed) < len(slots):
                self._down(slot, str(exc))
        if not any(h.up for h in self.health.values()):
            # Nothing serves: the server reports a load failure (a configuration change loads again).
            for slot in slots:
                h = self.health[slot]
                h.told, h.delay = True, self.cfg.retry_min_s
                h.retry_at = time.monotonic() + h.delay
            raise BackendError("; ".join(str(e) or f"{self.slots[s].name} failed to load ({type(e).__name__})"
                                         for s, e in failed.items()) or "no backend is configured")
        self._describe_self()

    def _describe_self(self) -> None:
        first = next(self.slots[s] for s in (NPU, GPU) if s in self.slots and self.health[s].up)
        stops: list[str] = []
        for b in self.slots.values():
            for tok in (b.template.stop_tokens if b.template else ()):
                if tok not in stops:
                    stops.append(tok)
        assert first.template is not None
        # completion.py renders with this and cleans with its stops; each backend renders again its own way.
        self.template = dataclasses.replace(first.template, stop_tokens=tuple(stops))
        self.model_name = " + ".join(b.model_name for b in self.slots.values() if b.model_name)
        self.device = " + ".join(b.device for b in self.slots.values() if b.device)

    # --- generation ---
    def route(self, request: GenerationRequest) -> Route:
        return choose(self.policy, request, self._up(NPU), self._up(GPU), self.cfg)

    def start(self, request: GenerationRequest) -> Generation:
        gen = StreamGeneration(asyncio.get_running_loop())
        gen.task = asyncio.create_task(self._run(request, gen))
        self.counters.begin(gen, gen.task.add_done_callback)
        return gen

    def _start_on(self, slot: str, request: GenerationRequest) -> Generation:
        backend = self.slots[slot]
        if request.prefix is not None and backend.template is not None:
            request = dataclasses.replace(request, prompt=backend.template.render(request.prefix, request.suffix or "", request.files))
        return backend.start(request)

    async def _stream(self, slot: str, request: GenerationRequest, gen: Generation,
                      replace: bool) -> tuple[str, Generation] | None:
        """Forward one backend's text; None when it failed (it is then marked down)."""
        inner: Generation | None = None
        text = ""
        try:
            inner = self._start_on(slot, request)
            gen.stats.backend = self.slots[slot].name
            if replace:
                gen.feed(Replace(""))
            async for delta in inner:
                text += delta
                if not gen.count_token():
                    break
                gen.feed(delta)
            else:
                # The text may end before the backend has wound down (the token limit); its
                # mean log-probability, which judges the answer, comes when it has.
                await inner.done.wait()
        except BackendError as exc:
            self._down(slot, str(exc))
            return None
        finally:
            if inner is not None and not inner.stats.finished:
                inner.cancel()
        gen.stats.mean_logprob = inner.stats.mean_logprob
        return text, inner

    async def _run(self, request: GenerationRequest, gen: Generation) -> None:
        error: BaseException | None = None
        try:
            route = self.route(request)
            tried: set[str] = set()
            replace = False
            while route.slot is not None and route.slot not in tried:
                tried.add(route.slot)
                self.routes[f"{route.slot}:{route.reason}"] += 1
                result = await self._stream(route.slot, request, gen, replace)
                if result is None:  # the backend failed, maybe mid-answer: the other one answers afresh
                    replace = True
                    route = self.route(request)
                    if route.slot is not None:
                        route = Route(route.slot, "fallback")
                    continue
                text, inner = result
                if route.slot != NPU or self.policy != "npu-first" or inner.stats.cancelled:
                    break
                why = is_weak(text, inner.stats.mean_logprob, self.cfg)
                if why is None or not self._up(GPU):
                    break
                route, replace = Route(GPU, why), True
            if not tried and route.slot is None:
                self.routes[f"none:{route.reason}"] += 1
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a request must never take the server down
            log.exception("router failed")
            error = BackendError(f"routing failed: {exc}")
        finally:
            gen.finish(error)

    async def close(self) -> None:
        for backend in self.slots.values():
            await backend.close()

    def _counting(self) -> Backend | None:
        # Windows are cut for the everyday backend: its tokenizer is the one in process.
        return self.slots.get(NPU) or next(iter(self.slots.values()), None)

    def count_tokens(self, text: str) -> int:
        first = self._counting()
        return first.count_tokens(text) if first is not None else super().count_tokens(text)

    def count_tokens_each(self, texts: list[str]) -> list[int]:
        first = self._counting()
        return first.count_tokens_each(texts) if first is not None else super().count_tokens_each(texts)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "policy": self.policy,
            # A list, not a map: its keys ("npu:everyday") are not identifiers, which some clients mangle.
            "routes": [{"route": k, "requests": n} for k, n in self.routes.items()],
            "backends": [
                {**self.slots[s].describe(), "slot": s, "up": self.health[s].up,
                 "error": self.health[s].error or None}
                for s in self.slots
            ],
        }
