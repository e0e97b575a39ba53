"""The stdio loop, and messages the server cannot use: answered with a JSON-RPC error or dropped
with one log line.

Framing errors (a wrong Content-Length, a runaway header, a body that is not JSON) cost the
frame they hit and no more (framing.Framer resynchronises at the next header); nothing read
from stdin ends the process, only `exit` or the end of input does.

pygls drops a request whose params do not validate without answering it (the editor would
wait forever), drops a message with invalid UTF-8 whole (so every later incremental edit lands
on the wrong text), and pops up "Error in server" for each. Here a request always gets an
answer, invalid UTF-8 is replaced by U+FFFD (the edit still lands), and the rest is logged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import stat
import sys
import threading
from typing import Any, Awaitable, Callable

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from lsprotocol import types
from pygls.protocol import JsonRPCResponseMessage, LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from ghostwright.lsp import framing
from ghostwright.lsp.framing import Framer, Junk, looks_like_header_start

log = logging.getLogger(__name__)


class Unreadable:
    """A JSON-RPC message whose params do not fit its method's schema."""

    jsonrpc = "2.0"

    def __init__(self, data: dict, error: BaseException) -> None:
        self.id = data.get("id")
        self.method = data.get("method")
        self.is_request = "id" in data and "method" in data
        self.reason = _reason(error.__cause__ or error)[:300]


def _reason(exc: BaseException) -> str:
    """Where and why params failed to validate, from cattrs' nested exception groups."""
    leaves: list[str] = []

    def walk(e: BaseException) -> None:
        subs = getattr(e, "exceptions", None)
        if subs:
            for sub in subs:
                walk(sub)
        else:
            leaves.append(" ".join(str(e).split()))

    walk(exc)
    try:
        from cattrs import transform_error

        where = "; ".join(transform_error(exc))
    except Exception:  # older cattrs or a plain exception: the leaves say enough
        where = ""
    return f"{where}: {'; '.join(leaves)}" if where else "; ".join(leaves)


class Protocol(LanguageServerProtocol):
    # The documents are ours (the engine's records). pygls' own copy is skipped: besides the
    # double work, its position codec writes `character = len - 1` into the client's params for a
    # position past the end of a line, so our handler would see a different edit than was sent.
    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        # pygls 2.1 files the future of every async or generator handler under its id, and only
        # a request's answer takes it out again: each notification (every didChange: every
        # keystroke) left one Future behind for good: a slow leak (docs/robustness.md).
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda f: self._forget(msg_id, f))

    @property
    def pending_requests(self) -> int:
        """Requests whose answer is not sent yet (a status request counts itself)."""
        return len(self._request_futures)

    def _forget(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    def warm(self) -> None:
        """Have the converter (cattrs) generate its code for an inline completion request and
        answer now: the first completion of a session paid for it (8 ms here, 11 under load)."""
        where = types.Position(line=0, character=0)
        item = types.InlineCompletionItem(insert_text=" ", range=types.Range(start=where, end=where),
                                          command=types.Command(title="", command="", arguments=[{}]))
        answer = JsonRPCResponseMessage(id=0, result=types.InlineCompletionList(items=[item]), jsonrpc="2.0")
        json.dumps(answer, default=self._serialize_message)
        self.structure_message({"jsonrpc": "2.0", "id": 0, "method": types.TEXT_DOCUMENT_INLINE_COMPLETION, "params": {
            "textDocument": {"uri": "file:///"}, "position": {"line": 0, "character": 0}, "context": {"triggerKind": 1}}})

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            return Unreadable(data, exc)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if self._shutdown and method is not None and method != types.EXIT and getattr(message, "id", None) is not None:
            # LSP: after shutdown every request but exit fails with InvalidRequest (pygls drops it
            # unanswered, and the editor waits for ever).
            error = JsonRpcInvalidRequest(message=f"{method}: the server is shut down; only exit is accepted")
            self._send_response(message.id, None, error.to_response_error())
            return
        if not isinstance(message, Unreadable):
            super().handle_message(message)
            return
        if message.is_request:
            log.warning("answered %s (id %r) with InvalidParams: %s", message.method, message.id, message.reason)
            error = JsonRpcInvalidParams(message=f"invalid params for {message.method}: {message.reason}")
            self._send_response(message.id, None, error.to_response_error())
        else:
            log.warning("ignored %s: its params do not validate: %s", message.method, message.reason)


# Bytes asked of stdin per read: a keystroke's message fits many times, a didOpen of a large file
# arrives in a few hundred reads instead of one per line.
READ_CHUNK = 1 << 16


def repair_utf8(body: bytes) -> bytes:
    """`body` made valid UTF-8 (bad bytes become U+FFFD), so the edit it carries still lands."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("a message held invalid UTF-8 (%s); read it with U+FFFD in place of the bad bytes",
                    exc.reason)
        return body.decode("utf-8", "replace").encode("utf-8")
    return body


def decode(body: bytes, framer: Framer, structure: Any) -> Any:
    """The message in `body`; raises ValueError when it is not JSON.

    A body followed by the start of a header is one whose Content-Length was too large: the
    message is kept and the bytes it swallowed go back to the framer as the next header. A body
    that is not JSON at all gives back whatever header it holds (the frame boundary was lost
    inside it)."""
    text = body.decode("utf-8").lstrip()
    try:
        message, end = json.JSONDecoder(object_hook=structure).raw_decode(text)
    except ValueError:
        found = framing.header_in(body)
        if found is not None:
            framer.push_back(body[found:])
        raise
    rest = text[end:]
    if rest.strip():
        if not looks_like_header_start(rest.encode("utf-8")):
            raise ValueError(f"extra data after the message: {rest[:40]!r}")
        log.warning("a message's Content-Length ran into the next header; read the rest as that header")
        framer.push_back(rest.lstrip().encode("utf-8"))
    return message


def _answer_error(protocol: Protocol, error: JsonRpcException, why: str, ident: int | str | None = None) -> None:
    """An error answer to a message pygls cannot take (JSON-RPC: id null when it is unknown)."""
    log.warning("answered a message with %s: %s", type(error).__name__, why)
    # Written out by hand: pygls leaves out an id that is None, and JSON-RPC wants it null.
    protocol._send_data({"jsonrpc": "2.0", "id": ident, "error": {"code": error.code, "message": error.message}})


def dispatch(protocol: Protocol, framer: Framer, body: bytes, on_error: Any) -> None:
    """One body: decoded, checked to be a message, handed to pygls."""
    try:
        message = decode(repair_utf8(body), framer, protocol.structure_message)
    except ValueError as exc:
        _answer_error(protocol, JsonRpcParseError(message=f"not JSON: {str(exc)[:200]}"),
                      f"ignored a message that is not JSON ({str(exc)[:200]})")
        return
    except Exception as exc:  # the structuring of a message failed some other way
        log.exception("unable to read a message")
        on_error(exc, JsonRpcException)
        return
    if not hasattr(message, "jsonrpc"):
        ident = message.get("id") if isinstance(message, dict) else None
        _answer_error(protocol, JsonRpcInvalidRequest(message="not a JSON-RPC message"),
                      f"not a JSON-RPC message: {body[:80]!r}",
                      ident if isinstance(ident, (int, str)) and not isinstance(ident, bool) else None)
        return
    try:
        protocol.handle_message(message)
    except Exception as exc:
        log.exception("unable to handle message")
        on_error(exc, JsonRpcException)


async def read_messages(read: Callable[[], Awaitable[bytes]], protocol: Protocol, stop: threading.Event,
                        on_error: Any) -> None:
    """Frames from `read` until end of input or `stop`; nothing read here can end the loop."""
    framer = Framer()
    skipped, why = 0, ""  # one log line for a run of junk, however many reads it spans
    while not stop.is_set():
        data = await read()
        if not data:
            break
        framer.feed(data)
        while (item := framer.next()) is not None:
            if isinstance(item, Junk):
                skipped, why = skipped + item.size, why or item.reason
                continue
            if skipped:
                log.warning("skipped %d bytes that were not a message (%s)", skipped, why)
                skipped, why = 0, ""
            dispatch(protocol, framer, item, on_error)
    if skipped:
        log.warning("skipped %d bytes that were not a message (%s)", skipped, why)


def _own_pipe(stdin: Any, stdout: Any) -> bool:
    """Stdin is a pipe of its own: safe to make non-blocking (a pty or socket shared with stdout
    is not: stdout's writes would start failing with EAGAIN)."""
    try:
        a, b = os.fstat(stdin.fileno()), os.fstat(stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(a.st_mode) and (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino)


def _read_in_thread(reader: Callable[[int], bytes], loop: asyncio.AbstractEventLoop) -> Callable[[], Awaitable[bytes]]:
    """Reads of a stdin the loop cannot watch (a tty, a file), in a daemon thread: one blocked in
    a read must not keep the process alive after exit (a pool thread would be joined)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4)  # the thread waits: no unbounded read-ahead

    def pump() -> None:
        while True:
            try:
                data = reader(READ_CHUNK)
            except (OSError, ValueError):
                data = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(data), loop).result()
            except (RuntimeError, concurrent.futures.CancelledError):  # the loop is gone
                return
            if not data:
                return

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    return queue.get


# After exit, how long the generation threads (cancelled, they stop at their next token) and a
# replaced backend's clean-up may take before the process ends without them.
EXIT_GRACE_S = 3.0


def exit_within(code: int, grace_s: float = EXIT_GRACE_S) -> None:
    """End the process with `code`; if a native call (a prompt's prefill, a model compile) still
    holds a thread after `grace_s`, end it anyway."""
    def force() -> None:
        log.warning("a worker thread is still busy %.0f s after exit; ending without it", grace_s)
        logging.shutdown()
        os._exit(code)

    timer = threading.Timer(grace_s, force)
    timer.daemon = True
    timer.start()
    sys.exit(code)


async def _serve(server: LanguageServer) -> None:
    stdin = sys.stdin.buffer
    loop = asyncio.get_running_loop()
    read: Callable[[], Awaitable[bytes]] | None = None
    if _own_pipe(stdin, sys.stdout.buffer):
        # Read by the event loop itself: a thread would cost a hop per read.
        stream = asyncio.StreamReader()
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
            read = lambda: stream.read(READ_CHUNK)  # noqa: E731
        except (OSError, ValueError) as exc:
            log.info("reading stdin through a thread (%s)", exc)
    if read is None:
        read = _read_in_thread(getattr(stdin, "read1", stdin.read), loop)
    await read_messages(read, server.protocol, server._stop_event, server._report_server_error)


def start_io(server: LanguageServer) -> int:
    """Serve stdio until `exit` or end of input; returns the exit status (LSP: 1 for an `exit`
    without `shutdown` first)."""
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    code = 0
    try:
        asyncio.run(_serve(server))
    except BrokenPipeError:
        log.error("the connection to the editor is lost; shutting down")
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        server.shutdown()
    return code
