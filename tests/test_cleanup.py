"""Each clean-up step on cases a user would see, then the whole chain on partials and finals."""

from __future__ import annotations

from ghostwright import cleanup, context
from ghostwright.config import ContextConfig
from ghostwright.documents import DocumentStore

CURSOR = "█"
QWEN_STOPS = ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>")


def ctx_of(text: str, language: str = "python"):
    offset = text.index(CURSOR)
    doc = DocumentStore().open("file:///x", text.replace(CURSOR, ""), 1, language)
    ctx = context.build(doc, offset, ContextConfig())
    assert ctx is not None
    return ctx


def test_model_end_tokens_cut_the_text():
    assert cleanup.cut_at_stops("return x<|endoftext|>junk", QWEN_STOPS) == ("return x", True)


def test_language_stops_ignore_the_leading_blank_lines():
    stops = ("\ndef ",)
    assert cleanup.cut_at_stops("\ndef f():\n    pass\n\ndef g", stops, skip_leading=True) == \
        ("\ndef f():\n    pass\n", True)


def test_repeated_indentation_is_dropped():
    ctx = ctx_of("def area(self):\n        █\n")
    assert cleanup.strip_repeated_indent("    return self.r ** 2", ctx) == "return self.r ** 2"


def test_single_line_mode_ends_at_the_newline():
    ctx = ctx_of("total = █\n")
    assert cleanup.cut_single_line("sum(xs)\nprint(total)", ctx) == ("sum(xs)", True)


def test_leaving_the_scope_cuts_before_the_dedented_line():
    ctx = ctx_of("class A:\n    def f(self):\n        █\n")
    text = "x = 1\n        return x\n    def g(self):\n        pass"
    assert cleanup.cut_at_dedent(text, ctx) == ("x = 1\n        return x", True)


def test_a_blank_line_then_a_dedent_ends_the_completion():
    ctx = ctx_of("def f(items):\n    for x in items:\n        █\n")
    text = "print(x)\n\n    return len(items)"
    assert cleanup.cut_after_blank_dedent(text, ctx) == ("print(x)", True)


def test_closers_already_right_of_the_cursor_are_not_repeated():
    ctx = ctx_of("print(len(█))\n")
    assert cleanup.drop_suffix_overlap("items))", ctx) == "items"


def test_lines_already_below_the_cursor_are_not_repeated():
    ctx = ctx_of("def f(x):\n    █\n    return y\n")
    assert cleanup.drop_suffix_overlap("y = x * 2\n    return y", ctx) == "y = x * 2"
    multi = ctx_of("def f(x):\n    y = 0\n    █\n\n\ndef g():\n    return 1\n")
    assert cleanup.drop_suffix_overlap("y = x * 2\n    return y\n\n\ndef g():\n    return 1", multi) == \
        "y = x * 2\n    return y"


def test_javascript_closing_brace_below_is_not_repeated():
    ctx = ctx_of("function f(a) {\n  █\n}\n", "javascript")
    assert cleanup.drop_suffix_overlap("return a + 1;\n}", ctx) == "return a + 1;"


def test_trailing_whitespace_is_trimmed_on_every_line():
    assert cleanup.trim_trailing_whitespace("x = 1   \n    y = 2\t\n  ") == "x = 1\n    y = 2"


def test_brackets_the_prefix_did_not_open_are_never_closed():
    ctx = ctx_of("values = [1, 2, 3]\nprint(█\n")
    assert cleanup.balance_brackets("values))", ctx, final=True) == ("values)", True)


def test_own_unclosed_brackets_are_cut_back_in_a_final_multi_line_completion():
    ctx = ctx_of("def f(xs):\n    █\n")
    text = "total = sum(xs)\n    return max(total,"
    assert cleanup.balance_brackets(text, ctx, final=True) == ("total = sum(xs)\n    return max", False)
    # A partial may still be on its way to the closer.
    assert cleanup.balance_brackets(text, ctx, final=False) == (text, False)


def test_brackets_inside_strings_and_comments_do_not_count():
    ctx = ctx_of("def f():\n    █\n")
    text = 'print("(")  # )\n    return ")"'
    assert cleanup.balance_brackets(text, ctx, final=True) == (text, False)


def test_rust_lifetimes_are_not_quotes():
    ctx = ctx_of("fn f<'a>(x: &'a str) -> &'a str {\n    █\n}\n", "rust")
    assert cleanup.balance_brackets("let y: &'a str = &x[..];\n    y", ctx, final=True)[0] == \
        "let y: &'a str = &x[..];\n    y"


def test_lisp_parens_stay_balanced_with_the_closers_after_the_cursor():
    ctx = ctx_of("(defun demo (x)\n  █)\n", "emacs-lisp")
    # The defun's own ) is already after the cursor: a completion closing it again is cut.
    assert cleanup.balance_brackets('(message "%s" x))', ctx, final=True) == ('(message "%s" x)', True)


def test_lisp_character_literals_and_strings_do_not_count_as_parens():
    ctx = ctx_of("(defun demo (c)\n  █)\n", "emacs-lisp")
    text = '(if (eq c ?\\() "(" ?\\))'
    assert cleanup.balance_brackets(text, ctx, final=True) == (text, False)


def test_lisp_without_closers_after_the_cursor_may_close_the_form():
    ctx = ctx_of("(defun demo (x)\n  █\n", "emacs-lisp")
    assert cleanup.balance_brackets("(* x 2))\n\n(provide 'demo))", ctx, final=True) == \
        ("(* x 2))\n\n(provide 'demo)", True)


def test_the_reparse_keeps_the_longest_cut_that_adds_no_syntax_error():
    ctx = ctx_of("def f(xs):\n    █\n")
    text = "total = sum(xs)\n    return total\n    if total >"
    assert cleanup.best_syntax_cut(text, ctx) == "total = sum(xs)\n    return total"


def test_the_reparse_accepts_a_completion_that_fixes_the_hole():
    ctx = ctx_of("def f(xs):\n    for x in xs:\n        █\n    return xs\n")
    assert cleanup.best_syntax_cut("x += 1\n        print(x)", ctx) == "x += 1\n        print(x)"


def test_the_syntax_check_of_a_long_construct_still_sees_the_bracket_it_closes():
    """The check reparses only the small node around the cursor; a closer for a bracket opened
    long before that node is confirmed on the whole window, not cut."""
    rows = "".join(f"    'key{i}': compute({i}, scale=2),\n" for i in range(60))
    ctx = ctx_of("TABLE = dict(\n" + rows + "    last=█\n")
    assert cleanup.best_syntax_cut("compute(60))", ctx) == "compute(60))"


def test_a_completion_that_breaks_the_syntax_at_every_cut_is_dropped():
    ctx = ctx_of("func Max(a, b int) int {\n\t█\n}\n", "go")
    assert cleanup.best_syntax_cut("return a if a > b else b", ctx) == ""
    assert cleanup.best_syntax_cut("return max(a, b)", ctx) == "return max(a, b)"


def test_completions_that_only_repeat_the_adjacent_lines_are_dropped():
    ctx = ctx_of("def f(x):\n    y = x + 1\n    █\n    return y\n")
    assert cleanup.drop_repetition("y = x + 1", ctx) == ""
    assert cleanup.drop_repetition("return y", ctx) == ""
    assert cleanup.drop_repetition("z = y * 2", ctx) == "z = y * 2"


def test_a_common_line_further_away_may_recur():
    ctx = ctx_of("def f(xs):\n    if not xs:\n        return False\n    for x in xs:\n        if x < 0:\n"
                 "            █\n    return True\n")
    assert cleanup.drop_repetition("return False", ctx) == "return False"


def test_the_whole_chain_on_a_real_model_answer():
    ctx = ctx_of("class Circle:\n    def area(self):\n        █\n\n    def circumference(self):\n"
                 "        return 2 * math.pi * self.radius\n")
    raw = ("    return math.pi * self.radius ** 2   \n\n    def circumference(self):\n"
           "        return 2 * math.pi * self.radius<|endoftext|>")
    assert cleanup.clean(raw, ctx, QWEN_STOPS) == cleanup.Cleaned("return math.pi * self.radius ** 2", True)


def test_partials_go_through_the_same_steps():
    ctx = ctx_of("print(len(█))\n")
    partial = cleanup.clean("items))  ", ctx, QWEN_STOPS, final=False)
    assert partial.text == "items"
