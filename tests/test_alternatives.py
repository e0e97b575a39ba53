"""ghostwright/alternativeCompletion: a second candidate at the user's request (M-n), with the real
model (OpenVINO in process; Ollama and an OpenAI-style server through the fake)."""

from __future__ import annotations

import ast
import asyncio

import pytest
from lsprotocol import types as lsp

from conftest import plain, requires_model, session
from fake_ollama import FakeProcess
from ghostwright.engine import alternatives
from ghostwright.config import Config

ALTERNATIVE = "ghostwright/alternativeCompletion"
# Places with more than one sensible answer (a greeting's wording, what to print).
CASES = {
    "assignment": ("def greet(name):\n    message = \n    return message\n", "    message = "),
    "call": ("def describe(user):\n    print(\n", "    print("),
}


def where(case: str) -> tuple[str, int, int, int]:
    text, marker = CASES[case]
    offset = text.index(marker) + len(marker)
    line = text.count("\n", 0, offset)
    return text, offset, line, offset - (text.rfind("\n", 0, offset) + 1)


def parses(text: str, offset: int, insert: str) -> bool:
    try:
        ast.parse(text[:offset] + insert + text[offset:])
        return True
    except SyntaxError:
        return False


async def ask(s, uri: str, line: int, character: int, exclude: list[str], msg_id=None) -> list[dict]:
    params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
              "exclude": exclude}
    answer = plain(await s.client.protocol.send_request_async(ALTERNATIVE, params, msg_id=msg_id))
    return answer["items"]


# --- plain functions ---

def test_params_of_the_wrong_shape_are_refused():
    good = {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 1, "character": 2}, "exclude": ["x"]}
    assert alternatives.read_params(good) == alternatives.Ask("file:///a.py", 1, 2, ("x",))
    assert alternatives.read_params({**good, "exclude": None}).exclude == ()
    for bad in ({}, {**good, "position": {"line": -1, "character": 0}}, {**good, "exclude": [1]},
                {**good, "position": {"line": True, "character": 0}}, {**good, "textDocument": "a"}, None):
        assert alternatives.read_params(bad) is None, bad


def test_a_candidate_counts_as_new_only_when_it_differs_from_every_shown_one():
    assert alternatives.differs("b + a", ("a + b",))
    assert not alternatives.differs("a + b  \n", ("a + b",))  # trailing white space is no difference
    assert not alternatives.differs("  \n", ())
    assert not alternatives.differs("y", ("x", "y"))


def test_attempts_sample_more_freely_and_never_reuse_a_seed():
    cfg = Config()
    first = [alternatives.sampling(cfg, a, 1) for a in range(alternatives.ATTEMPTS)]
    third = [alternatives.sampling(cfg, a, 2) for a in range(alternatives.ATTEMPTS)]
    temperatures = [t for t, _ in first]
    assert temperatures == sorted(temperatures) and temperatures[0] > 0
    assert max(temperatures) <= alternatives.MAX_TEMPERATURE
    assert not {s for _, s in first} & {s for _, s in third}


# --- end to end, the embedded model (OpenVINO) ---

@requires_model
@pytest.mark.parametrize("case", sorted(CASES))
async def test_an_alternative_differs_from_every_shown_candidate_and_leaves_the_normal_flow_alone(case):
    text, offset, line, character = where(case)
    uri = f"file:///tmp/ghostwright-test/alt_{case}.py"
    async with session({"completion": {"debounceMs": 0, "maxTokens": 32}}) as s:
        await s.wait_ready()
        s.open(uri, text)
        first = (await s.complete_async(uri, line, character)).items[0].insert_text
        assert first.strip()
        before = (await s.status())["backends"][0]

        [item] = await ask(s, uri, line, character, [first])
        second = item["insertText"]
        assert second.rstrip() != first.rstrip() and parses(text, offset, second), second
        assert item["range"]["start"] == item["range"]["end"] == {"line": line, "character": character}
        third = await ask(s, uri, line, character, [first, second])
        for item in third:  # none found is a valid answer; one found must be new and sensible
            assert item["insertText"].rstrip() not in (first.rstrip(), second.rstrip())
            assert parses(text, offset, item["insertText"]), item

        after = (await s.status())["backends"][0]
        # Bounded: a few generations per request, each within completion.maxTokens.
        generations = after["requests"] - before["requests"]
        assert 2 <= generations <= 2 * alternatives.ATTEMPTS
        assert after["tokensGenerated"] - before["tokensGenerated"] <= generations * 32
        # The normal flow still has its own answer: the same request gets the first text again
        # without asking the model.
        again = (await s.complete_async(uri, line, character)).items[0].insert_text
        assert again == first
        assert (await s.status())["backends"][0]["requests"] == after["requests"]


@requires_model
async def test_cancelling_an_alternative_stops_its_generation():
    text = '"""Utilities for parsing and formatting dates in many formats."""\nimport datetime\n\n'
    uri = "file:///tmp/ghostwright-test/alt_long.py"
    async with session({"completion": {"debounceMs": 0, "maxTokens": 400}}) as s:
        await s.wait_ready()
        s.open(uri, text)
        pending = asyncio.ensure_future(ask(s, uri, 3, 0, ["import os"], msg_id="alt-to-cancel"))
        deadline = asyncio.get_running_loop().time() + 60
        while not (await s.status())["backends"][0]["generating"]:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # some tokens in
        s.client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="alt-to-cancel"))
        try:
            await asyncio.wait_for(pending, 30)
        except asyncio.TimeoutError:
            raise
        except Exception:
            pass  # a cancelled request may answer with an error: the spec allows either
        while (status := await s.status())["backends"][0]["generating"]:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        backend = status["backends"][0]
        assert backend["requests"] == 1, "no further attempt after the cancel"
        last = backend["lastGeneration"]
        assert last["cancelled"] and last["tokens"] < 400 and last["tokensAfterCancel"] <= 1, last


async def test_a_request_for_a_document_that_is_not_open_answers_empty():
    async with session({"completion": {"debounceMs": 0}}) as s:
        assert await ask(s, "file:///nowhere.py", 0, 0, []) == []
        assert (await s.status())["documents"] == 0


# --- through Ollama and an OpenAI-style server (the fake, which runs the real model) ---

@requires_model
@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_remote_backends_sample_again_with_a_seed(backend):
    fake = FakeProcess().start()
    try:
        settings = {"ollama": {"model": "qwen2.5-coder:7b", "host": fake.url}} if backend == "ollama" else \
            {"openai": {"baseUrl": f"{fake.url}/v1", "model": "qwen2.5-coder:7b"}}
        text, offset, line, character = where("assignment")
        uri = "file:///tmp/ghostwright-test/alt_remote.py"
        async with session({"backend": backend, "completion": {"debounceMs": 0, "maxTokens": 32},
                            **settings}) as s:
            status = await s.wait_ready()
            assert status["backendReady"], status["backendError"]
            s.open(uri, text)
            first = (await s.complete_async(uri, line, character)).items[0].insert_text
            fake.reset()
            [item] = await ask(s, uri, line, character, [first])
            assert item["insertText"].rstrip() != first.rstrip() and parses(text, offset, item["insertText"])
            sent = [r["options"] for r in fake.log() if r["path"] in ("/api/generate", "/v1/completions")]
            assert sent and all(o["temperature"] > 0 and "seed" in o for o in sent), sent
            assert len({o["seed"] for o in sent}) == len(sent)
    finally:
        fake.kill()
