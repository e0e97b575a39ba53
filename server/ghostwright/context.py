"""What the model sees around the cursor: the windows, the language, and the completion mode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from ghostwright.config import ContextConfig
from ghostwright.documents import Document

# Rough model tokens per character of source code, until windows are cut in real tokens.
CHARS_PER_TOKEN = 3.5

_EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascript", ".ts": "typescript", ".tsx": "typescriptreact", ".go": "go", ".rs": "rust",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".java": "java",
    ".lua": "lua", ".sh": "shellscript", ".bash": "shellscript", ".rb": "ruby", ".json": "json",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".el": "emacs-lisp",
}
_ALIASES = {"shell": "shellscript", "sh": "shellscript", "bash": "shellscript", "elisp": "emacs-lisp",
            "emacs-lisp": "emacs-lisp", "js": "javascript", "ts": "typescript", "c++": "cpp", "golang": "go"}
_BLOCK_OPENER = re.compile(r"(:|\{|\(|\[|=>|\bdo|\bthen)\s*$")
_CLOSERS = set(")]}\"'`;,: \t")


def language_of(language_id: str, uri: str) -> str:
    if language_id:
        lowered = language_id.lower()
        return _ALIASES.get(lowered, lowered)
    path = PurePosixPath(unquote(urlparse(uri).path))
    return _EXTENSIONS.get(path.suffix.lower(), "")


@dataclass(frozen=True)
class Context:
    prefix: str
    suffix: str
    language: str
    multiline: bool
    line_prefix: str  # the cursor line, left of the cursor
    line_suffix: str  # the cursor line, right of the cursor
    block_indent: int  # columns a completion's continuation lines must keep to stay in scope
    offset: int  # the cursor, in code points


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def build(doc: Document, offset: int, config: ContextConfig) -> Context | None:
    """The context at `offset`, or None where a completion makes no sense."""
    text = doc.text
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    line_prefix = text[line_start:offset]
    line_suffix = text[offset:line_end]

    # Text other than closers right of the cursor: the user is editing, not writing.
    rest = line_suffix.lstrip(" \t")
    if rest and rest[0] not in _CLOSERS:
        return None

    max_prefix = int(config.max_prefix_tokens * CHARS_PER_TOKEN)
    max_suffix = int(config.max_suffix_tokens * CHARS_PER_TOKEN)
    # Whole lines only, so the window's first line does not move with each keystroke.
    start = max(0, offset - max_prefix)
    if start > 0:
        nl = text.find("\n", start)
        start = nl + 1 if nl != -1 and nl < line_start else line_start
    end = min(len(text), offset + max_suffix)
    if end < len(text):
        nl = text.rfind("\n", offset, end)
        end = nl + 1 if nl != -1 else line_end

    rest_blank = not line_suffix.strip()
    opener = bool(_BLOCK_OPENER.search(line_prefix))
    multiline = rest_blank and (not line_prefix.strip() or opener)
    indent = _indent_width(line_prefix) if line_prefix.strip() else len(line_prefix)
    if not line_prefix.strip():
        # On a blank line, the block is the deeper of this line and the previous code line.
        prev = text[:line_start].rstrip("\n").rsplit("\n", 1)[-1]
        if prev.strip():
            prev_indent = _indent_width(prev)
            indent = max(indent, prev_indent + (1 if _BLOCK_OPENER.search(prev) else 0))
    elif opener:
        indent += 1

    return Context(
        prefix=text[start:offset],
        suffix=text[offset:end],
        language=language_of(doc.language_id, doc.uri),
        multiline=multiline,
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        block_indent=indent,
        offset=offset,
    )
