"""A stand-in for a buffer's main language server (pyright, clangd…), which cannot run here.

It syncs documents like one, and advertises inline completion too, so a client that sends
ghostwright's requests to every server is caught: `main/stats` counts what it was asked.
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

server = LanguageServer("main-lsp", "1.0")
counts = {"inlineCompletion": 0, "didChange": 0}


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    pass


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    counts["didChange"] += 1


@server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
def inline_completion(ls: LanguageServer, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
    counts["inlineCompletion"] += 1
    return lsp.InlineCompletionList(items=[])


@server.feature("main/stats")
def stats(ls: LanguageServer, params: object) -> dict:
    return dict(counts)


if __name__ == "__main__":
    server.start_io()
