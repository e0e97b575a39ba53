"""Stop sequences per language: where a completion at this position has said enough."""

from __future__ import annotations

# Keywords that begin a new top-level definition: a completion that reaches one at column 0
# has finished the thing the user was writing.
_TOP_LEVEL = {
    "python": ("def ", "class ", "async def ", "@", "if __name__"),
    "javascript": ("function ", "class ", "export ", "import ", "const ", "let "),
    "typescript": ("function ", "class ", "export ", "import ", "interface ", "type "),
    "go": ("func ", "type ", "var ", "const ", "import "),
    "rust": ("fn ", "pub ", "impl ", "struct ", "enum ", "mod ", "use ", "#["),
    "c": ("#include", "#define", "static ", "typedef "),
    "cpp": ("#include", "#define", "static ", "typedef ", "namespace ", "template"),
    "java": ("public ", "private ", "protected ", "class ", "import "),
    "lua": ("function ", "local function "),
    "shellscript": ("function ",),
    "ruby": ("def ", "class ", "module "),
    "emacs-lisp": ("(defun ", "(defvar ", "(defcustom ", "(defmacro ", "(provide ", "(require "),
}
_TOP_LEVEL["javascriptreact"] = _TOP_LEVEL["javascript"]
_TOP_LEVEL["typescriptreact"] = _TOP_LEVEL["typescript"]

LINE_COMMENT = {
    "python": "#", "shellscript": "#", "ruby": "#", "yaml": "#", "toml": "#",
    "javascript": "//", "javascriptreact": "//", "typescript": "//", "typescriptreact": "//",
    "go": "//", "rust": "//", "c": "//", "cpp": "//", "java": "//", "json": "//",
    "lua": "--", "emacs-lisp": ";",
}


def for_position(language: str, multiline: bool, block_indent: int) -> tuple[str, ...]:
    """Stops for a completion in `language`; only multi-line completions need any (single-line
    ones end at the newline)."""
    if not multiline:
        return ()
    stops: list[str] = ["\n\n\n"]  # two blank lines: the model has moved on to something else
    comment = LINE_COMMENT.get(language)
    if comment:
        # A comment at column 0 after code starts a new section, not more of this one.
        stops.append(f"\n{comment}")
    if block_indent == 0:
        # At the top level, one definition at a time: stop where the next one begins.
        stops += [f"\n{kw}" for kw in _TOP_LEVEL.get(language, ())]
    return tuple(stops)
