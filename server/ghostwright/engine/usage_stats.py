"""Counts of what became of suggestions, per day, language, backend/model and kind of place; kept on disk."""

from __future__ import annotations

import json
import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from ghostwright import json_files, paths

log = logging.getLogger(__name__)

VERSION = 1
# The counters of a row; each is a number, never text from a document.
FIELDS = ("shown", "accepted", "partial", "dismissed", "typedThrough", "acceptedChars",
          "checkedCharsFirst", "retainedCharsFirst", "checkedCharsSecond", "retainedCharsSecond",
          "latencyMsSum", "latencyCount")
KEY_FIELDS = ("language", "backend", "model", "kind")
SAVE_EVERY_S = 10.0
_NAME_LIMIT = 80


class Key(NamedTuple):
    language: str
    backend: str
    model: str
    kind: str  # "single" or "multi": the kind of place, as the context judged it


def key(language: str, backend: str, model: str, multiline: bool) -> Key:
    """A row's key with names cut to what identifies them: a model given as a path keeps its last part."""
    def name(value: str) -> str:
        value = (value or "").strip()
        if "/" in value or os.sep in value:
            value = Path(value.rstrip("/" + os.sep)).name
        return value[:_NAME_LIMIT] or "unknown"

    return Key(name(language), name(backend), name(model), "multi" if multiline else "single")


def today() -> str:
    return time.strftime("%Y-%m-%d")


Days = dict[str, dict[Key, dict[str, float]]]


def stats_file() -> Path:
    return paths.data_dir() / "usage-stats.json"


def _add(days: Days, day: str, k: Key, counts: dict[str, float]) -> None:
    row = days.setdefault(day, {}).setdefault(k, dict.fromkeys(FIELDS, 0))
    for name, value in counts.items():
        row[name] = row.get(name, 0) + value


def merge(into: Days, other: Days) -> Days:
    for day, rows in other.items():
        for k, counts in rows.items():
            _add(into, day, k, counts)
    return into


def to_json(days: Days) -> dict:
    return {"version": VERSION, "days": {
        day: [{**dict(zip(KEY_FIELDS, k)), **{f: v for f, v in counts.items() if v}} for k, counts in rows.items()]
        for day, rows in sorted(days.items())}}


def from_json(data: Any) -> Days:
    """The counts of a file's contents; what does not fit the format is left out (and logged)."""
    days: Days = {}
    if not isinstance(data, dict) or not isinstance(data.get("days"), dict):
        return days
    for day, rows in data["days"].items():
        if not isinstance(rows, list) or len(str(day)) != 10:
            continue
        for row in rows:
            if not isinstance(row, dict):
                continue
            k = Key(*(str(row.get(f, "unknown"))[:_NAME_LIMIT] for f in KEY_FIELDS))
            counts = {f: row[f] for f in FIELDS
                      if isinstance(row.get(f), (int, float)) and not isinstance(row.get(f), bool)}
            _add(days, str(day), k, counts)
    return days


def trim(days: Days, keep_days: int) -> Days:
    """The newest `keep_days` days only: the file stays bounded however long it is used."""
    for day in sorted(days)[:-keep_days] if keep_days > 0 else list(days):
        del days[day]
    return days


def load(path: Path | None = None) -> Days:
    path = path or stats_file()
    try:
        return from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s (%s); counting from zero", path, exc)
        return {}


class Store:
    """This session's counts, and the file they are added to (at most every few seconds)."""

    def __init__(self, path: Path | None = None, keep_days: int = 90,
                 clock: Any = time.monotonic) -> None:
        self.path = path
        self.keep_days = keep_days
        self.enabled = True
        self.session: Days = {}
        self._unsaved: Days = {}
        self._clock = clock
        self._last_save = clock()

    def add(self, k: Key, day: str | None = None, **counts: float) -> None:
        if not self.enabled:
            return
        day = day or today()
        _add(self.session, day, k, counts)
        _add(self._unsaved, day, k, counts)

    def save(self, force: bool = False) -> None:
        """Add what was counted since the last save to the file; never raises."""
        if not self._unsaved or (not force and self._clock() - self._last_save < SAVE_EVERY_S):
            return
        self._last_save = self._clock()
        path = self.path or stats_file()
        try:
            with _locked(path):
                days = trim(merge(load(path), self._unsaved), self.keep_days)
                json_files.write(path, to_json(days))
            self._unsaved = {}
        except OSError as exc:  # statistics are a convenience: a read-only home must not disturb completions
            log.warning("cannot save usage statistics to %s: %s", path, exc)

    def totals(self) -> Days:
        """What the file holds plus what is not saved yet."""
        return merge(load(self.path or stats_file()), self._unsaved)


class _locked:
    """An advisory lock beside the file: two servers adding at once both count."""

    def __init__(self, path: Path) -> None:
        self.lock = path.with_name(path.name + ".lock")
        self.fd: int | None = None

    def __enter__(self) -> None:
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except ImportError:  # no fcntl (Windows): the last writer wins
            pass

    def __exit__(self, *_exc: Any) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


# --- reading the counts ---

@dataclass
class Row:
    """Counters summed over the rows that share the fields of `group`."""

    group: dict[str, str]
    counts: dict[str, float]

    def rate(self, part: str, whole: str = "shown") -> float | None:
        return self.counts[part] / self.counts[whole] if self.counts.get(whole) else None

    @property
    def taken(self) -> float | None:
        """Share of shown suggestions accepted whole or in part."""
        shown = self.counts.get("shown", 0)
        return (self.counts["accepted"] + self.counts["partial"]) / shown if shown else None

    @property
    def latency_ms(self) -> float | None:
        return self.counts["latencyMsSum"] / self.counts["latencyCount"] if self.counts.get("latencyCount") else None

    def retained(self, which: str) -> float | None:
        return self.rate(f"retainedChars{which}", f"checkedChars{which}")

    def to_wire(self) -> dict:
        return {**self.group, **{f: self.counts[f] for f in FIELDS},
                "acceptance": self.taken, "latencyMs": self.latency_ms,
                "retainedFirst": self.retained("First"), "retainedSecond": self.retained("Second")}


def summarize(days: Days, group: Iterable[str] = KEY_FIELDS, since: str = "") -> list[Row]:
    """Rows summed by the key fields named in `group` over the days from `since` on."""
    group = tuple(group)
    sums: dict[tuple, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for day, rows in days.items():
        if day < since:
            continue
        for k, counts in rows.items():
            target = sums[tuple(getattr(k, g) for g in group)]
            for f in FIELDS:
                target[f] += counts.get(f, 0)
    return [Row(dict(zip(group, g)), c) for g, c in sorted(sums.items())]


def per_day(days: Days) -> list[Row]:
    """One row per day (all languages, backends and kinds together), oldest first."""
    return [Row({"day": day}, summarize({day: rows}, ())[0].counts) for day, rows in sorted(days.items()) if rows]


def rarely_taken(days: Days, language: str, backend: str, min_shown: int, min_acceptance: float) -> bool:
    """`backend`'s single-line answers in `language` were shown often enough and taken rarely."""
    shown = taken = 0.0
    for rows in days.values():
        for k, counts in rows.items():
            if k.language == language and k.backend == backend and k.kind == "single":
                shown += counts.get("shown", 0)
                taken += counts.get("accepted", 0) + counts.get("partial", 0)
    return shown >= min_shown and taken / shown < min_acceptance


def escalated(days: Days, min_shown: int, min_acceptance: float) -> list[tuple[str, str]]:
    """(language, backend) pairs whose single-line requests `feedback.adaptive` would send on."""
    pairs = {(k.language, k.backend) for rows in days.values() for k in rows if k.kind == "single"}
    return sorted(p for p in pairs if rarely_taken(days, p[0], p[1], min_shown, min_acceptance))
