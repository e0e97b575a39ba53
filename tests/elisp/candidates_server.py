"""A deterministic stand-in for ghostwright where the subject is the editor's candidate cycling.

It answers textDocument/inlineCompletion with one candidate and ghostwright/alternativeCompletion
(the protocol of docs/architecture.md) with a second one, only when the first is excluded, so the
test also sees that the client sends what it shows.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

FIRST, SECOND = "first_answer()", "second_answer()"
server = LanguageServer("ghostwright", "stand-in")


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _at(position: Any, text: str) -> lsp.InlineCompletionList:
    where = lsp.Position(line=_get(position, "line"), character=_get(position, "character"))
    return lsp.InlineCompletionList(items=[lsp.InlineCompletionItem(insert_text=text,
                                                                     range=lsp.Range(start=where, end=where))])


@server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
def inline_completion(ls: LanguageServer, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
    return _at(params.position, FIRST)


@server.feature("ghostwright/alternativeCompletion")
def alternative(ls: LanguageServer, params: Any) -> lsp.InlineCompletionList:
    exclude = list(_get(params, "exclude") or [])
    if exclude != [FIRST]:
        return lsp.InlineCompletionList(items=[])
    return _at(_get(params, "position"), SECOND)


if __name__ == "__main__":
    server.start_io()
