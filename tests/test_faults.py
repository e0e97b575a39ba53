"""Faults never lose the server: a missing, damaged or too-big model is one clear message and empty answers."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from conftest import FAST, requires_model, session
from ghostwright.models import store as model_store
from rawlsp import RawServer

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))

EMBEDDED = model_store.default_model_path()
POOL = min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default size
THREAD_BOUND = 1 + 2 * POOL + 1  # main, two pools, the OpenVINO generation worker
CODE = "def add(a, b):\n    return "


async def _still_serving(s) -> None:
    """Documents are kept and completions answer (empty) while there is no model."""
    uri = "file:///tmp/fault.py"
    s.open(uri, CODE)
    assert not (await s.complete_async(uri, 1, 11)).items
    assert (await s.text_of(uri))["text"] == CODE


def _errors(s) -> list[str]:
    return [m.message for m in s.client.messages if m.type == lsp.MessageType.Error]


async def test_a_missing_model_is_one_message_and_the_server_keeps_serving(tmp_path):
    options = {**FAST, "openvino": {"model": str(tmp_path / "gone.gguf")}}
    async with session(options, env={"XDG_CONFIG_HOME": str(tmp_path)}) as s:
        status = await s.wait_ready()
        assert "does not exist" in status["backendError"]
        await _still_serving(s)
        assert len(_errors(s)) == 1 and "gone.gguf" in _errors(s)[0]


@requires_model
@pytest.mark.parametrize("cut", [3_000_000, 60_000_000])  # inside the header; inside the tensors
async def test_a_truncated_gguf_is_refused_before_it_can_crash_openvino(tmp_path, cut):
    damaged = tmp_path / "qwen2.5-coder-damaged.gguf"
    with (EMBEDDED / "model-q8_0.gguf").open("rb") as src:
        damaged.write_bytes(src.read(cut))
    options = {**FAST, "openvino": {"model": str(damaged)}}
    env = {"XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    async with session(options, env=env) as s:
        status = await s.wait_ready()
        assert "damaged GGUF" in status["backendError"], status["backendError"]
        await _still_serving(s)
        assert len(_errors(s)) == 1


@requires_model
async def test_a_corrupt_ir_is_one_message_and_a_good_model_can_then_be_loaded(tmp_path):
    folder = tmp_path / "qwen2.5-coder-0.5b-corrupt"
    folder.mkdir()
    for f in EMBEDDED.glob("openvino_*"):
        (folder / f.name).symlink_to(f)
    (folder / "openvino_model.bin").unlink()
    with (EMBEDDED / "openvino_model.bin").open("rb") as src:
        (folder / "openvino_model.bin").write_bytes(src.read(10_000_000))
    options = {**FAST, "openvino": {"model": str(folder)}}
    env = {"XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    async with session(options, env=env) as s:
        status = await s.wait_ready()
        assert "OpenVINO could not load" in status["backendError"]
        await _still_serving(s)
        assert len(_errors(s)) == 1
        # The user fixes the setting: the same server loads the good model and completes.
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
            settings={"openvino": {"model": str(EMBEDDED)}}))
        await asyncio.sleep(0.2)
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        assert (await s.complete_async("file:///tmp/fault.py", 1, 11)).items


@requires_model
async def test_a_load_that_cannot_fit_in_memory_is_refused_not_crashed():
    """Under `ulimit -v 1500M` OpenVINO segfaults while loading (measured); the guard refuses first."""
    limit = 1500 << 20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ghostwright", "serve", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=cap)
    server = RawServer(proc)
    try:
        await server.initialize(FAST)
        for _ in range(600):
            status = (await server.request("ghostwright/status", {}))["result"]
            if status["backendReady"] or status["backendError"]:
                break
            await asyncio.sleep(0.1)
        assert "not enough memory" in status["backendError"] and "ulimit -v" in status["backendError"]
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": "file:///m.py", "languageId": "python", "version": 1, "text": CODE}})
        reply = await server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": "file:///m.py"}, "position": {"line": 1, "character": 11},
            "context": {"triggerKind": 1}})
        assert reply["result"]["items"] == [] and server.alive
    finally:
        assert await server.close() == 0


@requires_model
async def test_a_burst_of_cancelled_and_superseded_requests_leaves_nothing_behind():
    """The short soak (the long one is `make bench-soak`): every request answered, nothing left running."""
    from soak import soak

    report = await soak(requests=60, warmup=15, seed=7, max_tokens=12)
    assert report["answered"] == report["sent"] >= 60
    assert report["stuck"] == 0
    assert report["cancelled"] > 0 and report["superseded"] > 0 and report["completed"] > 0
    end, warm = report["end"], report["warm"]
    assert end["inFlight"] == 0
    # Every didChange used to leave a Future in pygls' table for good: at most the status request's own.
    assert end["rpcFutures"] <= 1
    # Python threads are pools that grow lazily to a fixed size (pygls' reader pool, asyncio's
    # default executor, the one generation worker): more than that would be a leak.
    assert end["threads"] <= THREAD_BOUND
    assert end["tasks"] <= warm["tasks"]
    assert report["final_items"], "the model still answers after the burst"


async def _generation_workers(s) -> int:
    return sum(name.startswith("ov-generate") for name in (await s.status())["threadNames"])


@requires_model
async def test_a_reloaded_model_lets_go_of_the_old_ones_worker_thread():
    """A configuration change loads a new backend; the old one's worker (and with it the model
    it holds) must not stay behind for the rest of the session, reload after reload."""
    async with session(FAST) as s:
        assert (await s.wait_ready())["backendReady"]
        uri = "file:///tmp/reload.py"
        s.open(uri, CODE)
        assert (await s.complete_async(uri, 1, 11)).items  # the generation worker is running
        assert await _generation_workers(s) == 1
        for entries in (31, 30):  # a setting the pipeline is compiled with: each change reloads it
            s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
                settings={"openvino": {"kernelCacheEntries": entries}}))
            await asyncio.sleep(0.2)
            assert (await s.wait_ready())["backendReady"]
            assert (await s.complete_async(uri, 1, 11)).items
        for _ in range(100):  # the old worker ends once its last generation has wound down
            workers = await _generation_workers(s)
            if workers == 1:
                break
            await asyncio.sleep(0.1)
        assert workers == 1, f"{workers} generation workers after two reloads"
