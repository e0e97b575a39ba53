"""An editor can start the server, learn what it offers, and stop it cleanly."""

from __future__ import annotations

import asyncio
import sys

import pytest
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig

from conftest import FAST, requires_model, session


async def test_initialize_advertises_inline_completion_and_incremental_sync():
    async with session(FAST) as s:
        caps = s.result.capabilities
        assert caps.inline_completion_provider
        sync = caps.text_document_sync
        assert sync.change == lsp.TextDocumentSyncKind.Incremental
        assert sync.open_close
        assert caps.position_encoding == lsp.PositionEncodingKind.Utf16


@pytest.mark.parametrize("offered, chosen", [
    (["utf-8", "utf-16"], "utf-8"),
    (["utf-32", "utf-16"], "utf-32"),
    (["utf-16"], "utf-16"),
])
async def test_position_encoding_follows_the_clients_offer(offered, chosen):
    async with session(FAST, encodings=offered) as s:
        assert s.result.capabilities.position_encoding == chosen
        assert (await s.status())["positionEncoding"] == chosen


async def test_shutdown_and_exit_end_the_process_with_status_zero():
    client = await ClientServerConfig(server_command=[sys.executable, "-m", "ghostwright"]).start()
    await client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    await client.shutdown_session()
    assert client._server.returncode == 0
    await client.stop()


@requires_model
async def test_model_loading_reports_work_done_progress_and_initialize_does_not_wait():
    async with session(FAST) as s:
        # initialize has answered; the model is still loading or just loaded.
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        kinds = [v.kind for reports in s.client.progress_reports.values() for v in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        ended = [v for reports in s.client.progress_reports.values() for v in reports if v.kind == "end"]
        assert "qwen2.5-coder" in ended[-1].message


async def test_bad_configuration_values_are_named_and_the_server_goes_on(tmp_path):
    options = {"completion": {"maxTokens": "lots", "debounceMs": 0}, "openvino": {"device": "TPU"}, "colour": 1}
    async with session(options, env={"XDG_CONFIG_HOME": str(tmp_path)}) as s:
        status = await s.status()
        cfg = status["config"]
        assert cfg["completion"]["maxTokens"] == 64
        assert cfg["completion"]["debounceMs"] == 0
        assert cfg["openvino"]["device"] == "AUTO"
        for _ in range(300):  # the messages may have arrived already: poll, with a bound
            text = " ".join(m.message for m in s.client.messages)
            if "colour" in text:
                break
            await asyncio.sleep(0.1)
        assert "completion.maxTokens" in text and "openvino.device" in text and "'NPU'" in text
        assert "colour" in text


def test_a_session_read_from_a_file_is_served_as_from_a_pipe(tmp_path):
    # Editors give the server a pipe, read by the event loop itself; anything else (a file here,
    # a terminal, a socket shared with stdout) is read through a thread. Both must serve.
    import json
    import subprocess

    def frame(message: dict) -> bytes:
        body = json.dumps(message).encode()
        return f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    script = tmp_path / "session.lsp"
    script.write_bytes(b"".join(frame(m) for m in [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": None, "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "file:///a.py", "languageId": "python", "version": 1, "text": "x = 1\n"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "ghostwright/documentText",
         "params": {"textDocument": {"uri": "file:///a.py"}}},
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]))
    for stdin in (script.open("rb"), None):
        if stdin is None:  # the same bytes through a pipe
            run = subprocess.run([sys.executable, "-m", "ghostwright", "serve"], input=script.read_bytes(),
                                 capture_output=True, timeout=60)
        else:
            with stdin:
                run = subprocess.run([sys.executable, "-m", "ghostwright", "serve"], stdin=stdin,
                                     capture_output=True, timeout=60)
        out = run.stdout.decode()
        assert run.returncode == 0, run.stderr.decode()[-2000:]
        assert '"inlineCompletionProvider"' in out
        assert '"text": "x = 1\\n"' in out or '"text":"x = 1\\n"' in out


async def test_an_empty_section_resets_to_the_base_and_unknown_keys_are_one_message(tmp_path):
    async with session({"completion": {"debounceMs": 0}}, env={"XDG_CONFIG_HOME": str(tmp_path)}) as s:
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
            settings={"ghostwright": {"completion": {"maxTokens": 17}}}))
        assert (await s.status())["config"]["completion"]["maxTokens"] == 17
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"ghostwright": {}}))
        cfg = (await s.status())["config"]
        assert cfg["completion"]["maxTokens"] == 64  # the default again
        assert cfg["completion"]["debounceMs"] == 0  # initializationOptions still hold
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
            settings={"ghostwright": {f"k{i}": i for i in range(2000)}}))
        await s.status()
        await asyncio.sleep(0.5)
        about = [m.message for m in s.client.messages if "unknown key" in m.message]
        assert len(about) == 1 and "2000 unknown keys" in about[0], about[:3]
