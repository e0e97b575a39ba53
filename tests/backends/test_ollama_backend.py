"""The Ollama and OpenAI-style backends against the fake server (real model tokens, Ollama's protocol)."""

from __future__ import annotations

import asyncio

import pytest

from conftest import requires_model
from fake_ollama import FakeProcess
from ghostwright.backends.base import BackendError, GenerationRequest, Hooks
from ghostwright.backends.ollama import DEFAULT_HOST, OllamaBackend, resolve_host, vram_verdict
from ghostwright.backends.openai import OpenAIBackend
from ghostwright.config import OllamaConfig, OpenAIConfig

pytestmark = requires_model

PREFIX = "def add(a, b):\n    return "
SUFFIX = "\n\nprint(add(1, 2))\n"


def request(max_tokens: int = 24, temperature: float = 0.0, **kw) -> GenerationRequest:
    return GenerationRequest("", max_tokens, temperature, prefix=kw.pop("prefix", PREFIX),
                             suffix=kw.pop("suffix", SUFFIX), **kw)


@pytest.fixture(scope="module")
def fake(embedded_model):  # the fake Ollama answers with the embedded model
    server = FakeProcess().start()
    yield server
    server.kill()


@pytest.fixture
def fresh(fake):
    fake.reset()
    fake.control(token_delay_s=0.0, size=None, size_vram=None, require_key="")
    return fake


async def loaded(fake: FakeProcess, model: str = "qwen2.5-coder:7b", **cfg) -> tuple[OllamaBackend, list[str]]:
    told: list[str] = []
    backend = OllamaBackend(OllamaConfig(model=model, host=fake.url, **cfg), hooks=Hooks(notify=told.append))
    await backend.load(lambda _m: None)
    return backend, told


async def drain(gen) -> str:
    return "".join([d async for d in gen])


async def wait_for_end(fake: FakeProcess, timeout: float = 10) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        last = fake.log()[-1]
        if "generated" in last:  # the fake's generation has returned
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(last)
        await asyncio.sleep(0.05)


def test_host_comes_from_config_then_OLLAMA_HOST_then_the_default(monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_host("") == DEFAULT_HOST == "http://127.0.0.1:11434"
    monkeypatch.setenv("OLLAMA_HOST", "10.0.0.5:11434")
    assert resolve_host("") == "http://10.0.0.5:11434"
    assert resolve_host("http://gpu-box:11434") == "http://gpu-box:11434"


async def test_a_model_with_insert_gets_fill_in_the_middle_through_suffix(fresh):
    backend, told = await loaded(fresh)
    assert backend.mode == "suffix" and "insert" in backend.capabilities
    assert backend.licence_text.startswith("Apache License")
    text = await drain(backend.start(request()))
    assert text.startswith("a + b")  # the real model filled the hole
    sent = fresh.log()[-1]
    assert sent["suffix"] == SUFFIX and sent["prompt"] == PREFIX and not sent["raw"]
    assert sent["end"] == "stop"
    assert told == []


async def test_a_model_without_insert_gets_raw_with_our_own_template(fresh):
    backend, _ = await loaded(fresh, "codellama:7b-instruct")
    assert backend.mode == "raw" and backend.template.name == "codellama"
    await drain(backend.start(request(max_tokens=4)))
    sent = fresh.log()[-1]
    assert sent["raw"] and not sent["suffix"]
    assert sent["prompt"] == f"<PRE> {PREFIX} <SUF>{SUFFIX} <MID>"


async def test_a_400_does_not_support_insert_switches_to_raw_and_still_answers(fresh):
    backend, _ = await loaded(fresh, "codellama:7b-instruct", fim="suffix")
    assert backend.mode == "suffix"
    text = await drain(backend.start(request(max_tokens=4)))
    assert text
    refused, retried = fresh.log()[-2:]
    assert refused["suffix"] == SUFFIX and refused["end"] == "400"
    assert retried["raw"] and backend.mode == "raw"


async def test_load_and_every_request_send_the_same_load_options(fresh):
    backend, _ = await loaded(fresh, num_batch=256)
    before = fresh.reloads()
    for tokens, temperature in ((8, 0.0), (16, 0.2), (4, 0.1)):
        await drain(backend.start(request(max_tokens=tokens, temperature=temperature)))
    sent = [r for r in fresh.log() if r["path"] == "/api/generate"]
    assert len(sent) == 4  # the warm-up load, then three completions
    for r in sent:
        assert {k: r["options"].get(k) for k in ("num_ctx", "num_batch", "num_gpu")} == \
            {"num_ctx": 1536, "num_batch": 256, "num_gpu": None}
        assert r["keep_alive"] == "30m"
    assert [r["options"]["num_predict"] for r in sent[1:]] == [8, 16, 4]
    assert fresh.reloads() == before


async def test_cancel_closes_the_stream_and_the_server_stops_generating(fresh):
    fresh.control(token_delay_s=0.05)
    backend, _ = await loaded(fresh)
    gen = backend.start(request(max_tokens=200, suffix=""))
    async for _delta in gen:
        gen.cancel()
        break
    end = await wait_for_end(fresh)
    assert end["end"] == "disconnect"
    assert end["generated"] < 30, end  # far fewer than the 200 asked for
    assert end.get("tokens_after_disconnect", 0) == 0


async def test_a_cancel_during_a_slow_prefill_is_noticed_at_the_first_token(fresh):
    fresh.control(once=[{"prefill_delay_s": 1.0}])
    backend, _ = await loaded(fresh)
    gen = backend.start(request(max_tokens=200, suffix=""))
    await asyncio.sleep(0.3)
    gen.cancel()
    assert await drain(gen) == ""
    end = await wait_for_end(fresh)
    assert end["end"] == "disconnect" and end["tokens"] == 1 and end["generated"] < 10


async def test_an_error_object_mid_stream_becomes_one_clear_backend_error(fresh):
    fresh.control(once=[{"error_after_tokens": 2}])
    backend, _ = await loaded(fresh)
    got = []
    with pytest.raises(BackendError, match="Ollama reported an error mid-answer: an error was encountered"):
        async for delta in backend.start(request(max_tokens=40, suffix="")):
            got.append(delta)
    assert len(got) == 2


async def test_unreachable_ollama_and_missing_model_name_their_fix(fresh):
    with pytest.raises(BackendError, match=r"not reachable at http://127\.0\.0\.1:9: start it \(`ollama serve`\)"):
        await OllamaBackend(OllamaConfig(model="qwen2.5-coder:7b", host="127.0.0.1:9")).load(lambda _m: None)
    with pytest.raises(BackendError, match=r"ollama pull nosuch:1b"):
        await loaded(fresh, "nosuch:1b")


def test_vram_verdicts_name_the_fix():
    assert vram_verdict("m", 4_900_000_000, 4_900_000_000, 7.4, 1536).ok
    spilled = vram_verdict("m", 6_000_000_000, 4_500_000_000, 7.4, 1536)
    assert not spilled.ok and "spilled 25% to the CPU" in spilled.message
    over = vram_verdict("m", 8_200_000_000, 8_200_000_000, 7.4, 4096)
    assert not over.ok and "over the VRAM budget of 7.4 GB" in over.message
    for v in (spilled, over):
        assert "Q4_K_M" in v.message and "numCtx" in v.message


async def test_after_loading_the_vram_guard_reads_api_ps_and_warns_once(fresh):
    fresh.control(size=6_000_000_000, size_vram=3_000_000_000)
    backend, told = await loaded(fresh)
    assert len(told) == 1 and "spilled 50% to the CPU" in told[0]
    assert backend.describe()["vramOk"] is False
    fresh.control(size=9_000_000_000, size_vram=9_000_000_000)
    backend, told = await loaded(fresh, vram_budget_gb=7.4)
    assert len(told) == 1 and "over the VRAM budget" in told[0]
    fresh.control(size=None, size_vram=None)
    backend, told = await loaded(fresh)
    assert told == [] and backend.vram.ok


# --- the OpenAI-style API (here served by the same fake, as Ollama serves /v1 too) ---

async def test_openai_completions_stream_real_text_over_sse_with_the_key_from_the_named_variable(fresh, monkeypatch):
    fresh.control(require_key="s3cret")
    monkeypatch.setenv("TEAM_LLM_KEY", "s3cret")
    backend = OpenAIBackend(OpenAIConfig(base_url=fresh.url + "/v1", model="qwen2.5-coder:7b",
                                         api_key_env="TEAM_LLM_KEY"))
    await backend.load(lambda _m: None)
    text = await drain(backend.start(request()))
    assert text.startswith("a + b")
    sent = fresh.log()[-1]
    assert sent["auth"] == "Bearer s3cret" and sent["end"] in ("stop", "length")
    assert sent["prompt"] == f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>"


async def test_openai_without_the_key_fails_once_naming_the_setting(fresh, monkeypatch):
    fresh.control(require_key="s3cret")
    monkeypatch.delenv("TEAM_LLM_KEY", raising=False)
    told: list[str] = []
    backend = OpenAIBackend(OpenAIConfig(base_url=fresh.url + "/v1", model="qwen2.5-coder:7b",
                                         api_key_env="TEAM_LLM_KEY"), hooks=Hooks(notify=told.append))
    with pytest.raises(BackendError, match=r"HTTP 401: invalid api key \(check openai.apiKeyEnv"):
        await backend.load(lambda _m: None)
    assert len(told) == 1 and "$TEAM_LLM_KEY" in told[0]


async def test_openai_cancel_closes_the_sse_stream(fresh):
    fresh.control(token_delay_s=0.05)
    backend = OpenAIBackend(OpenAIConfig(base_url=fresh.url + "/v1", model="qwen2.5-coder:7b"))
    await backend.load(lambda _m: None)
    gen = backend.start(request(max_tokens=200, suffix=""))
    async for _delta in gen:
        gen.cancel()
        break
    end = await wait_for_end(fresh)
    assert end["path"] == "/v1/completions" and end["end"] == "disconnect" and end["generated"] < 30
