"""The engine without a server: documents in, a stream of partials and one answer out, one record per document.

A scripted backend stands in for the model (the subject here is what the engine does with a
stream: which text it shows, when it stops, what a close or a newer request ends)."""

from __future__ import annotations

import asyncio

from ghostwright.config import Config
from ghostwright.engine.engine import Engine
from scripted import Scripted

URI = "file:///tmp/engine.py"
TEXT = "def area(r):\n    \n"


async def engine_with(pieces: list[str], gap: float = 0.01, tell=None) -> tuple[Engine, Scripted]:
    config = Config()
    config.completion.debounce_ms = 0
    backend = Scripted(pieces, gap)
    engine = Engine(config, tell=tell, build=lambda _cfg: backend)
    engine.start()
    assert await engine.loader.wait() is backend
    return engine, backend


async def test_a_completion_streams_growing_partials_then_answers_the_whole_text():
    engine, backend = await engine_with(["return ", "3.14", " * r", " * r\n", "\n\ndef other():\n"])
    engine.open(URI, TEXT, 1, "python")
    partials: list[str] = []
    answer = await engine.complete(URI, 1, 4, on_partial=lambda place, text: partials.append(text))
    assert answer.text == "return 3.14 * r * r"
    assert (answer.place.line, answer.place.character, answer.place.version) == (1, 4, 1)
    assert partials and all(answer.text.startswith(p) for p in partials)
    assert backend.generations[0].cancelled  # clean-up ended it: the device stopped at the block's end
    status = engine.status()
    assert status["documents"] == 1 and status["inFlight"] == 0 and status["backendReady"]


async def test_typing_into_the_suggestion_reuses_it_without_asking_the_model_again():
    engine, backend = await engine_with(["return ", "3.14", " * r", " * r\n", "\n\ndef other():\n"])
    engine.open(URI, TEXT, 1, "python")
    await engine.complete(URI, 1, 4)
    engine.change(URI, [((1, 4), (1, 4), "ret")], 2)
    answer = await engine.complete(URI, 1, 7)
    assert answer.text == "urn 3.14 * r * r"
    assert len(backend.generations) == 1
    assert backend.counters.typeahead_hits == 1


async def test_the_same_prompt_twice_is_answered_from_the_cache():
    engine, backend = await engine_with(["return 1\n", "\n"])
    engine.open(URI, "def a(r):\n    \n\ndef b(r):\n    \n", 1, "python")
    first = await engine.complete(URI, 1, 4)
    await engine.complete(URI, 4, 4)  # elsewhere: typed-ahead cannot follow this one back
    again = await engine.complete(URI, 1, 4)
    assert again.text == first.text == "return 1"
    assert len(backend.generations) == 2 and backend.counters.cache_hits == 1


async def test_a_newer_request_answers_for_the_document_and_the_older_one_gets_nothing():
    engine, backend = await engine_with(["return ", "1", " + 2", "\n", "\n"], gap=0.05)
    engine.open(URI, TEXT, 1, "python")
    older = asyncio.create_task(engine.complete(URI, 1, 4))
    await asyncio.sleep(0.02)
    engine.change(URI, [((0, 0), (0, 0), "# x\n")], 2)  # not typed into it: the suggestion is stale
    newer = await engine.complete(URI, 2, 4)
    assert (await older).text == ""
    assert newer.text == "return 1 + 2"
    assert backend.generations[0].stats.cancelled


async def test_closing_a_document_ends_its_request_and_generation_and_forgets_it_whole():
    engine, backend = await engine_with(["return ", "1", " + 2", " + 3", "\n"], gap=0.2)
    engine.open(URI, TEXT, 1, "python")
    request = asyncio.create_task(engine.complete(URI, 1, 4))
    while not backend.generations:
        await asyncio.sleep(0.01)
    assert engine.status()["inFlight"] == 1
    engine.close(URI)
    assert (await request).text == ""
    assert backend.generations[0].cancelled and backend.generations[0].stats.cancelled
    status = engine.status()
    assert status["documents"] == 0 and status["inFlight"] == 0 and engine.document(URI) is None


async def test_a_document_over_its_limit_is_refused_once_with_the_reason_in_status_until_closed():
    told: list[tuple[str, str]] = []
    engine, backend = await engine_with(["x"], tell=lambda message, level: told.append((message, level)))
    engine.config.completion.max_line_bytes = 64
    engine.open(URI, "x = '" + "a" * 100 + "'\n", 1, "python")
    for _ in range(2):
        answer = await engine.complete(URI, 0, 3)
        assert answer.text == ""
    assert len(told) == 1 and told[0][1] == "info" and "maxLineBytes" in told[0][0]
    assert "maxLineBytes" in engine.status()["refused"][URI]
    assert not backend.generations
    engine.close(URI)
    assert engine.status()["refused"] == {}


async def test_an_alternative_is_unlike_the_candidates_shown_and_leaves_the_flow_alone():
    engine, backend = await engine_with(["return 1\n", "\n"])
    engine.open(URI, TEXT, 1, "python")
    answer = await engine.alternative(URI, 1, 4, ("return 2",))
    assert answer.text == "return 1"
    repeated = await engine.alternative(URI, 1, 4, ("return 1",))
    assert repeated.text == ""  # every attempt repeated the shown candidate
    assert len(engine.cache) == 0  # it neither fills the prompt cache ...
    await engine.complete(URI, 1, 4)
    assert backend.counters.typeahead_hits == 0  # ... nor becomes the flight typed-ahead follows
