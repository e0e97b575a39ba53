"""Every backend × router policy × configured escalation: a valid configuration serves, one that
cannot is named once with the keys to set, and nothing answers with an internal error or an empty
message. Ollama (and its /v1 OpenAI-style API) is the fake; the OpenVINO model is the real one."""

from __future__ import annotations

import itertools
import re

import pytest

from conftest import requires_model, session
from test_router import fake, npu as openvino  # noqa: F401 (fixtures: the fake Ollama, the model loaded once)
from ghostwright.backends import router
from ghostwright.backends.base import BackendError
from ghostwright.config import Config, RouterConfig
from ghostwright.engine.engine import Engine

BACKENDS = ("openvino", "ollama", "openai")
POLICIES = RouterConfig.__dataclass_fields__["policy"].metadata["choices"]
COMBINATIONS = list(itertools.product(BACKENDS, POLICIES, (False, True), (False, True)))
# A message that names what to set: a configuration key as the editor writes it.
NAMES_A_KEY = re.compile(r"\b(backend|router\.policy|ollama\.model|openai\.baseUrl|openai\.model)\b")
TEXT = "def add(a, b):\n    return "


def should_serve(backend: str, policy: str, ollama: bool, openai: bool) -> bool:
    """The contract, written from the docs (docs/backends.md), not from router.py."""
    configured = {"openvino": True, "ollama": ollama, "openai": openai}
    if policy == "npu-only":
        return configured[backend]
    if policy == "gpu-only":  # the GPU is reached through Ollama or an OpenAI-style server only
        return ollama or openai
    escalation = (ollama and backend != "ollama") or (openai and backend != "openai")
    return configured[backend] or escalation


def configuration(fake_url: str, backend: str, policy: str, ollama: bool, openai: bool) -> Config:
    cfg = Config(backend=backend)
    cfg.router.policy = policy
    cfg.completion.max_tokens = 8
    if ollama:
        cfg.ollama.model, cfg.ollama.host, cfg.ollama.connect_timeout_s = "qwen2.5-coder:7b", fake_url, 0.5
    if openai:
        cfg.openai.base_url, cfg.openai.model = f"{fake_url}/v1", "qwen2.5-coder:7b"
    return cfg


@pytest.mark.parametrize("backend, policy, ollama, openai", COMBINATIONS)
def test_the_plan_fills_a_slot_or_names_the_keys_to_set(backend, policy, ollama, openai):
    cfg = configuration("http://127.0.0.1:9", backend, policy, ollama, openai)
    try:
        p = router.plan(cfg)
    except BackendError as exc:
        assert policy == "gpu-only" and not should_serve(backend, policy, ollama, openai)
        assert "router.policy" in str(exc) and "ollama.model" in str(exc)
        return
    assert p.npu or p.gpu
    if policy == "gpu-only":
        assert p.npu is None and p.gpu != "openvino"  # never the in-process model on the GPU


# --- end to end: make the backend, load it, ask for one completion ---

@requires_model
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("backend, policy, ollama, openai", COMBINATIONS)
async def test_a_valid_configuration_serves_and_one_that_cannot_is_named_once(
        backend, policy, ollama, openai, fake, openvino, monkeypatch):
    built = []
    real_build = router.build

    def build(name: str, cfg: Config):
        made = openvino if name == "openvino" else real_build(name, cfg)
        built.append(made)
        return made

    async def loaded(_report) -> None:  # already loaded above
        pass

    monkeypatch.setattr(router, "build", build)
    monkeypatch.setattr(openvino, "load", loaded)
    cfg = configuration(fake.url, backend, policy, ollama, openai)
    cfg.completion.debounce_ms = 0
    told: list[tuple[str, str]] = []  # (message, level), as the editor would be told
    engine = Engine(cfg, tell=lambda message, level: told.append((message, level)), build=router.make_backend)
    try:
        engine.start()
        engine.open("file:///tmp/policies.py", TEXT, 1, "python")
        answer = await engine.complete("file:///tmp/policies.py", 1, 11)
    finally:
        for b in built:
            if b is not openvino:
                await b.close()
    errors = [message for message, level in told if level == "error"]
    failure = errors[0] if errors else ""
    if should_serve(backend, policy, ollama, openai):
        assert not failure, failure
        assert answer.text.strip(), f"no completion from {answer.stats}"
    else:
        assert len(errors) == 1 and failure.strip() and NAMES_A_KEY.search(failure), told
        assert failure not in [m for m, level in told if level != "error"]  # said once: by the error shown


async def test_ollama_alone_on_the_gpu_serves_in_the_editor(fake):
    """The reported configuration: backend = "ollama", router.policy = "gpu-only"."""
    options = {"backend": "ollama", "router": {"policy": "gpu-only"},
               "completion": {"debounceMs": 0, "maxTokens": 12},
               "ollama": {"model": "qwen2.5-coder:7b", "host": fake.url}}
    async with session(options) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        s.open("file:///tmp/gpu_only.py", TEXT)
        answer = await s.complete_async("file:///tmp/gpu_only.py", 1, 11)
        assert answer.items and answer.items[0].insert_text.strip()
        assert not [m.message for m in s.client.messages if m.type == 1], s.client.messages


async def test_a_configuration_that_cannot_serve_is_named_once_and_requests_answer_empty():
    async with session({"router": {"policy": "gpu-only"}, "completion": {"debounceMs": 0}}) as s:
        status = await s.wait_ready()
        assert not status["backendReady"] and "router.policy" in status["backendError"]
        s.open("file:///tmp/nothing.py", TEXT)
        for _ in range(2):
            answer = await s.complete_async("file:///tmp/nothing.py", 1, 11)
            assert not answer.items
        errors = [m.message for m in s.client.messages if m.type == 1]
        assert len(errors) == 1, errors
        assert "router.policy" in errors[0] and "ollama.model" in errors[0]
        assert all(m.message.removeprefix("ghostwright:").strip() for m in s.client.messages)


def test_no_message_to_the_editor_is_ever_a_bare_prefix():
    from ghostwright.lsp.server import GhostwrightServer

    server = GhostwrightServer()
    shown: list = []
    server.window_show_message = shown.append
    server.tell("")
    server.tell("  \n")
    assert len(shown) == 2
    assert all(p.message.removeprefix("ghostwright:").strip() for p in shown), shown


async def test_a_router_whose_backends_fail_without_a_word_still_says_which():
    class Silent(router.Backend):
        name = "silent"

        async def load(self, report) -> None:
            raise BackendError("")

        def start(self, request):
            raise AssertionError("never started")

    with pytest.raises(BackendError, match="silent failed to load"):
        await router.Router(RouterConfig(), "npu-first", Silent(), None).load(lambda _m: None)
    with pytest.raises(BackendError, match="no backend is configured"):
        await router.Router(RouterConfig(), "gpu-only", None, None).load(lambda _m: None)
