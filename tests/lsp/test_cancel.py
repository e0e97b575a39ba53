"""Cancelling a request stops the model itself, within about one token."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from conftest import requires_model, session
from test_inline_completion import uses_both_parameters

pytestmark = requires_model

URI = "file:///tmp/ghostwright-test/long.py"
# At module level after an import, nothing in the syntax bounds the completion: it runs long.
TEXT = '"""Utilities for parsing and formatting dates in many formats."""\nimport datetime\n\n'


async def last_generation(s, timeout: float = 30) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        last = (await s.status())["backends"][0]["lastGeneration"]
        if last and last["durationMs"] is not None:
            return last
        await asyncio.sleep(0.05)
    raise TimeoutError("the generation never finished: cancel did not reach the device")


async def test_cancel_request_stops_generation_at_the_next_token():
    async with session({"completion": {"debounceMs": 0, "maxTokens": 400}}) as s:
        await s.wait_ready()
        s.open(URI, TEXT)
        params = lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=URI),
            position=lsp.Position(line=3, character=0),
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Invoked),
        )
        pending = asyncio.ensure_future(s.client.protocol.send_request_async(
            lsp.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="to-cancel"))
        deadline = asyncio.get_running_loop().time() + 120
        while not s.partials:
            assert not pending.done(), f"answered before any partial: {pending.result()}"
            assert asyncio.get_running_loop().time() < deadline, await s.status()
            await asyncio.sleep(0.01)
        s.client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="to-cancel"))
        try:
            await pending
        except Exception:
            pass  # a cancelled request may answer with an error: the spec allows either
        last = await last_generation(s)
        assert last["cancelled"] is True
        assert last["tokensAfterCancel"] <= 1, last
        assert last["tokens"] < 400, "the model ran to max tokens: cancel did not stop it"
        # The server is still fine afterwards.
        s.open("file:///tmp/ghostwright-test/after.py", "def add(a, b):\n    ")
        again = await s.complete_async("file:///tmp/ghostwright-test/after.py", 1, 4)
        assert again.items and uses_both_parameters(again.items[0].insert_text)
