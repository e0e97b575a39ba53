"""Closing a document stops its generation; a permissive licence is not announced in the editor."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from conftest import requires_model, session

pytestmark = requires_model

URI = "file:///tmp/ghostwright-test/closing.py"
# At module level after an import, nothing in the syntax bounds the completion: it runs long.
TEXT = '"""Utilities for parsing and formatting dates in many formats."""\nimport datetime\n\n'
MAX_TOKENS = 400


async def test_closing_the_document_mid_stream_stops_its_generation():
    async with session({"completion": {"debounceMs": 0, "maxTokens": MAX_TOKENS, "cacheEntries": 0}}) as s:
        await s.wait_ready()
        s.open(URI, TEXT)
        pending = asyncio.ensure_future(s.complete_async(URI, 3, 0))
        deadline = asyncio.get_running_loop().time() + 120
        while not s.partials:
            assert not pending.done(), f"answered before any partial: {pending.result()}"
            assert asyncio.get_running_loop().time() < deadline, await s.status()
            await asyncio.sleep(0.01)
        s.client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            text_document=lsp.TextDocumentIdentifier(uri=URI)))
        at_close = (await s.status())["backends"][0]["tokensGenerated"]
        await asyncio.wait_for(pending, 30)  # the request ends too, without waiting for the model
        while (status := await s.status())["backends"][0]["generating"]:
            assert asyncio.get_running_loop().time() < deadline, status
            await asyncio.sleep(0.05)
        backend = status["backends"][0]
        last = backend["lastGeneration"]
        assert last["cancelled"] is True, last
        assert last["tokens"] < MAX_TOKENS, "the model ran to max tokens after the document closed"
        # Counted when the generation ended: what it made after the close is a token or two.
        assert backend["tokensGenerated"] - at_close <= last["tokens"]
        assert last["tokensAfterCancel"] <= 1, last
        assert status["inFlight"] == 0


async def test_closing_the_document_while_its_request_waits_starts_no_generation():
    # The request waits out its debounce when the buffer is killed: no model call must follow.
    slow = {"debounceMs": 800, "debounceMinMs": 800, "debounceMaxMs": 800, "maxTokens": MAX_TOKENS}
    async with session({"completion": slow}) as s:
        await s.wait_ready()
        s.open(URI, TEXT)
        pending = asyncio.ensure_future(s.complete_async(URI, 3, 0, invoked=False))
        await asyncio.sleep(0.2)
        s.client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            text_document=lsp.TextDocumentIdentifier(uri=URI)))
        answer = await asyncio.wait_for(pending, 30)
        assert not answer.items
        await asyncio.sleep(1.5)  # past the debounce
        status = await s.status()
        backend = status["backends"][0]
        assert backend["requests"] == 0 and backend["generating"] == 0, backend
        assert backend["tokensGenerated"] == 0 and not s.partials
        assert status["inFlight"] == 0


async def test_a_permissive_licence_is_not_shown_in_the_editor_but_status_has_it():
    async with session({"completion": {"debounceMs": 0}}) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        await asyncio.sleep(0.2)  # anything said at load has arrived
        shown = [m.message for m in s.client.messages if "licen" in m.message.lower()]
        assert shown == [], shown
        vetting = status["provenance"]
        assert vetting["action"] == "allow" and vetting["licence"]["kind"] == "permissive", vetting
