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
def fake(embedded_model):  # the fake Ollama answers with the embedded model
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
        told = [m.message for m in s.client.messages if "Ollama" in m.message and "licence" not in m.message]
        assert len(told) == 1, told
        # Permissive licences are not announced in the editor; status carries each model's:
        # the local one's from its model info, Ollama's from /api/show.
        assert not [m.message for m in s.client.messages if "licence" in m.message]
        status = await s.status()
        local, [remote] = status["provenance"], status["remoteProvenance"]
        assert local["licence"]["name"] == "apache-2.0" and local["action"] == "allow", local
        assert remote["model"] == "qwen2.5-coder:7b (Ollama)" and remote["licence"]["kind"] == "permissive"
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


async def test_an_ollama_models_licence_is_classified_told_once_and_a_denied_one_never_loads(fake, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    llama = {"backend": "ollama", "completion": {"debounceMs": 0},
             "ollama": {"model": "codellama:7b-instruct", "host": fake.url, "connectTimeoutS": 0.5}}
    async with session(llama, env=env) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        told = [m for m in s.client.messages if "licence" in m.message]
        assert len(told) == 1 and told[0].type == lsp.MessageType.Warning
        assert "codellama:7b-instruct (Ollama)" in told[0].message and "Llama Community" in told[0].message
        assert "licence.restricted = warn" in told[0].message
        [vetting] = status["remoteProvenance"]
        assert vetting["licence"]["kind"] == "restricted" and vetting["action"] == "warn"

    fake.reset()
    async with session({**llama, "licence": {"restricted": "deny"}}, env=env) as s:
        status = await s.wait_ready()
        assert not status["backendReady"] and "licence.restricted = deny" in status["backendError"]
        s.open(URI, TEXT)
        assert not (await s.complete_async(URI, *BLOCK_AT)).items
    # Refused after /api/show and before the model was loaded into the GPU's memory.
    assert "/api/generate" not in [r["path"] for r in fake.log()]


def test_doctor_classifies_the_ollama_licence_and_applies_the_policy(fake, tmp_path):
    (tmp_path / "ghostwright").mkdir()
    config = tmp_path / "ghostwright" / "config.toml"

    def doctor(model: str, policy: str = "") -> str:
        config.write_text(f'[ollama]\nmodel = "{model}"\nhost = "{fake.url}"\n{policy}', encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "ghostwright", "doctor"], capture_output=True, text=True,
                              env={"XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=120).stdout

    out = doctor("qwen2.5-coder:7b")
    assert "  licence: apache-2.0 (permissive), from Ollama /api/show of qwen2.5-coder:7b" in out
    assert "licence.permissive = allow" in out
    out = doctor("codellama:7b-instruct", '[licence]\nrestricted = "deny"\n')
    assert "LLAMA 2 COMMUNITY LICENSE AGREEMENT (restricted: Llama Community License" in out
    assert "licence.restricted = deny" in out and "! the server will refuse to load this model" in out
    assert "verdict: not ready" in out
