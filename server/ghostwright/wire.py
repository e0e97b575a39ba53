"""Messages the server cannot use: answered with a JSON-RPC error or dropped with one log line.

pygls drops a request whose params do not validate without answering it (the editor would
wait forever), drops a message with invalid UTF-8 whole (so every later incremental edit lands
on the wrong text), and pops up "Error in server" for each. Here a request always gets an
answer, invalid UTF-8 is replaced by U+FFFD (the edit still lands), and the rest is logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
import threading
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

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
    # The documents are ours (documents.DocumentStore). pygls' own copy is skipped: besides the
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
        # keystroke) left one Future behind for good, ~12 Python blocks each (docs/robustness.md).
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda f: self._forget(msg_id, f))

    def _forget(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            return Unreadable(data, exc)

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, Unreadable):
            super().handle_message(message)
            return
        if message.is_request:
            log.warning("answered %s (id %r) with InvalidParams: %s", message.method, message.id, message.reason)
            error = JsonRpcInvalidParams(message=f"invalid params for {message.method}: {message.reason}")
            self._send_response(message.id, None, error.to_response_error())
        else:
            log.warning("ignored %s: its params do not validate: %s", message.method, message.reason)


class RepairingReader:
    """Stdin for the pygls loop, with each body made valid UTF-8 (bad bytes become U+FFFD)."""

    def __init__(self, inner: StdinAsyncReader) -> None:
        self._inner = inner

    def readline(self):
        return self._inner.readline()

    async def readexactly(self, n: int) -> bytes:
        body = await self._inner.readexactly(n)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            log.warning("a message held invalid UTF-8 (%s); read it with U+FFFD in place of the bad bytes",
                        exc.reason)
            return body.decode("utf-8", "replace").encode("utf-8")
        return body


class PipeReader:
    """Stdin read by the event loop itself when it is a pipe: pygls' reader hands each header line
    and each body to a thread and back (three hops a message, about a millisecond when the
    machine is busy); this one wakes the loop once a message."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    def readline(self):
        return self._stream.readline()

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # the editor went away mid-message: what came is all there is


def _own_pipe(stdin: Any, stdout: Any) -> bool:
    """Stdin is a pipe of its own: safe to make non-blocking (a pty or socket shared with stdout
    is not: stdout's writes would start failing with EAGAIN)."""
    try:
        a, b = os.fstat(stdin.fileno()), os.fstat(stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(a.st_mode) and (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino)


async def _serve(server: LanguageServer) -> None:
    stdin = sys.stdin.buffer
    inner: Any = None
    if _own_pipe(stdin, sys.stdout.buffer):
        stream = asyncio.StreamReader(limit=1 << 20)  # the limit bounds a header line, not a body
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
            inner = PipeReader(stream)
        except (OSError, ValueError) as exc:
            log.info("reading stdin through a thread (%s)", exc)
    if inner is None:
        inner = StdinAsyncReader(stdin, server.thread_pool)
    await run_async(stop_event=server._stop_event, reader=RepairingReader(inner), protocol=server.protocol,
                    logger=log, error_handler=server._report_server_error)


def start_io(server: LanguageServer) -> None:
    """pygls' stdio loop, with the repairing reader."""
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(_serve(server))
    except BrokenPipeError:
        log.error("the connection to the editor is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
