"""With both backends configured, as the editor sees it: lines from OpenVINO, blocks from Ollama,
and when Ollama goes away one clear message while completions keep coming."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lsprotocol import types as lsp

from conftest import requires_model, session
from fake_ollama import FakeProcess

pytestmark = requires_model

URI = "file:///work/demo.py"
TEXT = "def add(a, b):\n    total = a + \n    return total\n\n\ndef fib(n):\n    \n"
LINE_AT, BLOCK_AT = (1, 16), (6, 4)


@pytest.fixture
def fake():
    server = FakeProcess().start()
    yield server
    server.kill()


def options(fake: FakeProcess) -> dict:
    # No prompt cache: every request here must reach a backend (the cache has its own tests).
    return {"completion": {"debounceMs": 0, "maxTokens": 24, "cacheEntries": 0},
            "ollama": {"model": "qwen2.5-coder:7b", "host": fake.url, "connectTimeoutS": 0.5},
            "router": {"retryMinS": 60}}


def routes(status: dict) -> dict:
    return {r["route"]: r["requests"] for r in status["backends"][0]["routes"]}


async def test_lines_go_to_openvino_blocks_to_ollama_and_a_dead_ollama_gives_one_message(fake, tmp_path):
    async with session(options(fake), env={"XDG_CONFIG_HOME": str(tmp_path)}) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        ollama = status["backends"][0]["backends"][1]
        assert ollama["backend"] == "ollama" and ollama["fim"] == "suffix" and ollama["vramOk"] is True
        s.open(URI, TEXT)

        line = await s.complete_async(URI, *LINE_AT, invoked=False)
        assert line.items and line.items[0].insert_text.strip()
        block = await s.complete_async(URI, *BLOCK_AT, invoked=False)
        assert block.items and block.items[0].insert_text.strip()
        assert routes(await s.status()) == {"npu:everyday": 1, "gpu:multiline": 1}
        assert [r["path"] for r in fake.log()] == ["/api/generate"] * 2  # the warm-up load and the block

        fake.kill()  # Ollama stops while the editor is in use
        for n in range(3):
            # A fresh document each time: the same one would be answered from its last generation.
            uri = URI.replace("demo", f"demo{n}")
            s.open(uri, TEXT)
            block = await s.complete_async(uri, *BLOCK_AT, invoked=False)
            assert block.items and block.items[0].insert_text.strip()  # from OpenVINO now
        told = [m.message for m in s.client.messages if "Ollama" in m.message]
        assert len(told) == 1, told
        assert "not reachable" in told[0] and "completions come from openvino" in told[0]
        assert routes(await s.status())["npu:multiline, GPU down: fallback"] == 2


def test_doctor_shows_both_backends_the_model_and_the_vram_verdict(fake, tmp_path):
    (tmp_path / "ghostwright").mkdir()
    (tmp_path / "ghostwright" / "config.toml").write_text(
        f'[ollama]\nmodel = "qwen2.5-coder:7b"\nhost = "{fake.url}"\n', encoding="utf-8")
    fake.control(size=6_000_000_000, size_vram=4_000_000_000)
    out = subprocess.run([sys.executable, "-m", "ghostwright", "doctor"], capture_output=True, text=True,
                         env={"XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=120).stdout
    assert "device: CPU" in out and "qwen2.5-coder-0.5b" in out  # the OpenVINO side
    assert "router: policy npu-first, escalating to ollama" in out
    assert f"ollama: {fake.url}" in out and "model: qwen2.5-coder:7b (suffix fill-in-the-middle" in out
    assert "! VRAM: qwen2.5-coder:7b spilled 33% to the CPU" in out and "Q4_K_M" in out
