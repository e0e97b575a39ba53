"""The server's life per the LSP: shutdown, exit and its status, and no server outliving its editor."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import requires_model
from rawlsp import RawServer


def _gone(pid: int) -> bool:
    """Ended (a zombie nobody reaped yet counts as ended)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


async def _started(options: dict | None = None, **kwargs) -> RawServer:
    server = await RawServer.start(log_level="INFO", **kwargs)
    await server.initialize(options or {"completion": {"debounceMs": 0}})
    return server


async def test_requests_after_shutdown_are_answered_with_invalid_request_and_exit_is_zero():
    server = await _started()
    assert "result" in await server.request("shutdown", None)
    for method in ("ghostwright/status", "textDocument/inlineCompletion"):
        reply = await server.request(method, {}, timeout=10)
        assert reply["error"]["code"] == -32600, reply  # InvalidRequest
    server.notify("exit", None)
    assert await asyncio.wait_for(server.proc.wait(), 15) == 0
    await server.close()


async def test_exit_without_shutdown_ends_the_process_with_status_one():
    server = await _started()
    assert "result" in await server.request("ghostwright/status", {})
    server.notify("exit", None)
    assert await asyncio.wait_for(server.proc.wait(), 15) == 1
    await server.close()


@requires_model
async def test_exit_during_a_long_generation_ends_the_process_at_once():
    import pygls

    # A full 8,192-token window of real code: its prefill alone takes tens of seconds here, and no
    # streamer callback can stop it; after it, the generation runs on for up to 1,024 tokens.
    server = await _started({"completion": {"debounceMs": 0, "maxTokens": 1024},
                             "context": {"maxPrefixTokens": 8192}})
    while not (await server.request("ghostwright/status", {}))["result"]["backendReady"]:
        await asyncio.sleep(0.2)
    source = (Path(pygls.__file__).parent / "protocol" / "json_rpc.py").read_text(encoding="utf-8")
    text = source + "\n\ndef helper():\n    "
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": "file:///t/json_rpc.py", "languageId": "python", "version": 1, "text": text}})
    server.send("textDocument/inlineCompletion", {"textDocument": {"uri": "file:///t/json_rpc.py"},
                                                  "position": {"line": text.count("\n"), "character": 4},
                                                  "context": {"triggerKind": 1}})
    await asyncio.sleep(2)  # the model is at work on it
    asked = time.monotonic()
    server.notify("exit", None)
    code = await asyncio.wait_for(server.proc.wait(), 120)
    took = time.monotonic() - asked
    await server.close()
    assert took < 10, f"the server lingered {took:.1f} s after exit"
    assert code == 1  # no crash on the way out either (it aborted, -6, while the model still ran)


# The editor: starts the server with a pipe whose write end a shell it started also holds,
# says initialize with its own pid, and dies.
EDITOR = textwrap.dedent("""
    import json, os, subprocess, sys, time
    r, w = os.pipe()
    server = subprocess.Popen([sys.executable, "-m", "ghostwright", "serve"], stdin=r,
                              stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "wb"))
    shell = subprocess.Popen(["sleep", "300"], pass_fds=(w,))
    def send(message):
        body = json.dumps(message).encode()
        os.write(w, b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body)
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "rootUri": None, "capabilities": {},
        "initializationOptions": {"completion": {"debounceMs": 0}}}})
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    print(server.pid, shell.pid, flush=True)
    time.sleep(300)
""")


def test_the_server_exits_when_its_editor_dies_while_another_process_holds_its_stdin(tmp_path):
    log = tmp_path / "server.log"
    editor = subprocess.Popen([sys.executable, "-c", EDITOR, str(log)], stdout=subprocess.PIPE)
    server_pid, shell_pid = map(int, editor.stdout.readline().split())
    try:
        time.sleep(2)  # the server reads initialize and starts watching
        assert not _gone(server_pid), log.read_text()
        editor.kill()
        editor.wait()
        deadline = time.monotonic() + 20
        while not _gone(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _gone(server_pid), "the server outlived its editor:\n" + log.read_text()[-2000:]
        assert "is gone; exiting" in log.read_text()
    finally:
        for pid in (server_pid, shell_pid):
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)


async def test_a_process_id_that_is_no_process_here_is_not_watched():
    server = await RawServer.start(log_level="INFO")
    await server.request("initialize", {"processId": 2**22 + 12345, "rootUri": None, "capabilities": {}})
    server.notify("initialized", {})
    await asyncio.sleep(1)
    assert "result" in await server.request("ghostwright/status", {})
    assert server.alive
    assert await server.close() == 0


async def test_without_a_pidfd_the_editor_is_polled(monkeypatch):
    from ghostwright.lsp import editor_watch

    def no_pidfd(_pid):
        raise OSError("no pidfd here")

    monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    editor = subprocess.Popen(["sleep", "60"])
    gone = asyncio.Event()
    task = editor_watch.watch(editor.pid, gone.set, poll_s=0.05)
    assert task is not None
    await asyncio.sleep(0.2)
    assert not gone.is_set()
    editor.kill()
    editor.wait()  # reaped: kill(pid, 0) now fails
    await asyncio.wait_for(gone.wait(), 5)
