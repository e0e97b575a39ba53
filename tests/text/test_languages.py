"""The table of languages: every entry works, and a new entry is all a language needs."""

from __future__ import annotations

import re

import pytest

from ghostwright.config import ContextConfig
from ghostwright.context import cleanup, cursor, imports, outline, sources
from ghostwright.text import languages, syntax
from ghostwright.text.documents import Document, DocumentStore


@pytest.mark.parametrize("lang", [l for l in languages.TABLE if l.grammar], ids=lambda l: l.name)
def test_every_grammar_in_the_table_ships_and_parses(lang):
    # A missing wheel only logs a warning at run time: the language would silently lose its
    # syntax-aware windows and clean-up.
    assert syntax.grammar(lang.name) is not None
    assert syntax.parse_text(lang.name, "x\n") is not None


def test_file_names_and_aliases_name_one_language_each():
    for key in ("extensions", "aliases"):
        names = [n for lang in languages.TABLE for n in getattr(lang, key)]
        assert len(names) == len(set(names)), key
    assert not {a for l in languages.TABLE for a in l.aliases} & set(languages.LANGUAGES)
    for lang in languages.TABLE:
        for ext in lang.extensions:
            assert languages.language_of("", f"file:///src/a{ext.upper()}") == lang.name
        for alias in lang.aliases:
            assert languages.language_of(alias, "file:///a") == lang.name


def test_a_new_entry_is_all_a_language_needs(monkeypatch):
    # Elm, not in the table: with one entry it gets the stops, the block opener and the comment
    # handling of clean-up, with nothing else changed.
    elm = languages.Language("elm", extensions=(".elm",), line_comment="--",
                             block_opener=re.compile(r"(=|->|\bof)\s*$"), top_level=("type ", "module "))
    monkeypatch.setitem(languages.LANGUAGES, "elm", elm)
    text = "module Main exposing (main)\n\nupdate msg model =\n"
    doc = DocumentStore().open("file:///Main.elm", text, 1, "elm")
    ctx = cursor.build(doc, len(text), ContextConfig())
    assert ctx.language == "elm" and ctx.multiline
    head = "module Main exposing (main)\n\n"
    top = cursor.build(DocumentStore().open("file:///Main.elm", head, 1, "elm"), len(head), ContextConfig())
    assert "\n--" in ctx.stops and "\ntype " in top.stops
    # A `)` inside an Elm comment closes nothing: the completion is not cut there.
    assert cleanup.clean("    model -- done :)", ctx, ()).text == "    model -- done :)"


def test_a_new_entry_of_a_known_family_gets_imports_outlines_and_definitions(monkeypatch, tmp_path):
    # A made-up language on the JavaScript grammar that declares the family: its imports are
    # read, its files found and outlined, and the imported definitions reach the prompt, with
    # nothing in context/ changed.
    jsn = languages.Language("jsnext", ("tree_sitter_javascript", "language"), (".jsn",),
                             line_comment="//", family="ecmascript")
    monkeypatch.setitem(languages.LANGUAGES, "jsnext", jsn)
    monkeypatch.setitem(languages._BY_EXTENSION, ".jsn", "jsnext")
    lib = "export function formatPrice(amountCents, currency) {\n  return amountCents / 100\n}\n" \
          "export const TAX_RATE = 0.2\n"
    app = "import { formatPrice } from './lib'\nconst total = 1234\nconsole.log()\n"
    root = tmp_path / "ws"
    root.mkdir()
    (root / "lib.jsn").write_text(lib, encoding="utf-8")
    (root / "app.jsn").write_text(app, encoding="utf-8")

    assert [(i.module, i.names) for i in imports.of("jsnext", app, syntax.parse_text("jsnext", app))] \
        == [("./lib", ("formatPrice",))]
    assert [e.name for e in outline.outline("jsnext", lib)] == ["formatPrice", "TAX_RATE"]

    s = sources.Surroundings()
    s.set_folders([root], ContextConfig(), wait=True)
    doc = Document((root / "app.jsn").as_uri(), app, 1, "jsnext", syntax.tree_for("jsnext", app))
    assert languages.language_of("", doc.uri) == "jsnext"
    s.used(doc)
    cross = sources.gather(doc, len(app) - 1, ContextConfig(), s, lambda text: len(text) // 3 + 1)
    shown = {snippet.path: snippet.text for snippet in cross.snippets if snippet.source == "definitions"}
    assert "formatPrice(amountCents, currency)" in shown["lib.jsn"]
    assert "TAX_RATE" not in shown["lib.jsn"]  # not imported
