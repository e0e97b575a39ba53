"""Responsiveness with the real model: cancels reach the device, typed-ahead and the cache skip it."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from lsprotocol import types as lsp

from conftest import ready_session, requires_model

pytestmark = [requires_model, pytest.mark.asyncio(loop_scope="module")]

# Long enough that a generation is still running when the test cancels it. The tests share one
# session and leave their documents open: context from the other open documents and their edits
# would show the model the lists of earlier tests, and it would close this one at once instead of
# writing the long generation the cancels need.
OPTIONS = {"completion": {"debounceMs": 0, "maxTokens": 120},
           "context": {"openDocumentsTokens": 0, "recentEditsTokens": 0}}
# A list the model keeps extending line after line: a long multi-line generation.
PRIMES = "PRIMES = [\n    2,\n    3,\n    5,\n    7,\n    \n]\n"
PRIMES_CURSOR = (5, 4)
AREA = "import math\n\n\ndef circle_area(radius):\n    return \n"
AREA_CURSOR = (4, 11)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def s():
    async with ready_session(OPTIONS) as sess:
        yield sess


async def counters(s) -> dict:
    return (await s.status())["backends"][0]


async def quiet(s) -> dict:
    """The counters once the device is idle: a generation stopped early ends a token later."""
    for _ in range(400):
        now = await counters(s)
        if now["generating"] == 0:
            return now
        await asyncio.sleep(0.025)
    raise TimeoutError("the device did not become idle")


def request(s, uri: str, line: int, character: int, invoked: bool, msg_id: str | None = None):
    kind = lsp.InlineCompletionTriggerKind.Invoked if invoked else lsp.InlineCompletionTriggerKind.Automatic
    params = lsp.InlineCompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(line=line, character=character),
        context=lsp.InlineCompletionContext(trigger_kind=kind))
    # A task, so the request is on the wire now rather than when awaited.
    return asyncio.ensure_future(
        s.client.protocol.send_request_async(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id))


def insert(s, uri: str, version: int, line: int, character: int, text: str) -> None:
    at = lsp.Position(line=line, character=character)
    s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=at, end=at), text=text)]))


async def first_partial(s, uri: str, after: int, timeout: float = 60) -> dict:
    async def wait():
        while True:
            fresh = [p for p in s.partials[after:] if p["textDocument"]["uri"] == uri]
            if fresh:
                return fresh[0]
            await asyncio.sleep(0.005)
    return await asyncio.wait_for(wait(), timeout)


async def settled(s, requests_before: int) -> dict:
    """The counters once every generation started since `requests_before` has ended."""
    for _ in range(400):
        c = await counters(s)
        last = c["lastGeneration"]
        if c["requests"] > requests_before and last and last["durationMs"] is not None:
            return c
        await asyncio.sleep(0.025)
    raise TimeoutError("the generation did not end")


def text_of(result) -> str:
    return result.items[0].insert_text if result.items else ""


async def test_cancel_request_stops_the_model_within_one_token(s):
    uri = "file:///cancel.py"
    s.open(uri, PRIMES)
    before = await quiet(s)
    n = len(s.partials)
    pending = request(s, uri, *PRIMES_CURSOR, invoked=True, msg_id="cancel-me")
    await first_partial(s, uri, n)
    s.client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="cancel-me"))
    with pytest.raises(Exception):
        await asyncio.wait_for(pending, 30)
    after = await settled(s, before["requests"])
    last = after["lastGeneration"]
    assert last["cancelled"]
    assert last["tokens"] < 120, "the generation ran to max_tokens: the cancel did not reach it"
    assert last["tokensAfterCancel"] <= 1
    assert after["cancellations"] == before["cancellations"] + 1
    assert after["tokensCancelled"] == before["tokensCancelled"] + last["tokens"]
    # A partial was on screen when the cancel came: those tokens reached the user, the rest did not.
    assert 0 <= after["tokensDiscarded"] - before["tokensDiscarded"] < last["tokens"]


async def test_a_newer_request_answers_the_older_empty_at_once_and_cancels_its_generation(s):
    uri = "file:///supersede.py"
    s.open(uri, PRIMES + "\n\ndef f():\n    \n")
    before = await quiet(s)
    n = len(s.partials)
    older = request(s, uri, *PRIMES_CURSOR, invoked=True)
    await first_partial(s, uri, n)
    newer = request(s, uri, 10, 4, invoked=True)  # elsewhere: the older suggestion cannot fit
    assert not (await asyncio.wait_for(older, 5)).items
    await asyncio.wait_for(newer, 60)
    after = await settled(s, before["requests"] + 1)
    assert after["requests"] == before["requests"] + 2
    assert after["cancellations"] == before["cancellations"] + 1
    assert after["tokensAfterCancel"] - before["tokensAfterCancel"] <= 1


async def test_typing_through_a_finished_suggestion_needs_no_model_call(s):
    uri = "file:///typethrough.py"
    s.open(uri, AREA)
    shown = text_of(await asyncio.wait_for(request(s, uri, *AREA_CURSOR, invoked=True), 60))
    assert len(shown) >= 3, shown
    before = await quiet(s)
    line, col = AREA_CURSOR
    for i, ch in enumerate(shown[:3]):
        insert(s, uri, 2 + i, line, col + i, ch)
        rest = text_of(await asyncio.wait_for(request(s, uri, line, col + i + 1, invoked=False), 5))
        assert rest == shown[i + 1:]
    after = await counters(s)
    assert after["requests"] == before["requests"], "typing through the suggestion asked the model"
    assert after["typeaheadHits"] == before["typeaheadHits"] + 3


async def test_typing_into_a_streaming_suggestion_keeps_its_generation(s):
    uri = "file:///typestream.py"
    s.open(uri, PRIMES)
    before = await quiet(s)
    n = len(s.partials)
    older = request(s, uri, *PRIMES_CURSOR, invoked=True)
    partial = (await first_partial(s, uri, n))["text"]
    line, col = PRIMES_CURSOR
    insert(s, uri, 2, line, col, partial[0])
    newer = request(s, uri, line, col + 1, invoked=False)
    assert not (await asyncio.wait_for(older, 5)).items
    rest = text_of(await asyncio.wait_for(newer, 60))
    after = await settled(s, before["requests"])
    assert after["requests"] == before["requests"] + 1, ("the typed character restarted the model", str(before), str(after), partial, rest)
    assert after["cancellations"] == before["cancellations"]
    assert rest and (partial[0] + rest).startswith(partial)


async def test_the_same_prompt_again_comes_from_the_cache(s):
    uri = "file:///cached.py"
    s.open(uri, AREA)
    first = text_of(await asyncio.wait_for(request(s, uri, *AREA_CURSOR, invoked=True), 60))
    line, col = AREA_CURSOR
    # A character typed and deleted: the document, and so the prompt, is the same again.
    insert(s, uri, 2, line, col, "z")
    s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(line=line, character=col),
                            end=lsp.Position(line=line, character=col + 1)), text="")]))
    before = await quiet(s)
    again = text_of(await asyncio.wait_for(request(s, uri, *AREA_CURSOR, invoked=True), 5))
    after = await counters(s)
    assert again == first
    assert after["requests"] == before["requests"]
    assert after["cacheHits"] + after["typeaheadHits"] > before["cacheHits"] + before["typeaheadHits"]


async def test_status_reports_latency_percentiles(s):
    c = await counters(s)
    assert c["requests"] >= 1
    assert c["ttftMs"]["p50"] is not None and c["ttftMs"]["p50"] > 0
    assert c["tokensPerSecond"]["p50"] is not None and c["tokensPerSecond"]["p50"] > 0
    assert {"cacheHits", "typeaheadHits", "tokensDiscarded", "tokensAfterCancel"} <= c.keys()
