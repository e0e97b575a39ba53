"""When to ask the model: the adaptive debounce, from the rhythm of a document's recent changes."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

# Right after one of these the user is likely to wait for a suggestion: ask sooner.
DELIMITERS = frozenset("(.:,[{=\n")
# A gap longer than this between two changes is a pause, not part of the typing rhythm.
PAUSE_S = 0.6
# Typing at or above this many changes per second counts as fast (bursts of 8-12/s are usual).
FAST_RATE = 12.0
SLOW_RATE = 4.0


@dataclass
class Rhythm:
    """The recent didChange times of one document: how fast the user is typing right now."""

    changes: deque[float] = field(default_factory=lambda: deque(maxlen=12))

    def record(self, now: float) -> None:
        self.changes.append(now)

    @property
    def last(self) -> float | None:
        return self.changes[-1] if self.changes else None

    def burst_intervals(self) -> list[float]:
        """Gaps between the changes of the current burst (back to the last pause)."""
        times = list(self.changes)
        gaps: list[float] = []
        for a, b in zip(reversed(times[:-1]), reversed(times[1:])):
            if b - a > PAUSE_S:
                break
            gaps.append(b - a)
        return gaps

    def rate(self) -> float:
        """Changes per second in the current burst; 0 when the user has just started or paused."""
        gaps = self.burst_intervals()
        if len(gaps) < 2:
            return 0.0
        return 1.0 / max(statistics.median(gaps), 1e-3)


def adaptive_delay(
    char_before: str,
    rhythm: Rhythm,
    base_ms: int,
    lo_ms: int,
    hi_ms: int,
) -> float:
    """How long (seconds) to wait after the last change before asking the model.

    Shorter right after a delimiter, longer mid-word, longer again while the current burst is fast
    (the next key is probably coming). Never shorter than the user's usual gap between keys inside
    a burst, so a steady slow typist does not get a model call per key.
    """
    if base_ms <= 0:
        return 0.0
    lo, hi = min(lo_ms, base_ms), max(hi_ms, base_ms)
    rate = rhythm.rate()
    speed = min(1.0, max(0.0, (rate - SLOW_RATE) / (FAST_RATE - SLOW_RATE))) if rate else 0.0
    if char_before in DELIMITERS or char_before == "":
        ms = lo + (base_ms - lo) * speed * 0.5
    elif char_before.isalnum() or char_before == "_":
        ms = base_ms + (hi - base_ms) * (0.5 + 0.5 * speed)
    else:  # a space or an operator: the user may be between tokens
        ms = base_ms + (hi - base_ms) * speed * 0.5
    gaps = rhythm.burst_intervals()
    if len(gaps) >= 3 and char_before not in DELIMITERS:
        usual = sorted(gaps)[int(0.75 * (len(gaps) - 1))]
        ms = max(ms, usual * 1000 * 1.25)
    return min(hi, max(lo, ms)) / 1000


def delay_seconds(rhythm: Rhythm, char_before: str, invoked: bool,
                  base_ms: int, lo_ms: int, hi_ms: int) -> float:
    """The debounce for a request at this moment of the document's rhythm (an explicit request,
    trigger kind Invoked, never waits)."""
    if invoked or base_ms <= 0:
        return 0.0
    return adaptive_delay(char_before, rhythm, base_ms, lo_ms, hi_ms)


def wait_seconds(rhythm: Rhythm, now: float, char_before: str, invoked: bool,
                 base_ms: int, lo_ms: int, hi_ms: int) -> float:
    """The time still to wait at `now`: the delay counts from the last change, not the request."""
    delay = delay_seconds(rhythm, char_before, invoked, base_ms, lo_ms, hi_ms)
    if not delay or rhythm.last is None:
        return delay
    return max(0.0, rhythm.last + delay - now)
