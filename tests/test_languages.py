"""The table of languages: every entry works, and a new entry is all a language needs."""

from __future__ import annotations

import re

import pytest

from ghostwright.config import ContextConfig
from ghostwright.context import cleanup, cursor
from ghostwright.text import languages, syntax
from ghostwright.text.documents import DocumentStore


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
