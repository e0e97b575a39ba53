"""Holes answered through the engine, one configured backend at a time, and scored per language and kind of place."""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable

from ghostwright import config as configuration
from ghostwright.engine.engine import Engine
from ghostwright.engine.loading import Tell
from ghostwright.evaluation.holes import PLACES, Hole
from ghostwright.evaluation.scoring import Score

@dataclass(frozen=True)
class System:
    """One backend as the user configured it, serving alone (no router, no escalation)."""

    backend: str
    config: configuration.Config


@dataclass
class Result:
    system: System
    model: str = ""
    device: str = ""
    error: str | None = None  # the backend could not load: no figures
    load_s: float = 0.0
    run_s: float = 0.0
    # (language or "all", place or "all") → the answers' score
    scores: dict[tuple[str, str], Score] = field(default_factory=lambda: defaultdict(Score))


def systems(config: configuration.Config, only: tuple[str, ...] = ()) -> list[System]:
    """The OpenVINO model the user configured, and the embedded one beside it when that is another;
    Ollama and an OpenAI-style server when the configuration names them. `only` narrows to those
    backends."""
    out = []
    if not only or "openvino" in only:
        out.append(System("openvino", alone(config, "openvino")))
        if config.openvino.model:
            embedded = alone(config, "openvino")
            embedded.openvino.model = ""
            out.append(System("openvino", embedded))
    configured = {"ollama": bool(config.ollama.model), "openai": bool(config.openai.base_url)}
    return out + [System(name, alone(config, name)) for name in ("ollama", "openai")
                  if configured[name] and (not only or name in only)]


def alone(config: configuration.Config, backend: str) -> configuration.Config:
    """`config` with `backend` as the only one that answers, as `make bench-real` asks: no
    debounce, no finished-completion cache (a repeated prompt costs what it costs)."""
    out = copy.deepcopy(config)
    out.backend = backend
    out.router.policy = "npu-only"  # the everyday slot only: what this backend says, not an escalation
    out.completion.debounce_ms = 0
    out.completion.cache_entries = 0
    return out


async def answer(engine: Engine, hole: Hole, serial: int) -> tuple[str, float]:
    """As the bench's editor does it: open the hole's whole file, ask once at its cursor
    (invoked), close it; the answer and the time to it."""
    uri = f"file:///eval/{serial}/{PurePosixPath(hole.path).name}"
    engine.open(uri, hole.before + hole.after, 1, hole.language)
    line = hole.before.count("\n")
    character = len(hole.before) - hole.before.rfind("\n") - 1
    started = time.perf_counter()
    try:
        result = await engine.complete(uri, line, character, invoked=True)
    finally:
        elapsed = time.perf_counter() - started
        engine.close(uri)
    return (result.text if result is not None else ""), elapsed


async def evaluate(system: System, holes: list[Hole], tell: Tell,
                   step: Callable[[], None] = lambda: None) -> Result:
    """Load the system's backend, answer every hole, let it go."""
    result = Result(system)
    engine = Engine(system.config, tell=tell)
    engine.encoding = "utf-32"  # the holes' columns count characters
    started = time.monotonic()
    engine.start()
    try:
        backend = await engine.loader.wait()
        result.load_s = time.monotonic() - started
        if backend is None:
            result.error = engine.loader.error or "the backend did not load"
            return result
        described = backend.describe()
        result.model, result.device = str(described.get("model") or ""), str(described.get("device") or "")
        started = time.monotonic()
        for serial, hole in enumerate(holes):
            text, elapsed = await answer(engine, hole, serial)
            for key in ((hole.language, hole.place), (hole.language, "all"), ("all", hole.place), ("all", "all")):
                result.scores[key].add(hole, text, elapsed)
            step()
        result.run_s = time.monotonic() - started
    finally:
        await engine.shutdown()
    return result


def languages(results: list[Result]) -> list[str]:
    found = {language for r in results for language, place in r.scores if place == "all" and language != "all"}
    return sorted(found)


def places(results: list[Result]) -> list[str]:
    found = {place for r in results for language, place in r.scores if language == "all" and place != "all"}
    return [p for p in PLACES if p in found]


def name(result: Result) -> str:
    details = ", ".join(filter(None, (result.model, result.device)))
    return f"{result.system.backend} ({details})" if details else result.system.backend


def table(results: list[Result]) -> str:
    """Markdown tables, as `make bench-real` prints them: per language, then per kind of place,
    each backend's row beside the others'."""
    head = ("| {what} | backend | n | exact first line % | edit similarity | empty % | p50 s | p95 s |\n"
            "|---|---|---|---|---|---|---|---|")
    served = [r for r in results if r.error is None]

    def rows(keys: list[tuple[str, str]], what: str, label: Callable[[tuple[str, str]], str]) -> list[str]:
        out = [head.format(what=what)]
        for key in keys:
            for result in served:
                score = result.scores.get(key)
                if score is not None and score.n:
                    out.append(f"| {label(key)} | {name(result)} | " + " | ".join(score.cells()) + " |")
        return out

    lines = []
    for result in results:
        if result.error is not None:
            lines.append(f"{result.system.backend}: not evaluated: {result.error}")
        else:
            lines.append(f"{name(result)}: loaded in {result.load_s:.1f} s, "
                         f"{result.scores[('all', 'all')].n} holes in {result.run_s:.0f} s")
    if served:
        lines += ["", *rows([(language, "all") for language in languages(results)] + [("all", "all")],
                            "language", lambda k: k[0])]
        lines += ["", *rows([("all", p) for p in places(results)], "kind of place", lambda k: k[1])]
    return "\n".join(lines)


def to_json(results: list[Result]) -> list[dict]:
    """Figures only: no code, no answers."""
    out = []
    for result in results:
        entry: dict = {"backend": result.system.backend, "model": result.model, "device": result.device,
                       "error": result.error, "loadS": round(result.load_s, 3), "runS": round(result.run_s, 3)}
        if result.error is None:
            entry["all"] = result.scores[("all", "all")].figures()
            entry["byLanguage"] = {language: result.scores[(language, "all")].figures()
                                   for language in languages([result])}
            entry["byPlace"] = {place: result.scores[("all", place)].figures() for place in places([result])}
        out.append(entry)
    return out
