"""Prompt windows: within the token budget, cut at whole statements, headers and imports kept,
and a start that stays put while the user types on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostwright.context import cursor as context, windows
from ghostwright.config import ContextConfig
from ghostwright.text.documents import DocumentStore

CURSOR = "█"


def open_doc(text: str, language: str, uri: str = "file:///x"):
    offset = text.index(CURSOR)
    doc = DocumentStore().open(uri, text.replace(CURSOR, ""), 1, language)
    return doc, offset


def build(text: str, language: str, prefix: int = 512, suffix: int = 128):
    doc, offset = open_doc(text, language)
    return context.build(doc, offset, ContextConfig(prefix, suffix))


def words(text: str) -> int:
    """A stand-in tokenizer: one token per whitespace-separated word (exact and easy to check)."""
    return len(text.split())


PY_FILE = '''import os
import sys
from pathlib import Path


def unrelated(a, b):
    """Something else entirely."""
    total = 0
    for x in range(a):
        total += x * b
    return total


class Store:
    """Keeps things."""

    def __init__(self, root):
        self.root = Path(root)
        self.items = {}

    def load(self, name):
        path = self.root / name
        if not path.exists():
            raise FileNotFoundError(path)
        data = path.read_text()
        lines = data.splitlines()
        parsed = [line.split("=") for line in lines]
        self.items[name] = dict(parsed)
        █
        return self.items[name]

    def save(self, name):
        pass
'''


def test_python_prefix_fits_the_budget_and_starts_at_a_whole_statement():
    doc, offset = open_doc(PY_FILE, "python")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 40, 10, words)
    body_start = doc.text[window.start:]
    assert words(window.prefix) <= 40
    # The window begins with a whole line of the load() body, not in the middle of one.
    assert doc.text[window.start - 1] == "\n"
    assert body_start.lstrip().startswith(("path", "if", "data", "lines", "parsed", "self.items"))


def test_python_prefix_keeps_the_enclosing_headers_when_the_body_is_cut():
    doc, offset = open_doc(PY_FILE, "python")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 40, 10, words)
    assert "class Store:\n" in window.prefix
    assert "    def load(self, name):\n" in window.prefix
    assert "def unrelated" not in window.prefix  # a sibling definition is cut whole
    assert window.prefix.index("class Store") < window.prefix.index("def load")


def test_python_prefix_brings_the_imports_when_the_budget_allows():
    doc, offset = open_doc(PY_FILE, "python")
    small, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 30, 10, words)
    roomy, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 80, 10, words)
    assert "import os" not in small.prefix
    assert roomy.prefix.startswith("import os\nimport sys\nfrom pathlib import Path\n")
    assert words(roomy.prefix) <= 80


def test_the_whole_file_fits_a_large_budget_unchanged():
    doc, offset = open_doc(PY_FILE, "python")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 2000, 2000, words)
    assert window.prefix == doc.text[:offset]
    assert window.suffix == doc.text[offset:]


def test_suffix_is_small_and_ends_at_a_line_boundary():
    doc, offset = open_doc(PY_FILE, "python")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 40, 8, words)
    assert words(window.suffix) <= 8
    assert window.suffix.startswith("\n        return self.items[name]\n")
    assert window.suffix.endswith("\n")


def test_prefix_start_stays_put_while_the_user_types_on():
    doc, offset = open_doc(PY_FILE, "python")
    cfg = ContextConfig(60, 10)
    first = context.build(doc, offset, cfg, words)
    starts = set()
    typed = "result = {k.strip(): v.strip() for k, v in parsed}"
    for i, ch in enumerate(typed):
        line, col = doc.position_at(offset + i, "utf-16")
        doc.apply_change((line, col), (line, col), ch, "utf-16")
        ctx = context.build(doc, offset + i + 1, cfg, words)
        if ctx is not None:
            starts.add(ctx.prefix.split(doc.text[offset:offset + 5])[0][:200])
            assert ctx.prefix.startswith(first.prefix[:200])
    assert len(starts) == 1


def test_window_moves_once_the_text_no_longer_fits():
    doc, offset = open_doc(PY_FILE, "python")
    cfg = ContextConfig(40, 10)
    first = context.build(doc, offset, cfg, words)
    line, col = doc.position_at(offset, "utf-16")
    doc.apply_change((line, col), (line, col), "x = 1\n        " * 30, "utf-16")
    later = context.build(doc, offset + len("x = 1\n        ") * 30, cfg, words)
    assert words(later.prefix) <= 40
    assert later.prefix != first.prefix


JS_FILE = '''import { readFile } from "fs/promises";
import path from "path";

export async function loadConfig(dir) {
  const file = path.join(dir, "config.json");
  const text = await readFile(file, "utf8");
  const data = JSON.parse(text);
  if (!data.name) {
    throw new Error("config needs a name");
  }
  █
}
'''


def test_javascript_window_keeps_function_header_and_imports():
    doc, offset = open_doc(JS_FILE, "javascript")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "javascript", 40, 10, words)
    assert "export async function loadConfig(dir) {\n" in window.prefix
    assert window.prefix.startswith('import { readFile } from "fs/promises";')
    assert words(window.prefix) <= 40
    # The if statement is kept whole or dropped whole.
    assert window.prefix.count("{") - window.prefix.count("}") in (1, 2) and \
        ("if (!data.name) {" in window.prefix) == ("throw new Error" in window.prefix)


GO_FILE = '''package main

import "fmt"

type Point struct {
	X, Y int
}

func (p Point) String() string {
	return fmt.Sprintf("(%d, %d)", p.X, p.Y)
}

func main() {
	p := Point{1, 2}
	q := Point{3, 4}
	fmt.Println(p, q)
	█
}
'''


def test_go_window_cuts_whole_declarations():
    doc, offset = open_doc(GO_FILE, "go")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "go", 25, 5, words)
    assert "func main() {\n" in window.prefix
    assert "String()" not in window.prefix  # the method before is dropped as a whole
    assert window.prefix.startswith("package main")


RUST_FILE = '''use std::collections::HashMap;

struct Counter {
    counts: HashMap<String, usize>,
}

impl Counter {
    fn add(&mut self, word: &str) {
        *self.counts.entry(word.to_string()).or_insert(0) += 1;
    }

    fn top(&self, n: usize) -> Vec<(&String, &usize)> {
        let mut all: Vec<_> = self.counts.iter().collect();
        █
    }
}
'''


def test_rust_window_keeps_impl_and_fn_headers():
    doc, offset = open_doc(RUST_FILE, "rust")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "rust", 30, 5, words)
    assert "impl Counter {\n" in window.prefix
    assert "fn top(&self, n: usize) -> Vec<(&String, &usize)> {\n" in window.prefix
    assert "fn add" not in window.prefix
    assert window.prefix.startswith("use std::collections::HashMap;")


ELISP_FILE = ''';;; demo.el --- a demo -*- lexical-binding: t; -*-

(require 'subr-x)

(defun demo-first (items)
  "Return the first of ITEMS, or ?\\( when empty."
  (if items (car items) ?\\())

(defun demo-sum (numbers)
  "Add NUMBERS."
  (let ((total 0))
    (dolist (n numbers)
      (setq total (+ total n)))
    █
    total))
'''


def test_elisp_window_starts_at_a_top_level_form():
    doc, offset = open_doc(ELISP_FILE, "emacs-lisp")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "emacs-lisp", 25, 5, words)
    assert window.prefix.startswith("(defun demo-sum (numbers)")
    assert words(window.prefix) <= 25 or window.start == doc.text.index("(defun demo-sum")


def test_unknown_languages_fall_back_to_whole_lines():
    text = "".join(f"line {i} of some notes\n" for i in range(50)) + "more █\n" + "tail\n" * 5
    doc, offset = open_doc(text, "markdown")
    ctx = context.build(doc, offset, ContextConfig(20, 4), words)
    assert ctx is not None
    assert words(ctx.prefix) <= 20
    assert ctx.prefix.startswith("line ") and ctx.prefix.endswith("more ")


def test_the_char_fallback_counts_when_no_tokenizer_is_given():
    doc, offset = open_doc(PY_FILE, "python")
    ctx = context.build(doc, offset, ContextConfig(50, 16))
    assert len(ctx.prefix) <= 50 * windows.CHARS_PER_TOKEN + 1


def test_a_statement_too_big_to_take_whole_gives_whole_lines_instead():
    rows = "".join(f"    {i}: 'value number {i}',\n" for i in range(400))
    text = "TABLE = {\n" + rows + "    █\n}\n"
    doc, offset = open_doc(text, "python")
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, "python", 60, 10, words)
    assert 30 <= words(window.prefix) <= 60
    assert window.prefix.startswith("    ") and doc.text[window.start - 1] == "\n"


def test_a_line_being_typed_is_bounded_from_its_counted_start_not_tokenized_at_every_key():
    calls: list[str] = []

    def tokenizer(text: str) -> int:  # a stand-in with one token per 3 bytes, rounded up
        calls.append(text)
        return -(-len(text.encode()) // 3)

    count = windows.LineTokens(tokenizer)
    line = "        total = sum(price * qty for price, qty in basket.items())"
    for i in range(8, len(line) + 1):
        part = line[:i]
        bound = count.bound(part, 16)
        assert bound >= tokenizer(part)  # never under: the window cannot overflow its budget
        calls.pop()
    # Counted afresh only once 16 bytes were typed since the last count: 4 calls, not 57.
    assert len(calls) <= -(-(len(line) - 8) // 17) + 1, len(calls)


def test_a_replaced_backend_and_its_model_are_freed_not_kept_by_the_line_token_memory():
    """After a configuration change loads another model, the old one's memory must go."""
    import gc
    import weakref

    class Backend:
        def count_tokens(self, text: str) -> int:
            return len(text.split())

    old = Backend()
    text = "def f(a):\n    return a\n" * 20
    windows.build_windows(text, len(text) // 2, None, "python", 64, 16, old.count_tokens)
    remembered = windows.line_tokens(old.count_tokens)
    assert remembered is windows.line_tokens(old.count_tokens)  # one memory per backend, reused
    gone = weakref.ref(old)
    del old, remembered
    gc.collect()
    assert gone() is None


def test_moving_far_down_a_large_file_does_not_tokenize_the_text_in_between():
    """The window kept from the last request is far above the cursor: it cannot fit, and
    finding that out must not cost a tokenizer pass over everything between."""
    body = "".join(f"def f{i}(a, b):\n    total = a + b * {i}\n    return total\n\n\n" for i in range(2000))
    text = body[:3000] + "█" + body[3000:]
    doc, offset = open_doc(text, "python")
    seen: list[int] = []

    class Tokenizer:  # a method, so the window code keeps one line memory for it across requests
        def count_tokens(self, piece: str) -> int:
            seen.append(len(piece))
            return len(piece.split())

    tok = Tokenizer()
    first, anchor = windows.build_windows(doc.text, offset, doc.syntax, "python", 64, 16, tok.count_tokens)
    far = len(doc.text) - 5000
    far = doc.text.index("    return total\n", far) + len("    return total\n")
    seen.clear()
    window, _ = windows.build_windows(doc.text, far, doc.syntax, "python", 64, 16, tok.count_tokens, anchor)
    assert window.start > first.start and words(window.prefix) <= 64
    # What a window of 64 tokens can reach, before and after the cursor, at most 8 characters a token.
    assert sum(seen) <= (64 + 16) * windows.MAX_CHARS_PER_TOKEN * 2, sum(seen)


def test_a_minified_line_is_cut_to_both_token_windows_without_counting_it_whole():
    # One 200 KB line of "tokens" with the cursor in its middle, as in a minified bundle.
    line = "var a=1;" * 25_000
    text = "'use strict';\n" + line[:100_000] + CURSOR + line[100_000:] + "\nmodule.exports = a;\n"
    doc, offset = open_doc(text, "javascript")
    counted = []

    def count(piece: str) -> int:
        counted.append(len(piece))
        return int(len(piece) / 2.5 + 0.999)  # denser than the windows' own estimate

    ctx = context.build(doc, offset, ContextConfig(512, 128), count)
    assert ctx is not None
    assert 0 < count(ctx.prefix) <= 512 and ctx.prefix == doc.text[offset - len(ctx.prefix):offset]
    assert 0 < count(ctx.suffix) <= 128 and ctx.suffix == doc.text[offset:offset + len(ctx.suffix)]
    assert max(counted) <= 512 * windows.MAX_CHARS_PER_TOKEN, "never a tokenizer pass over the whole line"


def test_the_suffix_of_a_long_cursor_line_is_cut_to_max_suffix_tokens():
    text = "def f():\n    x = compute(" + CURSOR + ", ".join(f"arg{i}" for i in range(300)) + ")\n    return x\n"
    doc, offset = open_doc(text, "python")
    ctx = context.build(doc, offset, ContextConfig(512, 16), words)
    assert ctx.suffix and words(ctx.suffix) <= 16, ctx.suffix


REAL = Path(__file__).parents[1] / "bench" / "data" / "real"


@pytest.mark.parametrize("path, language, line, header", [
    ("c/ujson-5.10.0/ultrajsonenc.c", "c", "      case 0x0b:", "    switch (*io)\n    {\n"),
    ("javascript/semver-7.6.3/semver.js", "javascript", "      default:", "    switch (release) {\n"),
])
def test_a_window_that_starts_inside_a_switch_keeps_the_switch_header(path, language, line, header):
    """Cases with no `switch` above them are broken code to the model and to the clean-up's
    syntax check (a right `}` was dropped for it)."""
    text = (REAL / path).read_text(encoding="utf-8")
    offset = text.index("\n" + line + "\n") + 1
    doc = DocumentStore().open(f"file:///real/{Path(path).name}", text, 1, language)
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, language, 200, 32)
    assert window.start > text.rindex(header, 0, offset)  # the window's text begins inside the switch
    assert header in window.prefix
    assert window.prefix.index(header) < len(window.prefix) - (offset - window.start)  # above the cases


@pytest.mark.parametrize("path, language, line, opened", [
    # A licence comment above the includes, too long to take whole.
    ("c/ujson-5.10.0/ultrajsondec.c", "c", "#include <limits.h>", "/*"),
    # A method's long docstring right above its first statement.
    ("python/requests-2.32.3/sessions.py", "python", "        req = Request(",
     '        """Constructs a :class:`Request <Request>`, prepares it and sends it.'),
])
def test_a_window_that_starts_inside_a_comment_or_string_opens_it_first(path, language, line, opened):
    """A window taking whole lines of a long comment or docstring began mid-comment: its prose
    and its closing `*/` or quotes read as broken code to the model and to the clean-up's
    syntax check (which then cut a right `#include <stdio.h>` to `#include <`)."""
    from ghostwright.text import syntax

    text = (REAL / path).read_text(encoding="utf-8")
    offset = text.index("\n" + line) + 1
    doc = DocumentStore().open(f"file:///real/{Path(path).name}", text, 1, language)
    window, _ = windows.build_windows(doc.text, offset, doc.syntax, language, 300, 32)
    assert text.rindex(opened, 0, offset) < window.start  # the window's own text begins inside it
    assert opened + "\n" in window.prefix
    assert syntax.error_count(syntax.parse_text(language, window.prefix + "\n")) == 0


@pytest.mark.parametrize("path, language, line, closed", [
    # Inside a licence comment longer than the suffix window.
    ("c/ujson-5.10.0/ultrajsondec.c", "c", "* Redistributions of source code must retain the above copyright", "*/"),
    # Inside a method's long docstring.
    ("python/requests-2.32.3/sessions.py", "python", ":param data: (optional) Dictionary, list of tuples, bytes, or file-like",
     '        """'),
])
def test_a_suffix_window_that_ends_inside_a_comment_or_string_closes_it(path, language, line, closed):
    """A suffix window ending mid-comment left an unterminated `/*` or quotes: the clean-up's
    syntax check read the prose typed there as broken code (a docstring's answer came out empty)."""
    from ghostwright.text import syntax

    text = (REAL / path).read_text(encoding="utf-8")
    offset = text.index(line) + len(line)
    doc = DocumentStore().open(f"file:///real/{Path(path).name}", text, 1, language)
    ctx = context.build(doc, offset, ContextConfig(300, 32), count_tokens=words)
    assert ctx is not None and ctx.in_string
    assert text.index(closed, offset) > offset + len(ctx.suffix)  # the end lies past the window
    assert ctx.suffix.rstrip().endswith(closed) and words(ctx.suffix) <= 32
    assert syntax.error_count(syntax.parse_text(language, ctx.prefix + ctx.suffix + "\n")) == 0
