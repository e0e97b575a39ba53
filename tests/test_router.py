"""Routing: the NPU (OpenVINO, real model) for everyday text, Ollama (the fake) for blocks, fallback."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from conftest import requires_model
from fake_ollama import FakeProcess
from ghostwright import config as configuration
from ghostwright.backends.base import GenerationRequest, Replace
from ghostwright.backends.ollama import OllamaBackend
from ghostwright.backends.openvino import OpenVinoBackend
from ghostwright.config import Config, OllamaConfig, RouterConfig
from ghostwright.backends.router import GPU, NPU, Route, Router, choose, is_weak, make_backend

LINE = GenerationRequest("", 16, 0.0, prefix="def add(a, b):\n    return ", suffix="\n")
BLOCK = GenerationRequest("", 12, 0.0, prefix="def fib(n):\n    ", suffix="\n", multiline=True)
INVOKED = GenerationRequest("", 16, 0.0, prefix="x = [1, 2, 3]\ntotal = ", suffix="\n", invoked=True)


# --- decisions (plain functions) ---

@pytest.mark.parametrize("policy, request_, npu_up, gpu_up, expected", [
    ("npu-first", LINE, True, True, Route(NPU, "everyday")),
    ("npu-first", BLOCK, True, True, Route(GPU, "multiline")),
    ("npu-first", INVOKED, True, True, Route(GPU, "invoked")),
    ("npu-first", BLOCK, True, False, Route(NPU, "multiline, GPU down: fallback")),
    ("npu-first", LINE, False, True, Route(GPU, "NPU down: fallback")),
    ("npu-first", LINE, False, False, Route(None, "no backend is up")),
    ("npu-only", BLOCK, True, True, Route(NPU, "npu-only")),
    ("npu-only", LINE, False, True, Route(None, "the NPU backend is down")),
    ("gpu-only", LINE, True, True, Route(GPU, "gpu-only")),
    ("gpu-only", LINE, True, False, Route(None, "the GPU backend is down")),
])
def test_each_request_is_routed_to_one_backend(policy, request_, npu_up, gpu_up, expected):
    assert choose(policy, request_, npu_up, gpu_up, RouterConfig()) == expected


def test_escalation_triggers_can_be_turned_off():
    cfg = RouterConfig(escalate_multiline=False, escalate_invoked=False)
    assert choose("npu-first", BLOCK, True, True, cfg) == Route(NPU, "everyday")
    assert choose("npu-first", INVOKED, True, True, cfg) == Route(NPU, "everyday")


def test_an_empty_or_improbable_answer_is_weak():
    cfg = RouterConfig(min_mean_logprob=-1.5)
    assert is_weak("  \n", None, cfg) == "empty"
    assert is_weak("a + b", -2.3, cfg) == "weak"
    assert is_weak("a + b", -0.2, cfg) is None
    assert is_weak("a + b", None, cfg) is None  # a backend that reports nothing is not judged
    assert is_weak("", None, RouterConfig(escalate_empty=False)) is None


def test_one_backend_unless_a_second_is_configured():
    assert isinstance(make_backend(Config()), OpenVinoBackend)
    cfg, _, problems = configuration.load({"ollama": {"model": "qwen2.5-coder:7b"}})
    assert not problems
    router = make_backend(cfg)
    assert isinstance(router, Router) and router.policy == "npu-first"
    assert router.slots[NPU].name == "openvino" and router.slots[GPU].name == "ollama"
    cfg.router.policy = "gpu-only"
    assert list(make_backend(cfg).slots) == [GPU]
    cfg.router.policy = "npu-only"
    assert list(make_backend(cfg).slots) == [NPU]


# --- the real NPU backend (OpenVINO on this machine's CPU) and the fake Ollama ---

pytestmark_model = [requires_model, pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def fake():
    server = FakeProcess().start()
    yield server
    server.kill()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def npu():
    backend = OpenVinoBackend(configuration.OpenVinoConfig())
    await backend.load(lambda _m: None)
    return backend


async def router_over(npu: OpenVinoBackend, fake: FakeProcess, **router_cfg) -> tuple[Router, list[str]]:
    told: list[str] = []
    gpu = OllamaBackend(OllamaConfig(model="qwen2.5-coder:7b", host=fake.url, connect_timeout_s=0.5))
    router = Router(RouterConfig(**{"retry_min_s": 0.2, **router_cfg}), "npu-first", npu, gpu)
    router.notify = told.append
    await gpu.load(lambda _m: None)
    router._mark_up(NPU)
    router._mark_up(GPU)
    router._describe_self()
    fake.reset()  # forget the warm-up load: the log then holds only completions
    return router, told


async def run(router: Router, request: GenerationRequest) -> tuple[list[str], str]:
    gen = router.start(request)
    deltas = [d async for d in gen]
    return deltas, gen.stats.backend


def final_text(deltas: list[str]) -> str:
    text = ""
    for d in deltas:
        text = str(d) if isinstance(d, Replace) else text + d
    return text


@pytest.mark.usefixtures("fake")
class TestWithBothBackends:
    pytestmark = pytestmark_model

    async def test_everyday_text_goes_to_the_npu_blocks_and_explicit_requests_to_ollama(self, npu, fake):
        fake.reset()
        router, told = await router_over(npu, fake)
        deltas, backend = await run(router, LINE)
        assert backend == "openvino" and final_text(deltas).startswith("a + b")
        assert fake.log() == []  # the GPU was left alone
        _deltas, backend = await run(router, BLOCK)
        assert backend == "ollama" and len(fake.log()) == 1
        _deltas, backend = await run(router, INVOKED)
        assert backend == "ollama" and len(fake.log()) == 2
        assert dict(router.routes) == {"npu:everyday": 1, "gpu:multiline": 1, "gpu:invoked": 1}
        assert told == []

    async def test_a_weak_npu_answer_is_asked_again_of_ollama_and_replaces_what_was_shown(self, npu, fake):
        fake.reset()
        # Every real answer has a mean log-probability below 0: all count as weak.
        router, _ = await router_over(npu, fake, min_mean_logprob=0.0)
        deltas, backend = await run(router, GenerationRequest("", 4, 0.0, prefix="import ", suffix="\n"))
        assert backend == "ollama"
        replace_at = next(i for i, d in enumerate(deltas) if isinstance(d, Replace))
        assert replace_at > 0  # the NPU's text streamed first, then was replaced
        assert final_text(deltas) == "".join(deltas[replace_at + 1:]) != ""
        assert dict(router.routes) == {"npu:everyday": 1, "gpu:weak": 1}

    async def test_cancelling_a_routed_request_closes_the_ollama_stream(self, npu, fake):
        fake.reset()
        fake.control(token_delay_s=0.05)
        try:
            router, _ = await router_over(npu, fake)
            gen = router.start(GenerationRequest("", 200, 0.0, prefix="def fib(n):\n    ", suffix="",
                                                 multiline=True))
            async for _d in gen:
                gen.cancel()
                break
            for _ in range(100):
                if "generated" in fake.log()[-1]:
                    break
                await asyncio.sleep(0.05)
            assert fake.log()[-1]["end"] == "disconnect" and fake.log()[-1]["generated"] < 30
        finally:
            fake.control(token_delay_s=0.0)

    async def test_ollama_dying_mid_answer_falls_back_with_one_message_and_comes_back(self, npu, fake):
        fake.reset()
        router, told = await router_over(npu, fake, retry_max_s=0.5)
        fake.control(once=[{"die_after_tokens": 2}])
        deltas, backend = await run(router, BLOCK)
        fake.wait_dead()
        assert backend == "openvino"
        replace_at = next(i for i, d in enumerate(deltas) if isinstance(d, Replace))
        assert 0 < replace_at < len(deltas) - 1  # Ollama's first tokens, then the NPU's answer
        assert len(told) == 1
        assert "connection to Ollama" in told[0] and "completions come from openvino" in told[0]
        _deltas, backend = await run(router, BLOCK)
        assert backend == "openvino" and len(told) == 1  # no message per keystroke
        fake.start()  # on the same port
        for _ in range(100):  # the next requests probe Ollama again, with backoff
            await asyncio.sleep(0.2)
            _deltas, backend = await run(router, BLOCK)
            if backend == "ollama":
                break
        assert backend == "ollama" and len(told) == 1
