"""Over the wire, a long run of incremental edits leaves the server with the client's exact text."""

from __future__ import annotations

import random

from lsprotocol import types as lsp

from conftest import FAST, session
import reference_edits as ref

PIECES = ["a", "b", " ", "\n", "😀", "中文", "é", "(", ")", "🎉x", "\t", "def f():\n    ", "𝔘"]


def random_edit(rng: random.Random, text: str, encoding: str):
    lines = text.split("\n")
    def pos():
        line = rng.randrange(len(lines))
        return line, rng.choice(ref.boundary_columns(lines[line], encoding))
    a, b = sorted([pos(), pos()])
    if rng.random() < 0.6:
        b = a  # mostly typing
    new = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 4)))
    return a, b, new


async def run_edits(encodings: list[str] | None, expected_encoding: str, seed: int) -> None:
    rng = random.Random(seed)
    uri = f"file:///tmp/ghostwright-test/sync-{seed}.py"
    text = "# 中文 😀 start\nprint('hi')\n"
    async with session(FAST, encodings=encodings) as s:
        assert (await s.status())["positionEncoding"] == expected_encoding
        s.open(uri, text)
        for version in range(2, 302):
            (sl, sc), (el, ec), new = random_edit(rng, text, expected_encoding)
            text = ref.apply(text, (sl, sc), (el, ec), new, expected_encoding)
            s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(start=lsp.Position(line=sl, character=sc),
                                    end=lsp.Position(line=el, character=ec)),
                    text=new)]))
            if version % 50 == 0:
                got = await s.text_of(uri)
                assert got == {"version": version, "text": text}
        got = await s.text_of(uri)
        assert got["text"] == text


async def test_utf16_edit_sequence_with_emoji_and_cjk():
    await run_edits(None, "utf-16", seed=1)


async def test_utf8_edit_sequence_with_emoji_and_cjk():
    await run_edits(["utf-8"], "utf-8", seed=2)


async def test_full_document_replacement():
    async with session(FAST) as s:
        uri = "file:///tmp/ghostwright-test/full.py"
        s.open(uri, "old")
        s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text="new 😀\n")]))
        assert await s.text_of(uri) == {"version": 2, "text": "new 😀\n"}
