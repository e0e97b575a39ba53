"""Through the LSP server with the real model: completions per language that stay in scope,
keep brackets balanced and do not repeat the code below the cursor."""

from __future__ import annotations

import pytest
import pytest_asyncio

from conftest import FAST, ready_session, requires_model
from ghostwright.text import lisp, syntax

pytestmark = [requires_model, pytest.mark.asyncio(loop_scope="module")]
CURSOR = "█"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    async with ready_session(FAST) as s:
        yield s


async def complete(s, name: str, language: str, text: str) -> tuple[str, str, str]:
    offset = text.index(CURSOR)
    before, after = text[:offset], text[offset + 1:]
    uri = f"file:///e2e/{name}"
    s.open(uri, before + after, language)
    line = before.count("\n")
    character = len(before) - before.rfind("\n") - 1
    result = await s.complete_async(uri, line, character)
    return before, (result.items[0].insert_text if result.items else ""), after


def errors(language: str, text: str) -> int:
    return syntax.error_count(syntax.parse_text(language, text))


async def test_python_method_body_stays_in_the_method(server):
    before, text, after = await complete(server, "shapes.py", "python", '''import math


class Circle:
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        """The area of the circle."""
        █

    def circumference(self) -> float:
        """The length of the circle's edge."""
        return 2 * math.pi * self.radius
''')
    assert text.strip()
    assert "def circumference" not in text
    assert all(len(l) - len(l.lstrip()) >= 8 for l in text.split("\n")[1:] if l.strip())
    assert errors("python", before + text + after) == 0


async def test_python_single_line_does_not_repeat_the_closers(server):
    before, text, after = await complete(server, "count.py", "python", '''def count_words(text: str) -> int:
    words = text.split()
    print(len(█))
    return len(words)
''')
    assert "\n" not in text
    assert errors("python", before + text + after) == 0


async def test_javascript_body_does_not_repeat_the_closing_brace(server):
    before, text, after = await complete(server, "sum.js", "javascript", '''// Adds the numbers in an array.
function sum(numbers) {
  █
}

module.exports = { sum };
''')
    assert text.strip()
    assert not text.rstrip().endswith("}\n}") and "module.exports" not in text
    assert errors("javascript", before + text + after) == 0


async def test_go_body_stays_in_the_function(server):
    before, text, after = await complete(server, "max.go", "go", '''package main

// Max returns the larger of a and b.
func Max(a, b int) int {
	if a > b {
		return a
	}
	█
}

func main() {
	println(Max(1, 2))
}
''')
    assert text.strip()
    assert "func main" not in text
    assert errors("go", before + text + after) == 0


async def test_emacs_lisp_completion_keeps_parens_balanced(server):
    before, text, after = await complete(server, "demo.el", "emacs-lisp", ''';;; demo.el --- demo -*- lexical-binding: t; -*-

(defun demo-add (a b)
  "Return the sum of A and B."
  (+ a █))

(provide 'demo)
''')
    assert text.strip()
    whole = lisp.read(before + text + after)
    assert whole.depth == 0 and whole.unmatched_close == 0
