"""The suggestions shown and what became of them (accepted, in part, dismissed, typed through), and how much accepted text stays."""

from __future__ import annotations

import asyncio
import difflib
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from ghostwright.config import FeedbackConfig
from ghostwright.engine import usage_stats
from ghostwright.engine.usage_stats import Key

log = logging.getLogger(__name__)

# workspace/executeCommand commands (docs/feedback.md). ACCEPTED is the command each
# InlineCompletionItem carries, which an LSP 3.18 client runs on accept; ghostwright.el sends
# the other three itself.
ACCEPTED = "ghostwright.accepted"
PARTIALLY_ACCEPTED = "ghostwright.partiallyAccepted"
DISMISSED = "ghostwright.dismissed"
TYPED_THROUGH = "ghostwright.typedThrough"
COMMANDS = (ACCEPTED, PARTIALLY_ACCEPTED, DISMISSED, TYPED_THROUGH)

# Suggestions remembered for their fate: older ones are forgotten (a client that never reports).
REMEMBERED = 512


def moved(a: int, b: int, s: int, e: int, n: int) -> tuple[int, int]:
    """The region [a, b) after the text [s, e) was replaced by n characters.

    An empty region is an anchor: text inserted at it goes after it (what is typed through a
    suggestion lands after its start). A non-empty region does not grow by text inserted at
    either end (typed before or after the accepted text), only by text inserted inside it."""
    delta = n - (e - s)
    if e < a or (e == a and (s < a or a < b)):
        return a + delta, b + delta
    if s > b or (s == b and (a < b or s == e)):
        return a, b
    if a == b:
        return s, s
    return min(a, s), max(b, e) + delta


def retained(accepted: str, now: str) -> int:
    """Characters of `accepted` still there, in order, in `now` (the region's text today)."""
    if not accepted or not now:
        return 0
    matcher = difflib.SequenceMatcher(None, accepted, now, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


@dataclass
class Suggestion:
    """One suggestion shown in the editor: where, what, and what became of it."""

    id: str
    doc: Any  # the Document (its text at the retention checks)
    key: Key
    text: str
    anchor: int  # where the suggestion starts, moved by later edits
    latency_ms: float | None
    counted: bool = False  # "shown" was counted
    fate: str | None = None  # "accepted", "partial", "dismissed", "typedThrough"
    accepted_len: int = 0  # characters of `text` in the document by accepts
    end: int | None = None  # end of the accepted region (set at the first accept)
    checks: list[asyncio.TimerHandle] = field(default_factory=list)
    due: set[str] = field(default_factory=set)  # retention checks not run yet


class Feedback:
    """What the editor reports of the suggestions it showed, counted in a usage_stats.Store."""

    def __init__(self, store: usage_stats.Store | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store or usage_stats.Store()
        self.config = FeedbackConfig()
        self._clock = clock
        self._prefix = secrets.token_hex(3)
        self._serial = 0
        self._suggestions: OrderedDict[str, Suggestion] = OrderedDict()
        self._totals: tuple[float, usage_stats.Days] | None = None

    def configure(self, config: FeedbackConfig) -> None:
        self.config = config
        self.store.enabled = config.enabled
        self.store.keep_days = config.keep_days

    # --- what was shown ---
    def new_id(self) -> str:
        self._serial += 1
        return f"{self._prefix}-{self._serial}"

    def seen(self, sid: str, doc: Any, offset: int, text: str, k: Callable[[], Key],
             latency_ms: float | None) -> None:
        """Ghost text of suggestion `sid` shows (a partial or the answer); its text grows with each.
        `k` makes its key (the first time only)."""
        if not self.config.enabled or not text:
            return
        s = self._suggestions.get(sid)
        if s is None:
            self._suggestions[sid] = Suggestion(sid, doc, k(), text, offset, latency_ms)
            while len(self._suggestions) > REMEMBERED:
                self._forget(next(iter(self._suggestions)))
        elif s.fate is None:
            s.text = text

    def settled(self, sid: str, text: str, k: Key) -> None:
        """The answer: its final text and the backend that made it; counted as shown."""
        s = self._suggestions.get(sid)
        if s is None:
            return
        if text and s.fate is None:
            s.text = text
        if not s.counted:
            s.key = k
            self._count_shown(s)

    def _count_shown(self, s: Suggestion) -> None:
        s.counted = True
        latency = {"latencyMsSum": s.latency_ms, "latencyCount": 1} if s.latency_ms is not None else {}
        self.store.add(s.key, shown=1, **latency)

    # --- what the editor says ---
    def command(self, name: str, args: Any) -> dict:
        """Handle one workspace/executeCommand of COMMANDS; what was counted, or why nothing was."""
        arg = args[0] if isinstance(args, (list, tuple)) and args else args
        sid = arg.get("id") if isinstance(arg, dict) else None
        if not isinstance(sid, str):
            log.warning("%s: expected arguments [{\"id\": ...}], got %.200r", name, args)
            return {"counted": False, "reason": "no suggestion id in the arguments"}
        s = self._suggestions.get(sid)
        if s is None:  # shown by an earlier server, or forgotten: nothing to count against
            return {"counted": False, "reason": f"unknown suggestion {sid}"}
        if not self.config.enabled:
            return {"counted": False, "reason": "feedback.enabled is false"}
        if not s.counted:
            self._count_shown(s)
        if name == ACCEPTED:
            self._accept(s, len(s.text))
            self._fate(s, "accepted")
        elif name == PARTIALLY_ACCEPTED:
            chars = arg.get("chars")
            if not isinstance(chars, int) or isinstance(chars, bool) or chars < 0:
                return {"counted": False, "reason": "chars: expected the count of the suggestion's characters "
                                                    "now in the document"}
            self._accept(s, min(chars, len(s.text)))
            self._fate(s, "partial")
        elif name == DISMISSED:
            self._fate(s, "dismissed")
        elif name == TYPED_THROUGH:
            self._fate(s, "typedThrough")
        else:
            return {"counted": False, "reason": f"unknown command {name}"}
        return {"counted": True, "fate": s.fate}

    def _fate(self, s: Suggestion, fate: str) -> None:
        """The first fate counts, except that a whole accept after partial ones counts as accepted."""
        if s.fate is None or (fate == "accepted" and s.fate == "partial"):
            if s.fate == "partial":
                self.store.add(s.key, partial=-1)
            s.fate = fate
            self.store.add(s.key, **{fate: 1})
        if s.end is None and fate in ("dismissed", "typedThrough"):
            self._forget(s.id)  # nothing accepted: nothing to follow through the edits
        self.store.save()

    def _accept(self, s: Suggestion, length: int) -> None:
        if length <= s.accepted_len:
            return
        self.store.add(s.key, acceptedChars=length - s.accepted_len)
        s.accepted_len = length
        s.end = s.anchor + length
        if not s.checks:
            self._schedule(s)

    # --- accepted and retained ---
    def _schedule(self, s: Suggestion) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a plain function call): the caller runs check() itself
            return
        day = usage_stats.today()
        s.due = {"First", "Second"}
        s.checks = [loop.call_later(self.config.retention_first_s, self.check, s.id, "First", day),
                    loop.call_later(self.config.retention_second_s, self.check, s.id, "Second", day)]

    def check(self, sid: str, which: str, day: str | None = None) -> int | None:
        """Count how much of the accepted text of `sid` is still where it was put; None when unknown."""
        s = self._suggestions.get(sid)
        if s is None or s.end is None or which not in s.due:
            return None
        s.due.discard(which)
        accepted = s.text[:s.accepted_len]
        kept = retained(accepted, s.doc.text[s.anchor:s.end])
        self.store.add(s.key, day, **{f"checkedChars{which}": len(accepted), f"retainedChars{which}": kept})
        self.store.save()
        if not s.due:
            self._forget(sid)
        return kept

    def tracks(self, uri: str) -> bool:
        return any(s.doc.uri == uri for s in self._suggestions.values())

    def edited(self, uri: str, start: int, end: int, length: int) -> None:
        """The text [start, end) of `uri` was replaced by `length` characters: move what is tracked there."""
        for s in self._suggestions.values():
            if s.doc.uri != uri:
                continue
            if s.end is None:
                s.anchor, _ = moved(s.anchor, s.anchor, start, end, length)
            else:
                s.anchor, s.end = moved(s.anchor, s.end, start, end, length)

    def closed(self, uri: str) -> None:
        """The document is gone: the retention checks still due are counted now, on its last text."""
        for sid in [sid for sid, s in self._suggestions.items() if s.doc.uri == uri]:
            for which in sorted(self._suggestions[sid].due):
                self.check(sid, which)
            self._forget(sid)

    def _forget(self, sid: str) -> None:
        s = self._suggestions.pop(sid, None)
        if s is not None:
            for handle in s.checks:
                handle.cancel()

    # --- reading ---
    def session(self) -> list[dict]:
        """This session's counts, one row per language, backend/model and kind."""
        return [row.to_wire() for row in usage_stats.summarize(self.store.session)]

    def save(self) -> None:
        self.store.save(force=True)

    def prefers_escalation(self, language: str, backend: str) -> bool:
        """`feedback.adaptive`: the first backend's single-line answers in `language` are rarely taken."""
        c = self.config
        if not (c.adaptive and c.enabled):
            return False
        if self._totals is None or self._clock() - self._totals[0] > usage_stats.SAVE_EVERY_S:
            self._totals = (self._clock(), self.store.totals())  # the file, read at most this often
        return usage_stats.rarely_taken(self._totals[1], language, backend, c.adaptive_min_shown,
                                        c.adaptive_min_acceptance)


class Ask:
    """One inline-completion request as feedback sees it: its suggestion id and its first ghost text."""

    def __init__(self, feedback: Feedback, document: Callable[[str], Any], backend: Callable[[], Any]) -> None:
        self.feedback = feedback
        self.id = feedback.new_id()
        self._document = document
        self._backend = backend
        self._received = time.monotonic()
        self._latency: float | None = None

    def partial(self, uri: str, offset: int, text: str) -> None:
        if text and self._latency is None:
            self._latency = (time.monotonic() - self._received) * 1000
        doc = self._document(uri)
        if doc is not None and text:
            self.feedback.seen(self.id, doc, offset, text, lambda: self._key(doc, None, "\n" in text), self._latency)

    def answered(self, uri: str, offset: int, text: str, backend_name: str | None, multiline: bool | None) -> None:
        self.partial(uri, offset, text)
        doc = self._document(uri)
        if doc is not None:
            self.feedback.settled(self.id, text, self._key(doc, backend_name, "\n" in text if multiline is None
                                                           else multiline))

    def _key(self, doc: Any, backend_name: str | None, multiline: bool) -> Key:
        name, model = backend_and_model(self._backend(), backend_name)
        return usage_stats.key(doc.language_id, name, model, multiline)


def backend_and_model(backend: Any, name: str | None) -> tuple[str, str]:
    """The backend called `name` (the router's choice) and its model; the backend itself without one."""
    if backend is None:
        return name or "unknown", ""
    for inner in getattr(backend, "slots", {}).values():
        if inner.name == name:
            return inner.name, inner.model_name
    return backend.name, backend.model_name
