"""The engine: open documents and their records, the backend, and completions streamed from one loop; no LSP."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any, Callable, Coroutine

from ghostwright import __version__, config as configuration
from ghostwright.engine import alternatives, preparation as completion, flights, session_stats
from ghostwright.engine.feedback import Feedback
from ghostwright.context import cleanup, sources, windows
from ghostwright.engine.notices import OncePer
from ghostwright.trust import memory
from ghostwright.backends import factory
from ghostwright.backends.base import Backend, BackendError, GenerationStats, Hooks
from ghostwright.engine.cache import PromptCache
from ghostwright.text import documents
from ghostwright.text.documents import Document
from ghostwright.engine.loading import BeginProgress, Loader, Tell, no_progress
from ghostwright.engine.scheduler import Rhythm, wait_seconds
from ghostwright.engine.flights import PartialSink

log = logging.getLogger(__name__)

# Closing a document this long (code points) gives the memory it held back to the system.
LARGE_DOCUMENT = 1 << 20


@dataclass(frozen=True)
class Place:
    """Where a completion is asked: the document's version then, and the cursor (offset and
    line/character in the engine's position encoding, clamped to the document)."""

    uri: str
    version: int
    offset: int
    line: int
    character: int


@dataclass
class Answer:
    place: Place
    text: str  # "" when there is no completion
    stats: GenerationStats | None = None
    multiline: bool | None = None  # the kind of place, as the context judged it


@dataclass
class Record:
    """Everything the engine keeps for one open document, the document (text and tree) included;
    closing the document drops it whole, after `end` stopped its work."""

    doc: Document
    newest: asyncio.Task | None = None  # the request that answers for this document now
    flight: flights.Flight | None = None  # the generation typed-ahead can follow
    rhythm: Rhythm = field(default_factory=Rhythm)  # the debounce's view of the typing
    ahead: completion.Ahead | None = None  # the context prepared between the edit and the request
    refused: str | None = None  # why its last request got no completion
    unsettled: bool = False  # edited since its tree was last reparsed

    def end(self) -> None:
        """Stop the request and the generation of this document (each at its next token)."""
        if self.newest is not None and not self.newest.done():
            self.newest.cancel()
        self.newest = None
        flights.cancel(self.flight)
        self.flight = None
        self.ahead = None


class Engine:
    """Documents in, completions out, for any front end: the LSP server or the command line."""

    def __init__(self, config: configuration.Config | None = None, *, tell: Tell | None = None,
                 begin_progress: BeginProgress = no_progress,
                 build: Callable[[configuration.Config, Hooks], Backend] = factory.make_backend,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = self.base_config = config or configuration.Config()
        self.encoding = "utf-16"  # of positions in and out; LSP negotiates it
        self._tell_front = tell or (lambda message, level: log.warning("%s", message))
        self._told = OncePer()
        self._records: dict[str, Record] = {}  # the open documents, one record each
        self._settle_due = False  # a settle is scheduled for the edits since the last one
        self._clock = clock
        self.loader = Loader(self.tell, begin_progress, self._told, build)
        self.cache = PromptCache()
        self.last_request_ms: float | None = None
        self.around = sources.Surroundings()  # other documents, recent edits, the workspace
        self.last_context: dict = {}  # what the last prompt showed of other files
        self.feedback = Feedback()
        self.feedback.configure(self.config.feedback)

    def tell(self, message: str, level: str = "warning") -> None:
        if not message.strip():  # a bare "ghostwright: " tells the user nothing
            log.error("an empty message was about to be shown", stack_info=True)
            message = "something failed without saying why: see the server's log (stderr)"
        self._tell_front(message, level)

    def tell_once(self, key: object, message: str, level: str = "warning") -> None:
        if self._told.first(key):
            self.tell(message, level)
        else:
            log.warning("%s", message)

    # --- documents ---
    def open(self, uri: str, text: str, version: int, language_id: str) -> Document:
        old = self._records.pop(uri, None)
        if old is not None:
            old.end()
        doc = documents.open_document(uri, text, version, language_id, self.config.completion.max_document_bytes)
        self._records[uri] = Record(doc)
        self.around.used(doc)
        return doc

    def document(self, uri: str) -> Document | None:
        record = self._records.get(uri)
        return None if record is None else record.doc

    def change(self, uri: str, changes: list[tuple[tuple[int, int] | None, tuple[int, int] | None, str]],
               version: int) -> bool:
        """Apply `didChange` edits ((start, end, text); no range: the whole text) in order; False
        when the document is not open."""
        record = self._records.get(uri)
        if record is None:
            log.warning("didChange for a document that is not open: %s", uri)
            return False
        doc = record.doc
        tracked = self.feedback.tracks(uri)
        for start, end, text in changes:
            if tracked:  # accepted text is followed through the edits
                s, e = ((doc.offset_at(*start, self.encoding), doc.offset_at(*end, self.encoding))
                        if start is not None and end is not None else (0, len(doc.text)))
                doc.apply_change(start, end, text, self.encoding)
                self.feedback.edited(uri, s, e, len(text))
                continue
            doc.apply_change(start, end, text, self.encoding)
        if version <= doc.version:
            # Edits arrive in order on stdio, so they are applied all the same; only the label is odd.
            log.warning("didChange for %s carries version %d after %d", uri, version, doc.version)
        doc.version = version
        self.around.edited(doc)
        record.rhythm.record(self._clock())
        record.unsettled = True
        if not self._settle_due:
            self._settle_due = True
            asyncio.get_running_loop().call_soon(self.settle)
        return True

    def close(self, uri: str) -> None:
        """The document is gone: its request answers empty, its generation stops, its state goes."""
        record = self._records.pop(uri, None)
        self.feedback.closed(uri)
        self.around.closed(uri)
        for kind in ("size", "line"):
            self._told.forget((kind, uri))
        if record is None:
            return
        record.end()
        doc = record.doc
        if doc.text_only or len(doc) > LARGE_DOCUMENT or record.refused is not None:
            del doc, record
            memory.release_memory()

    def settle(self) -> None:
        """Between an edit and the request that follows it: reparse, count the tokens of the
        lines around the edit, and build the context at its end (where the editor will ask),
        so the request does none of it."""
        self._settle_due = False
        edited = [r for r in self._records.values() if r.unsettled]
        for record in edited:
            record.unsettled = False
            documents.settle(record.doc)
        backend = self.loader.backend if self.loader.ready else None
        if backend is None:
            return
        c = self.config.context
        for record in edited:
            doc = record.doc
            if doc.text_only or self.refusal(doc, doc.last_edit) is not None:
                continue  # no completions there: nothing to prepare
            try:
                windows.warm_counts(doc.text, doc.last_edit, c.max_prefix_tokens, c.max_suffix_tokens,
                                    backend.count_tokens, backend.count_tokens_each, doc.syntax)
                record.ahead = completion.ahead(doc, doc.last_edit, self.config, backend, self.around)
                if record.ahead.prepared is not None:
                    cleanup.prepare_judgement(record.ahead.prepared.ctx)
            except Exception:  # a head start, never a failure
                log.exception("preparing ahead in %s failed", doc.uri)

    def refusal(self, doc: Document, offset: int) -> tuple[str, str] | None:
        """(kind, reason) when no completion is made at `offset` of `doc`: a document or a cursor
        line over its byte limit (generated or minified text)."""
        c = self.config.completion
        size = doc.over_limit(c.max_document_bytes)
        if size is not None:
            return "size", (f"{doc.uri} is {size / 1e6:.1f} MB, over completion.maxDocumentBytes "
                            f"({c.max_document_bytes / 1e6:.1f} MB): no completions for it")
        line, _ = doc.position_at(offset, "utf-32")
        length = doc.line_bytes(line, c.max_line_bytes)
        if length is not None:
            return "line", (f"line {line + 1} of {doc.uri} is {length / 1e3:.0f} KB, over completion.maxLineBytes "
                            f"({c.max_line_bytes / 1e3:.0f} KB; minified or generated?): no completions on it")
        return None

    def _place(self, record: Record, line: int, character: int) -> Place:
        doc = record.doc
        offset = doc.offset_at(line, character, self.encoding)
        line, character = doc.position_at(offset, self.encoding)
        return Place(doc.uri, doc.version, offset, line, character)

    def _refused(self, record: Record, offset: int) -> bool:
        refused = self.refusal(record.doc, offset)
        if refused is None:
            record.refused = None
            return False
        kind, why = refused
        record.refused = why
        if self._told.first((kind, record.doc.uri)):
            self.tell(why, "info")
        return True

    # --- the backend ---
    @property
    def backend(self) -> Backend | None:
        return self.loader.backend

    def start(self) -> None:
        """(Re)load the backend the configuration names; what ran on the old one stops."""
        for record in self._records.values():
            flights.cancel(record.flight)
            record.flight = None
            record.ahead = None  # it holds the old backend (and its model) until the next edit otherwise
        self.loader.start(self.config)

    def configure(self, settings: Any, source: str = "workspace/didChangeConfiguration") -> None:
        """Lay `settings` over the base configuration (the file and the start-up options); reload the
        backend when a backend key changed."""
        new, problems = configuration.with_settings(self.base_config, settings, source)
        for problem in problems:
            self.tell(problem)
        reload = any(getattr(new, k) != getattr(self.config, k) for k in factory.BACKEND_KEYS)
        self.set_config(new)
        if reload:
            self.start()

    def set_config(self, config: configuration.Config, base: bool = False) -> None:
        self.config = config
        self.feedback.configure(config.feedback)
        if base:
            self.base_config = config
        for record in self._records.values():
            documents.set_limit(record.doc, config.completion.max_document_bytes)
        self.around.configure(config.context)

    def set_workspace(self, folders: list, wait: bool = False) -> None:
        """The workspace folders context may read; `wait` lists their files before returning."""
        self.around.set_folders(folders, self.config.context, wait)

    def files_changed(self) -> None:
        """Files of the workspace were created, deleted or saved: the index lists them again, in the background."""
        self.around.refresh()

    def stop_generating(self) -> None:
        """Cancel every request and generation (each stops at its next token)."""
        for record in self._records.values():
            record.end()

    def save_stats(self) -> None:
        if self.backend is not None:
            session_stats.save([self.backend.describe()], force=True)
        self.feedback.save()

    async def shutdown(self) -> None:
        """Stop everything and let go of the backend (the command line and benchmarks, at their end)."""
        self.stop_generating()
        self.around.close()
        await self.loader.close()

    # --- completions ---
    async def complete(self, uri: str, line: int, character: int, invoked: bool = False,
                       on_partial: PartialSink | None = None) -> Answer | None:
        """The completion at line/character of `uri`, its cleaned text streamed to `on_partial` as it
        grows; None when the document is not open. It is the document's newest request: a newer
        one, `close` or a cancel of the awaiting task stops it (and its generation)."""
        received = time.monotonic()
        try:
            record = self._records.get(uri)
            if record is None:
                return None
            place = self._place(record, line, character)
            self.around.used(record.doc)
            if self._refused(record, place.offset):
                return Answer(place, "")
            # Before superseding the older request: its generation may still fit what was typed.
            view = flights.adopt(record.flight, record.doc, place.offset, self.config) if self.loader.settled else None
            try:
                return await self._as_newest(record, self._answer(record, place, invoked, view, on_partial),
                                             Answer(place, ""))
            finally:
                if view is not None:
                    view.release()  # also when the work was cancelled before it started
        finally:
            # From the request's arrival to its answer, inside the engine (transport excluded).
            self.last_request_ms = round((time.monotonic() - received) * 1000, 3)

    async def alternative(self, uri: str, line: int, character: int, exclude: tuple[str, ...]) -> Answer | None:
        """One more candidate at the place, unlike every text in `exclude` ("" when none was found)."""
        record = self._records.get(uri)
        if record is None:
            return None
        place = self._place(record, line, character)
        if self.refusal(record.doc, place.offset) is not None:
            return Answer(place, "")
        doc = record.doc

        async def work() -> Answer:
            backend = await self.loader.wait()
            if backend is None or self.document(uri) is not doc:
                return Answer(place, "")

            async def run(prepared: completion.Prepared) -> str:
                # Beside the normal flow: no prompt cache, no flight typed-ahead would follow.
                return await flights.follow(flights.launch(doc, place.offset, prepared, backend, None), place, None) or ""

            prepared = completion.prepare(doc, place.offset, self.config, backend, invoked=True, around=self.around)
            text = await alternatives.alternative(prepared, self.config, exclude, run) if prepared else ""
            return Answer(place, text)

        return await self._as_newest(record, work(), Answer(place, ""))

    async def _as_newest(self, record: Record, work: Coroutine[Any, Any, Answer], empty: Answer) -> Answer:
        """Run `work` as the document's newest request: a newer one, or `close`, cancels it (and
        its generation) and it answers `empty`; so does a backend that fails on it."""
        older = record.newest
        task = record.newest = asyncio.create_task(work)
        if older is not None and not older.done():
            older.cancel()
        try:
            return await task
        except BackendError as exc:
            # The model failed on this request (mid-stream, out of memory…): say so once, answer empty.
            self.tell_once(("backend", str(exc)[:200]), f"{exc or 'the backend failed'}; the server goes on", "error")
            return empty
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if record.newest is not task and current is not None and not current.cancelling():
                return empty  # a newer request for this document took over, or it was closed
            raise
        finally:
            if record.newest is task:
                record.newest = None

    async def _answer(self, record: Record, place: Place, invoked: bool, view: flights.View | None,
                      on_partial: PartialSink | None) -> Answer:
        if view is not None:  # typed-ahead: no debounce, no model call
            text = await flights.follow(view, place, on_partial)
            if self.backend is not None:
                flights.count_reuse(self.backend.counters, view, text)
            if text is not None:
                return Answer(place, text, self._stats(view), view.flight.prepared.ctx.multiline)
        return await self._ask(record, place, invoked, on_partial)

    async def _ask(self, record: Record, place: Place, invoked: bool, on_partial: PartialSink | None) -> Answer:
        """The prompt cache, else a new generation after the adaptive debounce."""
        empty = Answer(place, "")
        doc = record.doc
        backend = await self.loader.wait()
        if backend is None or self._records.get(doc.uri) is not record:
            return empty
        version = doc.version
        prepared = completion.take(record.ahead, doc, place.offset, self.config, backend, invoked, self.around)
        record.ahead = None
        if prepared is None:
            return empty
        self.last_context = prepared.cross.summary() if prepared.cross is not None else {}
        if prepared.request.starts_with:  # why the answer knew a module's name
            self.last_context["knownNames"] = {"names": len(prepared.request.starts_with)}
        prepared = self._adapted(prepared, doc, backend)
        self.cache.capacity = self.config.completion.cache_entries
        view = flights.from_cache(self.cache, doc, place.offset, prepared, backend)
        if view is None:
            c = self.config.completion
            before = doc.text[place.offset - 1:place.offset] if place.offset else ""
            delay = wait_seconds(record.rhythm, self._clock(), before, invoked, c.debounce_ms,
                                 c.debounce_min_ms, c.debounce_max_ms)
            if delay:
                await asyncio.sleep(delay)
            if doc.version != version or self._records.get(doc.uri) is not record:
                return empty  # changed without a newer request, or closed: this position is stale
            view = flights.launch(doc, place.offset, prepared, backend, self.cache)
            old = record.flight
            if old is not None and old.followers <= 0:
                flights.cancel(old)
        record.flight = view.flight
        text = await flights.follow(view, place, on_partial)
        flights.count_reuse(backend.counters, view, text)
        if session_stats.due():  # after the answer is sent: gathering and writing took 1-6 ms
            asyncio.get_running_loop().call_soon(lambda: session_stats.save([backend.describe()]))
        return Answer(place, text or "", self._stats(view), prepared.ctx.multiline)

    def _adapted(self, prepared: completion.Prepared, doc: Document, backend: Backend) -> completion.Prepared:
        """`feedback.adaptive`: a single-line request goes on where the first backend is rarely taken."""
        first = getattr(backend, "slots", {}).get("npu")
        if (prepared.request.multiline or first is None or
                not self.feedback.prefers_escalation(doc.language_id or "unknown", first.name)):
            return prepared
        return dataclasses.replace(prepared, request=dataclasses.replace(prepared.request, rarely_taken=True))

    @staticmethod
    def _stats(view: flights.View) -> GenerationStats | None:
        return view.flight.gen.stats if view.flight.gen is not None else None

    # --- status ---
    def status(self) -> dict:
        """The engine's state for `ghostwright/status` (the front end adds its own fields)."""
        loader = self.loader
        return {
            "version": __version__,
            "positionEncoding": self.encoding,
            "documents": len(self._records),
            "backendReady": loader.ready,
            "backendError": loader.error,
            "backends": [loader.backend.describe()] if loader.backend else [],
            "provenance": loader.vetting.to_wire() if loader.vetting else None,
            "remoteProvenance": [v.to_wire() for v in loader.remote_vettings.values()],
            # For leak checks: requests still running, live asyncio tasks and threads.
            "inFlight": sum(1 for r in self._records.values() if r.newest is not None),
            "tasks": len(asyncio.all_tasks()),
            "threads": threading.active_count(),
            # "ov-generate_0", "asyncio_1", …: a pool that grows with reloads is a leak.
            "threadNames": sorted(t.name for t in threading.enumerate()),
            "lastRequestMs": self.last_request_ms,
            # This session's counts of shown, accepted, dismissed… suggestions (docs/feedback.md).
            "feedback": self.feedback.session(),
            "refused": {uri: r.refused for uri, r in self._records.items() if r.refused is not None},
            # The workspace context reads, and what the last prompt showed of other files, per source.
            "context": {**self.around.status(), "lastUsed": self.last_context},
            # Python's own heap (blocks held by its allocator; bytes when tracemalloc runs, e.g. under
            # PYTHONTRACEMALLOC=1): the soak checks it stays flat, apart from OpenVINO's native memory.
            "pythonBlocks": sys.getallocatedblocks(),
            "pythonHeapBytes": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
            "config": configuration.to_wire(self.config),
        }
