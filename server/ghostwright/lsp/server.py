"""The LSP layer: pygls handlers that translate between the editor and the engine, nothing more."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from ghostwright import __version__, config as configuration
from ghostwright.context.sources import path_of
from ghostwright.engine import alternatives, feedback
from ghostwright.lsp import editor_watch, wire
from ghostwright.engine.notices import OncePer
from ghostwright.trust import no_telemetry as telemetry
from ghostwright.engine.engine import Answer, Engine, Place
from ghostwright.engine.loading import Progress
from ghostwright.lsp.methods import ALTERNATIVE, DOCUMENT_TEXT, PARTIAL, STATS, STATUS

log = logging.getLogger(__name__)

LEVELS = {"error": lsp.MessageType.Error, "warning": lsp.MessageType.Warning, "info": lsp.MessageType.Info}


class _WorkDone:
    """LSP work-done progress for one token."""

    def __init__(self, server: LanguageServer, token: str) -> None:
        self._server, self._token = server, token

    def report(self, message: str) -> None:
        self._server.work_done_progress.report(self._token, lsp.WorkDoneProgressReport(message=message))

    def end(self, message: str) -> None:
        self._server.work_done_progress.end(self._token, lsp.WorkDoneProgressEnd(message=message))


class GhostwrightServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("ghostwright", __version__, protocol_cls=wire.Protocol)
        self.engine = Engine(tell=self._show, begin_progress=self._begin_progress)
        self._told = OncePer()
        self._progress_serial = 0
        self._startup_problems: list[str] = []
        self.watching_editor: Any = None

    @property
    def encoding(self) -> str:
        return str(getattr(self.workspace.position_encoding, "value", self.workspace.position_encoding))

    def tell(self, message: str, kind: lsp.MessageType = lsp.MessageType.Warning) -> None:
        level = next((name for name, k in LEVELS.items() if k == kind), "warning")
        self.engine.tell(message, level)

    def _show(self, message: str, level: str) -> None:
        log.warning(message)
        kind = LEVELS.get(level, lsp.MessageType.Warning)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=f"ghostwright: {message}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A handler or the wire failed: log every time, show the editor each kind once."""
        if isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
            log.warning("ignored a message that is not JSON: %s", error)
            return
        if isinstance(error, JsonRpcInvalidParams):  # the client's mistake, answered as such (an unknown command)
            log.warning("%s", error)
            return
        log.error("%s: %s", getattr(source, "__name__", source), error, exc_info=error)
        if self._told.first(("error", getattr(source, "__name__", str(source)), type(error).__name__)):
            self.tell(f"internal error ({type(error).__name__}: {error}); the server goes on, "
                      "see its log for details", lsp.MessageType.Error)

    async def _begin_progress(self, title: str) -> Progress | None:
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
        return _WorkDone(self, token)

    def send_partial(self, place: Place, text: str, suggestion: str | None = None) -> None:
        self.protocol.notify(PARTIAL, {
            "textDocument": {"uri": place.uri, "version": place.version},
            "position": {"line": place.line, "character": place.character},
            "text": text,
            **({"id": suggestion} if suggestion else {}),
        })

    def ask(self) -> feedback.Ask:
        return feedback.Ask(self.engine.feedback, self.engine.document, lambda: self.engine.backend)

    def answered(self, ask: feedback.Ask, answer: Answer | None) -> lsp.InlineCompletionList:
        """The items of `answer`, each carrying the command a client runs on accept."""
        if answer is None or not answer.text:
            return _items(None)
        ask.answered(answer.place.uri, answer.place.offset, answer.text,
                     answer.stats.backend if answer.stats else None, answer.multiline)
        return _items(answer, lsp.Command(title="ghostwright: accepted", command=feedback.ACCEPTED,
                                          arguments=[{"id": ask.id}]))

    def editor_gone(self) -> None:
        """The editor died without saying exit (another process may still hold our stdin)."""
        self.engine.stop_generating()
        sys.exit(1)

    def status(self) -> dict:
        return {**self.engine.status(), "rpcFutures": self.protocol.pending_requests}


def _items(answer: Answer | None, command: lsp.Command | None = None) -> lsp.InlineCompletionList:
    if answer is None or not answer.text:
        return lsp.InlineCompletionList(items=[])
    where = lsp.Position(line=answer.place.line, character=answer.place.character)
    return lsp.InlineCompletionList(items=[
        lsp.InlineCompletionItem(insert_text=answer.text, range=lsp.Range(start=where, end=where), command=command)])


def _param(params: Any, name: str) -> Any:
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def _edits(changes: list) -> list[tuple[tuple[int, int] | None, tuple[int, int] | None, str]]:
    out: list[tuple[tuple[int, int] | None, tuple[int, int] | None, str]] = []
    for change in changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            r = change.range
            out.append(((r.start.line, r.start.character), (r.end.line, r.end.character), change.text))
        else:
            out.append((None, None, change.text))
    return out


def _folders(params: lsp.InitializeParams) -> list[Path]:
    """The workspace folders the editor names (`workspaceFolders`, else `rootUri`, else `rootPath`)."""
    uris = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    paths = [p for p in map(path_of, uris) if p is not None]
    if not paths and params.root_path:
        paths = [params.root_path]
    return [Path(p) for p in paths]


def _feedback_command(name: str) -> Any:
    """The workspace/executeCommand handler of one of feedback.COMMANDS."""
    def handle(ls: GhostwrightServer, *args: Any) -> dict:
        return ls.engine.feedback.command(name, list(args))

    return handle


def create_server() -> GhostwrightServer:
    server = GhostwrightServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: GhostwrightServer, params: lsp.InitializeParams) -> None:
        config, _toml, ls._startup_problems = configuration.load(params.initialization_options)
        ls.engine.set_config(config, base=True)
        ls.engine.set_workspace(_folders(params))
        ls.engine.encoding = ls.encoding
        ls.watching_editor = editor_watch.watch(params.process_id, ls.editor_gone)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: GhostwrightServer, _params: lsp.InitializedParams) -> None:
        for problem in ls._startup_problems:
            ls.tell(problem)
        log.info("OpenVINO telemetry: %s", telemetry.decline_on_disk())
        ls.engine.start()
        ls.protocol.warm()  # while the model loads

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GhostwrightServer, params: lsp.DidOpenTextDocumentParams) -> None:
        d = params.text_document
        ls.engine.open(d.uri, d.text, d.version, d.language_id)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GhostwrightServer, params: lsp.DidChangeTextDocumentParams) -> None:
        d = params.text_document
        ls.engine.change(d.uri, _edits(params.content_changes), d.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GhostwrightServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.engine.close(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: GhostwrightServer, _params: lsp.DidSaveTextDocumentParams) -> None:
        ls.engine.files_changed()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: GhostwrightServer, _params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.engine.files_changed()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_workspace_folders(ls: GhostwrightServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        """ghostwright.el's own connection names the projects of the buffers it opens this way."""
        folders = {str(f) for f in ls.engine.around.folders}
        folders -= {p for p in map(path_of, (f.uri for f in params.event.removed)) if p}
        folders |= {p for p in map(path_of, (f.uri for f in params.event.added)) if p}
        ls.engine.set_workspace([Path(p) for p in sorted(folders)])

    @server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(ls: GhostwrightServer, params: lsp.InlineCompletionParams):
        invoked = params.context.trigger_kind == lsp.InlineCompletionTriggerKind.Invoked
        p = params.position
        ask = ls.ask()

        def partial(place: Place, text: str) -> None:
            ask.partial(place.uri, place.offset, text)
            ls.send_partial(place, text, ask.id)

        return ls.answered(ask, await ls.engine.complete(params.text_document.uri, p.line, p.character, invoked,
                                                         partial))

    @server.feature(ALTERNATIVE)
    async def alternative_completion(ls: GhostwrightServer, params: Any) -> lsp.InlineCompletionList:
        """ghostwright/alternativeCompletion: one more candidate, unlike those the editor shows."""
        ask, asking = alternatives.read_params(params), ls.ask()  # its latency counts from here
        answer = await ls.engine.alternative(ask.uri, ask.line, ask.character, ask.exclude) if ask else None
        if answer is None:
            log.warning("%s: no open document at %r", ALTERNATIVE, params)
        return ls.answered(asking, answer)

    for name in feedback.COMMANDS:  # pygls lists them in executeCommandProvider
        server.command(name)(_feedback_command(name))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: GhostwrightServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and "ghostwright" in settings:
            settings = settings["ghostwright"]
        if settings is not None:  # nothing said (some clients send null to mean "ask me")
            # An empty section lays nothing over the file and initializationOptions: back to them.
            ls.engine.configure(settings)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: GhostwrightServer, _params: Any) -> None:
        ls.engine.stop_generating()
        ls.engine.save_stats()

    @server.feature(lsp.EXIT)
    def exit_(ls: GhostwrightServer, _params: Any) -> None:
        ls.engine.stop_generating()  # also without shutdown first: a generation must not hold the exit

    @server.feature(STATUS)
    def status(ls: GhostwrightServer, _params: Any) -> dict:
        return ls.status()

    @server.feature(STATS)
    def usage(ls: GhostwrightServer, _params: Any) -> dict:
        """ghostwright/stats: what `ghostwright stats` prints, as data and as its text."""
        from ghostwright import stats

        days = ls.engine.feedback.store.totals()
        return {**stats.report(days, ls.engine.config), "text": stats.render(days, ls.engine.config)}

    @server.feature(DOCUMENT_TEXT)
    def document_text(ls: GhostwrightServer, params: Any) -> dict | None:
        doc = ls.engine.document(_param(_param(params, "textDocument"), "uri") or "")
        return None if doc is None else {"version": doc.version, "text": doc.text}

    return server


def serve(server: GhostwrightServer | None = None) -> None:
    server = server or create_server()
    code = wire.start_io(server)
    server.engine.feedback.save()  # also after an exit without shutdown, or an editor gone
    wire.exit_within(code)
