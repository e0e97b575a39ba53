"""Documents keep a syntax tree that matches the text under every edit, in every language we ship."""

from __future__ import annotations

import random
import time

import pytest

from ghostwright import syntax
from ghostwright.documents import DocumentStore
from ghostwright.syntax import SyntaxTree, language_of

SAMPLES = {
    "python": 'import os\n\ndef f(x):\n    """Doc: é."""\n    return x + 1\n',
    "javascript": "import fs from 'fs';\nfunction f(x) {\n  return x + 1; // é\n}\n",
    "typescript": "function f(x: number): number {\n  return x + 1;\n}\n",
    "typescriptreact": "const A = () => <div>é</div>;\n",
    "go": "package main\n\nfunc f(x int) int {\n\treturn x + 1\n}\n",
    "rust": "fn f(x: i32) -> i32 {\n    x + 1 // é\n}\n",
    "c": "#include <stdio.h>\nint f(int x) {\n  return x + 1;\n}\n",
    "cpp": "#include <vector>\nint f(int x) {\n  return x + 1;\n}\n",
    "java": "class A {\n  int f(int x) {\n    return x + 1;\n  }\n}\n",
    "lua": "local function f(x)\n  return x + 1\nend\n",
    "shellscript": "f() {\n  echo \"$1 é\"\n}\n",
    "ruby": "def f(x)\n  x + 1\nend\n",
    "json": '{"a": [1, 2], "b": "é"}\n',
    "yaml": "a:\n  - 1\n  - é\n",
    "toml": "[a]\nb = 1\nc = \"é\"\n",
}


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_every_shipped_grammar_parses_its_language(language):
    tree = SyntaxTree(language, SAMPLES[language])
    assert not tree.has_error()


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_random_edits_leave_the_same_tree_as_a_fresh_parse(language):
    rng = random.Random(language)
    store = DocumentStore()
    doc = store.open(f"file:///x", SAMPLES[language], 1, language)
    assert doc.syntax is not None
    for _ in range(30):
        a = rng.randint(0, len(doc.text))
        b = min(len(doc.text), a + rng.randint(0, 3))
        new = rng.choice(["", "x", "é", "\n", "  ", "(", "}", "ü\n"])
        start, end = doc.position_at(a, "utf-16"), doc.position_at(b, "utf-16")
        doc.apply_change(start, end, new, "utf-16")
        fresh = SyntaxTree(language, doc.text)
        assert doc.line_starts == [0] + [i + 1 for i, ch in enumerate(doc.text) if ch == "\n"]
        assert _shape(doc.syntax.tree.root_node) == _shape(fresh.tree.root_node)


def _shape(node) -> list:
    """Every node's type and byte span, depth first."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append((n.type, n.start_byte, n.end_byte, n.start_point, n.end_point))
        stack.extend(reversed(n.children))
    return out


def test_whole_document_replacement_reparses():
    doc = DocumentStore().open("file:///a.py", "x = 1\n", 1, "python")
    doc.apply_change(None, None, "def f(:\n", "utf-16")
    assert doc.syntax.has_error()


@pytest.mark.parametrize("language_id, uri, expected", [
    ("python", "file:///a.txt", "python"),
    ("", "file:///a/b.rs", "rust"),
    ("plaintext", "file:///a/b.go", "go"),
    ("emacs-lisp", "file:///init.el", "emacs-lisp"),
    ("typescript-ts-mode", "file:///a.ts", "typescript"),
    ("c++", "file:///a.cc", "cpp"),
    ("sh", "file:///a", "shellscript"),
    ("cobol", "file:///a.cbl", "cobol"),
])
def test_language_comes_from_the_language_id_then_the_file_name(language_id, uri, expected):
    assert language_of(language_id, uri) == expected


def test_languages_without_a_grammar_open_without_a_tree():
    doc = DocumentStore().open("file:///a.cbl", "IDENTIFICATION DIVISION.\n", 1, "cobol")
    assert doc.syntax is None
    doc.apply_change((0, 0), (0, 0), "x", "utf-16")
    assert doc.text.startswith("xIDENT")
    assert syntax.parse_text("cobol", "x") is None
