"""The latest server session's latency counters, kept on disk so `ghostwright doctor` can show them."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ghostwright import json_files, paths

_EVERY_S = 10.0
_last_write = 0.0


def stats_file() -> Path:
    return paths.cache_dir() / "last-session.json"


def due() -> bool:
    """Whether `save` would write now (its counters are worth gathering)."""
    return time.monotonic() - _last_write >= _EVERY_S


def save(backends: list[dict], force: bool = False) -> None:
    """Write the per-backend counters (at most every few seconds unless forced); never raises."""
    global _last_write
    now = time.monotonic()
    if not force and now - _last_write < _EVERY_S:
        return
    _last_write = now
    data = {"savedAt": time.strftime("%Y-%m-%d %H:%M:%S"), "backends": backends}
    try:
        json_files.write(stats_file(), data)
    except OSError:
        pass  # statistics are a convenience: a read-only cache must not disturb completions


def load() -> dict | None:
    try:
        return json.loads(stats_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def summary(backend: dict) -> str:
    """One line: calls, cancels, reuse, waste, time to first token and speed."""
    tokens = backend.get("tokensGenerated", 0)
    wasted = backend.get("tokensDiscarded", 0)
    ttft = backend.get("ttftMs") or {}
    tps = backend.get("tokensPerSecond") or {}

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f} ms"

    return (f"{backend.get('backend', '?')}: {backend.get('requests', 0)} model calls,"
            f" {backend.get('cancellations', 0)} cancelled, {backend.get('cacheHits', 0)} cache"
            f" + {backend.get('typeaheadHits', 0)} typed-ahead hits, {tokens} tokens"
            f" ({wasted} thrown away), TTFT p50 {ms(ttft.get('p50'))} p95 {ms(ttft.get('p95'))},"
            f" {'-' if tps.get('p50') is None else format(tps['p50'], '.0f')} tokens/s")
