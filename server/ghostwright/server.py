"""The LSP handlers: translate between the editor and the completion pipeline, nothing more."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
import tracemalloc
from typing import Any, Coroutine

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ghostwright import (__version__, alternatives, cleanup, config as configuration, editor_watch, guards,
                         provenance, session_stats, telemetry, windows, wire)
from ghostwright.backends.base import Backend, BackendError
from ghostwright.completion import Ahead
from ghostwright.documents import DocumentStore
from ghostwright.flights import Flights, count_reuse, follow
from ghostwright.scheduler import Debouncer, Scheduler

log = logging.getLogger(__name__)

PARTIAL = "ghostwright/partialCompletion"
STATUS = "ghostwright/status"
DOCUMENT_TEXT = "ghostwright/documentText"
# Closing a document this long (code points) gives the memory it held back to the system.
LARGE_DOCUMENT = 1 << 20
ALTERNATIVE = "ghostwright/alternativeCompletion"


def make_backend(cfg: configuration.Config) -> Backend:
    from ghostwright.router import make_backend as routed

    return routed(cfg)


class GhostwrightServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("ghostwright", __version__, protocol_cls=wire.Protocol)
        self.config = configuration.Config()
        self.base_config = self.config
        self.documents = DocumentStore()
        self.scheduler = Scheduler()
        self.debouncer = Debouncer()
        self.flights = Flights()
        self.ahead = Ahead()
        self.backend: Backend | None = None
        self.backend_ready = asyncio.Event()
        self.backend_error: str | None = None
        self._load_task: asyncio.Task | None = None
        self._retiring: set[asyncio.Task] = set()
        self.vetting: provenance.Vetting | None = None
        self.remote_vettings: dict[str, provenance.Vetting] = {}  # model → verdict, for /api/show licences
        self._progress_serial = 0
        self._told = guards.OncePer()
        self.last_request_ms: float | None = None
        self.watching_editor: asyncio.Task | None = None
        self.refused: dict[str, str] = {}  # uri → why its last request got no completion (status)

    @property
    def encoding(self) -> str:
        return str(getattr(self.workspace.position_encoding, "value", self.workspace.position_encoding))

    def tell(self, message: str, kind: lsp.MessageType = lsp.MessageType.Warning) -> None:
        if not message.strip():  # a bare "ghostwright: " tells the user nothing
            log.error("an empty message was about to be shown", stack_info=True)
            message = "something failed without saying why: see the server's log (stderr)"
        log.warning(message)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=f"ghostwright: {message}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A handler or the wire failed: log every time, show the editor each kind once."""
        if isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
            log.warning("ignored a message that is not JSON: %s", error)
            return
        log.error("%s: %s", getattr(source, "__name__", source), error, exc_info=error)
        if self._told.first(("error", getattr(source, "__name__", str(source)), type(error).__name__)):
            self.tell(f"internal error ({type(error).__name__}: {error}); the server goes on, "
                      "see its log for details", lsp.MessageType.Error)

    # --- the model: loaded in the background, so initialize never waits for it ---
    def start_loading(self) -> None:
        if self._load_task is not None and not self._load_task.done():
            self._load_task.cancel()
        self.backend_ready.clear()
        self.backend_error = None
        self.vetting = None
        self.remote_vettings = {}
        self.flights.clear()
        self.ahead.clear()  # it holds the old backend (and its model) until the next edit otherwise
        if self.backend is not None:
            self._retire(self.backend)
            self.backend = None
        try:
            self.backend = make_backend(self.config)
        except BackendError as exc:  # the configuration cannot serve: say which keys, answer empty
            self.backend_error = str(exc)
            self.tell(self.backend_error, lsp.MessageType.Error)
            self.backend_ready.set()
            return
        self.backend.notify = self.tell
        self.backend.vet_licence = self._vet_licence
        self._load_task = asyncio.create_task(self._load(self.backend))

    def _retire(self, backend: Backend) -> None:
        """A replaced backend lets go of its connections, worker thread and model (its generations
        were cancelled: the flights are cleared first)."""
        async def close() -> None:
            try:
                await backend.close()
            except Exception:  # the new backend is what matters now
                log.exception("closing the replaced %s backend failed", backend.name)

        task = asyncio.create_task(close())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _load(self, backend: Backend) -> None:
        progress = await self._begin_progress("Loading model")
        try:
            limit = self.config.openvino.load_timeout_s
            try:  # reads that cannot block are the defence; this bounds what is left (a slow disk)
                await asyncio.wait_for(self._vet(backend), limit)
            except asyncio.TimeoutError:
                raise BackendError(f"checking the model did not finish within {limit:g} s "
                                   "(openvino.loadTimeoutS)") from None
            await backend.load(lambda msg: self._report_progress(progress, msg))
            # What exists once the model is loaded lives as long as the server: out of the cyclic
            # collector's sight, a full collection no longer walks it (pauses of tens of ms in a
            # request).
            gc.collect()
            gc.freeze()
        except BackendError as exc:
            self.backend_error = str(exc) or f"{backend.name} could not load its model"
            self.tell(self.backend_error, lsp.MessageType.Error)
        except Exception as exc:  # a load must never take the server down
            log.exception("model load failed")
            self.backend_error = f"model load failed: {exc}"
            self.tell(self.backend_error, lsp.MessageType.Error)
        finally:
            self._end_progress(progress, self.backend_error or f"{backend.model_name} on {backend.device}")
            self.backend_ready.set()

    async def _vet(self, backend: Backend) -> None:
        """Format, licence and changed files: said once per load; a denied licence stops it."""
        self.vetting = vetting = await asyncio.to_thread(provenance.vet_backend, backend, self.config.licence)
        if vetting is None:
            return
        if vetting.action == "deny":
            raise BackendError(vetting.message)
        if vetting.action == "warn":  # an allowed licence is in status and doctor, not the echo area
            self.tell(vetting.message)
        for line in vetting.changed:
            self.tell(line)

    def _vet_licence(self, model: str, licence: provenance.Licence) -> None:
        """A licence a backend read while loading (Ollama): the same policy and message as a local model's.

        Said once per model and licence, however often a router reloads the backend."""
        vetting = provenance.Vetting(model, licence, provenance.policy_for(licence, self.config.licence))
        self.remote_vettings[model] = vetting
        if vetting.action == "deny":
            raise BackendError(vetting.message)
        if vetting.action == "warn" and self._told.first(("licence", model, licence.name, vetting.action)):
            self.tell(vetting.message)

    async def _begin_progress(self, title: str) -> str | None:
        caps = self.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return None
        self._progress_serial += 1
        token = f"ghostwright/load/{self._progress_serial}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception:  # a client that refuses progress still gets its completions
            return None
        self.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(title=f"ghostwright: {title}"))
        return token

    def _report_progress(self, token: str | None, message: str) -> None:
        log.info(message)
        if token is not None:
            self.work_done_progress.report(token, lsp.WorkDoneProgressReport(message=message))

    def _end_progress(self, token: str | None, message: str) -> None:
        if token is not None:
            self.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=message))

    async def ready_backend(self) -> Backend | None:
        await self.backend_ready.wait()
        return None if self.backend_error else self.backend

    def settle(self) -> None:
        """Between an edit and the request that follows it: reparse, count the tokens of the
        lines around the edit, and build the context at its end (where the editor will ask),
        so the request does none of it."""
        docs = self.documents.settle()
        backend = self.backend if self.backend_ready.is_set() and not self.backend_error else None
        if backend is None:
            return
        c = self.config.context
        for doc in docs:
            if doc.text_only or self.refusal(doc, doc.last_edit) is not None:
                continue  # no completions there: nothing to prepare
            try:
                windows.warm_counts(doc.text, doc.last_edit, c.max_prefix_tokens, c.max_suffix_tokens,
                                    backend.count_tokens, backend.count_tokens_each, doc.syntax)
                prepared = self.ahead.put(doc, doc.last_edit, self.config, backend)
                if prepared is not None:
                    cleanup.prepare_judgement(prepared.ctx)
            except Exception:  # a head start, never a failure
                log.exception("preparing ahead in %s failed", doc.uri)

    # --- completion ---
    async def inline_completion(self, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        received = time.monotonic()
        try:
            return await self._inline_completion(params)
        finally:
            # From the request's arrival to its answer, inside the server (transport excluded).
            self.last_request_ms = round((time.monotonic() - received) * 1000, 3)

    async def _inline_completion(self, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        empty = lsp.InlineCompletionList(items=[])
        uri = params.text_document.uri
        doc = self.documents.get(uri)
        if doc is None:
            return empty
        offset = doc.offset_at(params.position.line, params.position.character, self.encoding)
        refused = self.refusal(doc, offset)
        if refused is not None:
            kind, why = refused
            self.refused[uri] = why
            if self._told.first((kind, uri)):
                self.tell(why, lsp.MessageType.Info)
            return empty
        self.refused.pop(uri, None)
        # Before superseding the older request: its generation may still fit what was typed.
        view = self.flights.adopt(doc, offset, self.config) if self.backend_ready.is_set() else None
        invoked = params.context.trigger_kind == lsp.InlineCompletionTriggerKind.Invoked
        try:
            return await self._as_newest(uri, self._complete(uri, offset, invoked, view), empty)
        finally:
            if view is not None:
                view.release()  # also when the work was cancelled before it started

    async def _as_newest(self, uri: str, work: Coroutine[Any, Any, Any], empty: Any) -> Any:
        """Run `work` as the document's newest request: a newer one, or didClose, cancels it (and
        its generation) and it answers `empty`; so does a backend that fails on it."""
        ticket = self.scheduler.enter(uri)
        task = asyncio.create_task(work)
        ticket.task = task
        try:
            return await task
        except BackendError as exc:
            # The model failed on this request (mid-stream, out of memory…): say so once, answer empty.
            if self._told.first(("backend", str(exc)[:200])):
                self.tell(f"{exc or 'the backend failed'}; the server goes on", lsp.MessageType.Error)
            else:
                log.warning("%s", exc)
            return empty
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if ticket.superseded and current is not None and not current.cancelling():
                return empty  # a newer request for this document took over
            raise
        finally:
            self.scheduler.leave(ticket)

    async def alternative_completion(self, params: Any) -> lsp.InlineCompletionList:
        """ghostwright/alternativeCompletion: one more candidate, unlike those the editor shows."""
        empty = lsp.InlineCompletionList(items=[])
        ask = alternatives.read_params(params)
        doc = self.documents.get(ask.uri) if ask is not None else None
        if ask is None or doc is None:
            log.warning("%s: no open document at %r", ALTERNATIVE, params)
            return empty
        offset = doc.offset_at(ask.line, ask.character, self.encoding)
        if self.refusal(doc, offset) is not None:
            return empty

        async def work() -> lsp.InlineCompletionList:
            backend = await self.ready_backend()
            if backend is None or self.documents.get(ask.uri) is not doc:
                return empty
            text = await alternatives.alternative(doc, offset, self.config, backend, ask.exclude)
            if not text:
                return empty
            line, character = doc.position_at(offset, self.encoding)
            where = lsp.Position(line=line, character=character)
            return lsp.InlineCompletionList(items=[
                lsp.InlineCompletionItem(insert_text=text, range=lsp.Range(start=where, end=where))])

        return await self._as_newest(ask.uri, work(), empty)

    def refusal(self, doc, offset: int) -> tuple[str, str] | None:
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

    async def _complete(self, uri: str, offset: int, invoked: bool, view) -> lsp.InlineCompletionList:
        doc = self.documents.get(uri)
        if doc is None:
            return lsp.InlineCompletionList(items=[])
        encoding, version = self.encoding, doc.version
        line, character = doc.position_at(offset, encoding)
        where = lsp.Position(line=line, character=character)

        def send_partial(text: str) -> None:
            self.protocol.notify(PARTIAL, {
                "textDocument": {"uri": uri, "version": version},
                "position": {"line": line, "character": character},
                "text": text,
            })

        text = None
        if view is not None:  # typed-ahead: no debounce, no model call
            text = await follow(view, send_partial)
            if self.backend is not None:
                count_reuse(self.backend.counters, view, text)
        if text is None:
            text = await self._ask(doc, offset, invoked, send_partial)
        if not text:
            return lsp.InlineCompletionList(items=[])
        item = lsp.InlineCompletionItem(insert_text=text, range=lsp.Range(start=where, end=where))
        return lsp.InlineCompletionList(items=[item])

    async def _ask(self, doc, offset: int, invoked: bool, send_partial) -> str:
        """The prompt cache, else a new generation after the adaptive debounce."""
        backend = await self.ready_backend()
        if backend is None or self.documents.get(doc.uri) is not doc:
            return ""
        version = doc.version
        prepared = self.ahead.take(doc, offset, self.config, backend, invoked)
        if prepared is None:
            return ""
        self.flights.cache.capacity = self.config.completion.cache_entries
        view = self.flights.from_cache(doc, offset, prepared, backend)
        if view is None:
            c = self.config.completion
            before = doc.text[offset - 1:offset] if offset else ""
            delay = self.debouncer.wait_seconds(doc.uri, before, invoked, c.debounce_ms,
                                                c.debounce_min_ms, c.debounce_max_ms)
            if delay:
                await asyncio.sleep(delay)
            if doc.version != version or self.documents.get(doc.uri) is not doc:
                return ""  # changed without a newer request, or closed: this position is stale
            view = self.flights.launch(doc, offset, prepared, backend)
        text = await follow(view, send_partial)
        count_reuse(backend.counters, view, text)
        session_stats.save([backend.describe()])
        return text or ""

    def editor_gone(self) -> None:
        """The editor died without saying exit (another process may still hold our stdin)."""
        self.stop_generating()
        sys.exit(1)

    def stop_generating(self) -> None:
        """Cancel every request and generation (each stops at its next token)."""
        self.scheduler.cancel_all()
        self.flights.clear()

    # --- configuration ---
    def apply_configuration(self, settings: Any) -> None:
        if isinstance(settings, dict) and "ghostwright" in settings:
            settings = settings["ghostwright"]
        if settings is None:  # nothing said (some clients send null to mean "ask me")
            return
        # An empty section lays nothing over the file and initializationOptions: back to them.
        new, problems = configuration.with_settings(self.base_config, settings, "workspace/didChangeConfiguration")
        for problem in problems:
            self.tell(problem)
        reload = any(getattr(new, k) != getattr(self.config, k)
                     for k in ("backend", "openvino", "ollama", "openai", "router"))
        self.config = new
        self.documents.set_limit(new.completion.max_document_bytes)
        if reload:
            self.start_loading()

    def status(self) -> dict:
        return {
            "version": __version__,
            "positionEncoding": self.encoding,
            "documents": len(self.documents),
            "backendReady": self.backend_ready.is_set() and not self.backend_error,
            "backendError": self.backend_error,
            "backends": [self.backend.describe()] if self.backend else [],
            "provenance": self.vetting.to_wire() if self.vetting else None,
            "remoteProvenance": [v.to_wire() for v in self.remote_vettings.values()],
            # For leak checks: requests still running, live asyncio tasks and threads.
            "inFlight": len(self.scheduler._newest),
            "tasks": len(asyncio.all_tasks()),
            "threads": threading.active_count(),
            # "ov-generate_0", "asyncio_1", …: a pool that grows with reloads is a leak.
            "threadNames": sorted(t.name for t in threading.enumerate()),
            "lastRequestMs": self.last_request_ms,
            "refused": dict(self.refused),
            "rpcFutures": len(self.protocol._request_futures),  # this status request's own, and no more
            # Python's own heap (blocks held by its allocator; bytes when tracemalloc runs, e.g. under
            # PYTHONTRACEMALLOC=1): the soak checks it stays flat, apart from OpenVINO's native memory.
            "pythonBlocks": sys.getallocatedblocks(),
            "pythonHeapBytes": tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
            "config": configuration.to_wire(self.config),
        }


def _param(params: Any, name: str) -> Any:
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def create_server() -> GhostwrightServer:
    server = GhostwrightServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: GhostwrightServer, params: lsp.InitializeParams) -> None:
        ls.config, _toml, problems = configuration.load(params.initialization_options)
        ls.base_config = ls.config
        ls._startup_problems = problems
        ls.documents.set_limit(ls.config.completion.max_document_bytes)
        ls.watching_editor = editor_watch.watch(params.process_id, ls.editor_gone)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: GhostwrightServer, _params: lsp.InitializedParams) -> None:
        for problem in getattr(ls, "_startup_problems", []):
            ls.tell(problem)
        log.info("OpenVINO telemetry: %s", telemetry.decline_on_disk())
        ls.start_loading()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GhostwrightServer, params: lsp.DidOpenTextDocumentParams) -> None:
        d = params.text_document
        ls.documents.open(d.uri, d.text, d.version, d.language_id)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GhostwrightServer, params: lsp.DidChangeTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", params.text_document.uri)
            return
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                r = change.range
                doc.apply_change((r.start.line, r.start.character), (r.end.line, r.end.character),
                                 change.text, ls.encoding)
            else:
                doc.apply_change(None, None, change.text, ls.encoding)
        if params.text_document.version <= doc.version:
            # Edits arrive in order on stdio, so they are applied all the same; only the label is odd.
            log.warning("didChange for %s carries version %d after %d", doc.uri, params.text_document.version,
                        doc.version)
        doc.version = params.text_document.version
        ls.debouncer.changed(doc.uri)
        if ls.documents.changed(doc.uri):
            asyncio.get_running_loop().call_soon(ls.settle)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GhostwrightServer, params: lsp.DidCloseTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        large = doc is not None and (doc.text_only or len(doc) > LARGE_DOCUMENT or doc.uri in ls.refused)
        ls.documents.close(params.text_document.uri)
        for kind in ("size", "line"):
            ls._told.forget((kind, params.text_document.uri))
        ls.refused.pop(params.text_document.uri, None)
        ls.scheduler.cancel(params.text_document.uri)
        ls.flights.forget(params.text_document.uri)
        ls.ahead.forget(params.text_document.uri)
        ls.debouncer.forget(params.text_document.uri)
        if large:
            del doc
            guards.release_memory()

    @server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(ls: GhostwrightServer, params: lsp.InlineCompletionParams):
        return await ls.inline_completion(params)

    @server.feature(ALTERNATIVE)
    async def alternative_completion(ls: GhostwrightServer, params: Any) -> lsp.InlineCompletionList:
        return await ls.alternative_completion(params)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: GhostwrightServer, params: lsp.DidChangeConfigurationParams) -> None:
        ls.apply_configuration(params.settings)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: GhostwrightServer, _params: Any) -> None:
        ls.stop_generating()
        if ls.backend is not None:
            session_stats.save([ls.backend.describe()], force=True)

    @server.feature(lsp.EXIT)
    def exit_(ls: GhostwrightServer, _params: Any) -> None:
        ls.stop_generating()  # also without shutdown first: a generation must not hold the exit

    @server.feature(STATUS)
    def status(ls: GhostwrightServer, _params: Any) -> dict:
        return ls.status()

    @server.feature(DOCUMENT_TEXT)
    def document_text(ls: GhostwrightServer, params: Any) -> dict | None:
        doc = ls.documents.get(_param(_param(params, "textDocument"), "uri") or "")
        return None if doc is None else {"version": doc.version, "text": doc.text}

    return server


def serve() -> None:
    code = wire.start_io(create_server())
    wire.exit_within(code)
