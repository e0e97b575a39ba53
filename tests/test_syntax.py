"""Documents keep a syntax tree that matches the text under every edit, in every language we ship."""

from __future__ import annotations

import random

import pytest

from ghostwright.text import syntax
from ghostwright.text.documents import DocumentStore
from ghostwright.text.languages import language_of
from ghostwright.text.syntax import SyntaxTree

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
    doc = store.open("file:///x", SAMPLES[language], 1, language)
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


def test_node_offsets_are_code_points_in_a_large_file_with_wide_characters():
    # Checkpoints every CHUNK code points: node positions far into a mixed file, on both sides of
    # chunk borders, must still land on the right characters (as a user sees: the right statement).
    rng = random.Random(7)
    words = ["x", "é", "日本", "😀", "\ud800", "ab", " ", "\n"]
    text = "".join(rng.choice(words) for _ in range(3 * syntax.OffsetIndex.CHUNK))
    index = syntax.OffsetIndex(text)
    data = text.encode("utf-8", "surrogatepass")
    for offset in list(range(0, len(text), 97)) + [len(text)]:
        byte = len(text[:offset].encode("utf-8", "surrogatepass"))
        assert index.to_byte(offset) == byte
        assert index.to_offset(byte) == offset == len(data[:byte].decode("utf-8", "surrogatepass"))


def test_statements_of_a_non_ascii_file_are_found_at_their_code_points():
    body = "".join(f"def f{i}():\n    return '{'é' * (i % 5)}'\n\n" for i in range(800))
    tree = SyntaxTree("python", body)
    last = tree.tree.root_node.named_children[-1]
    start = tree.to_offset(last.start_byte)
    assert body[start:].startswith("def f799():")
    assert tree.to_offset(last.end_byte) == len(body.rstrip("\n"))
    assert tree.to_byte(start) == last.start_byte
