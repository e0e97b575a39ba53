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
