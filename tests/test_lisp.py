"""The Emacs Lisp reader counts only real parens: not those in strings, comments or ?\\( literals."""

from ghostwright.text import lisp


def test_parens_in_strings_comments_and_character_literals_do_not_count():
    code = '(defun f (c)\n  "A doc with ( and \\" inside."\n  ; a comment (\n  (memq c \'(?\\( ?\\) ?a)))\n'
    r = lisp.read(code)
    assert (r.depth, r.unmatched_close, r.in_string, r.in_comment) == (0, 0, False, False)


def test_open_forms_and_strings_are_reported_at_the_end():
    assert lisp.read("(let ((x 1))\n  (message \"hi").in_string
    assert lisp.read("(let ((x 1))\n  (message x").depth == 2
    assert lisp.read("(foo) ; trailing (").in_comment
    assert lisp.read("x))").unmatched_close == 2


def test_control_and_meta_character_literals():
    assert lisp.read("(define-key map ?\\C-x #'foo)").depth == 0
    assert lisp.read("(list ?\\M-\\( ?\\\\)").depth == 0


def test_a_question_mark_inside_a_symbol_is_not_a_character_literal():
    assert lisp.read("(when (empty? x) (foo))").depth == 0
