"""Completion mode from syntax, and stop sequences per language and per model family."""

from __future__ import annotations

import pytest

from ghostwright.context import cursor as context, prompts, stops
from ghostwright.config import ContextConfig, Config, apply_settings
from ghostwright.text.documents import DocumentStore

CURSOR = "█"


def ctx_of(text: str, language: str):
    offset = text.index(CURSOR)
    doc = DocumentStore().open("file:///x", text.replace(CURSOR, ""), 1, language)
    return context.build(doc, offset, ContextConfig())


def kind(text: str, language: str) -> str | None:
    ctx = ctx_of(text, language)
    return None if ctx is None else ("multi" if ctx.multiline else "single")


@pytest.mark.parametrize("language, text, expected", [
    # After a block opener: the body comes next, several lines.
    ("python", "def area(self):\n    █\n", "multi"),
    ("python", "for x in items:█\n", "multi"),
    ("javascript", "function f(a) {\n  █\n}\n", "multi"),
    ("go", "func main() {\n\t█\n}\n", "multi"),
    ("rust", "fn main() {█}\n", "multi"),
    ("c", "int main(void) {\n  █\n}\n", "multi"),
    ("lua", "local function f(x)\n  █\nend\n", "multi"),
    ("ruby", "def f(x)\n  █\nend\n", "multi"),
    ("shellscript", "if [ -f x ]; then\n  █\nfi\n", "multi"),
    ("emacs-lisp", "(defun demo (x)\n  █)\n", "multi"),
    ("emacs-lisp", "(defun demo (x)█\n", "multi"),
    # At the end of a body: more may follow.
    ("python", "def f(x):\n    y = x + 1\n    █\n\ndef g():\n    pass\n", "multi"),
    # A blank line between statements of a body: one statement fills the gap.
    ("python", "def f(x):\n    y = x + 1\n    █\n    return y\n", "single"),
    ("javascript", "function f(a) {\n  const b = 1;\n  █\n  return b;\n}\n", "single"),
    # Mid-expression and mid-line.
    ("python", "total = sum(█)\n", "single"),
    ("python", "total = █\n", "single"),
    ("go", "\tfmt.Println(█)\n", "single"),
    ("emacs-lisp", "(setq x (+ 1 █))\n", "single"),
    # Inside a string or a comment: the rest of this line at most.
    ("python", 'x = "hello █"\n', "single"),
    ("python", "# a note about █\n", "single"),
    ("javascript", "// explains █\nfoo();\n", "single"),
    ("emacs-lisp", '(message "done: █")\n', "single"),
    # In the middle of a word with more word to the right: the user is editing.
    ("python", "resu█lt = 1\n", None),
    ("go", "fmt.Pri█ntln(x)\n", None),
])
def test_mode_follows_the_syntax_at_the_cursor(language, text, expected):
    assert kind(text, language) == expected


def test_an_open_line_at_the_top_of_an_existing_body_gets_one_statement():
    assert kind("def f(x):\n    █\n    return x\n", "python") == "single"


def test_python_top_level_stops_at_the_next_definition():
    ctx = ctx_of("import os\n\n█\n", "python")
    assert ctx.multiline
    assert "\ndef " in ctx.stops and "\nclass " in ctx.stops and "\n#" in ctx.stops


def test_inside_a_body_there_are_no_top_level_keyword_stops():
    ctx = ctx_of("def f(x):\n    █\n", "python")
    assert "\ndef " not in ctx.stops
    assert "\n\n\n" in ctx.stops


@pytest.mark.parametrize("language, comment", [("go", "\n//"), ("lua", "\n--"), ("emacs-lisp", "\n;"),
                                               ("ruby", "\n#")])
def test_column_zero_comments_stop_multi_line_completions(language, comment):
    assert comment in stops.for_position(language, True, 0)


def test_single_line_completions_need_no_stop_strings():
    assert stops.for_position("python", False, 4) == ()


@pytest.mark.parametrize("name, template", [
    ("Qwen2.5-Coder-0.5B-Instruct", "qwen2.5-coder"),
    ("deepseek-coder-6.7b-base", "deepseek-coder"),
    ("DeepSeek-Coder-V2-Lite-Base", "deepseek-coder-v2"),
    ("starcoder2-3b", "starcoder"),
    ("CodeLlama-7b-hf", "codellama"),
    ("Codestral-22B-v0.1", "codestral"),
    ("codegemma-2b", "codegemma"),
    ("SmolLM2-135M-Instruct", "plain"),
])
def test_templates_are_detected_from_the_model_name(name, template):
    assert prompts.detect_template(name).name == template


@pytest.mark.parametrize("template, expected", [
    ("qwen2.5-coder", "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"),
    ("deepseek-coder", "<｜fim▁begin｜>P<｜fim▁hole｜>S<｜fim▁end｜>"),
    ("deepseek-coder-v2", "<｜fim▁begin｜>P<｜fim▁hole｜>S<｜fim▁end｜>"),
    ("starcoder", "<fim_prefix>P<fim_suffix>S<fim_middle>"),
    ("codellama", "<PRE> P <SUF>S <MID>"),
    ("codestral", "[SUFFIX]S[PREFIX]P"),
    ("codegemma", "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"),
    ("plain", "P"),
])
def test_each_family_renders_its_documented_fim_layout(template, expected):
    assert prompts.TEMPLATES[template].render("P", "S") == expected


def test_the_template_can_be_chosen_in_config():
    config = Config()
    assert apply_settings(config, {"completion": {"template": "starcoder"}}, "test") == []
    assert config.completion.template == "starcoder"
    assert apply_settings(config, {"completion": {"template": "gpt"}}, "test")
    assert config.completion.template == "starcoder"


REAL = __import__("pathlib").Path(__file__).parent / "bench" / "data" / "real"


def _hole(path: str, line_no: int, language: str) -> context.Context:
    """The context at line `line_no` (1-based) of a real file, the line taken out from its indentation."""
    text = (REAL / path).read_text(encoding="utf-8")
    lines = text.split("\n")
    line = lines[line_no - 1]
    start = sum(len(l) + 1 for l in lines[: line_no - 1]) + len(line) - len(line.lstrip())
    doc = DocumentStore().open("file:///real/x", text[:start] + text[start + len(line.lstrip()):], 1, language)
    ctx = context.build(doc, start, ContextConfig())
    assert ctx is not None
    return ctx


def test_the_suffix_shows_what_a_decorator_belongs_to_even_when_it_is_too_big_to_take_whole():
    ctx = _hole("python/attrs-24.2.0/validators.py", 129, "python")  # @attrs(...) above a long class
    assert ctx.suffix.startswith("\nclass _MatchesReValidator:\n    pattern = attrib()")


def test_the_suffix_does_not_show_the_head_of_the_next_definition_past_a_blank_line():
    """The start of another definition invites the model to write that one's body."""
    ctx = ctx_of('def a(n):\n    """Double."""\n    █\n\n\ndef solve(N):\n    """Sum the digits of N."""\n'
                 + "    x = 1\n" * 200, "python")
    assert "def solve" not in ctx.suffix and "Sum the digits" not in ctx.suffix
