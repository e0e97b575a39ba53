"""What the model sees around the cursor: the windows, the language, the completion mode and stops."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ghostwright.text import languages, lisp
from ghostwright.context import stops as language_stops, windows
from ghostwright.config import ContextConfig
from ghostwright.text.documents import Document
from ghostwright.text.languages import language_of
from ghostwright.text.syntax import SyntaxTree

log = logging.getLogger(__name__)

__all__ = ["Context", "build", "language_of", "mode"]

_WORD = re.compile(r"\w")
_CLOSERS = set(")]}\"'`;,: \t")
_STRINGY = re.compile(r"string|comment|heredoc|template|char")


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
    stops: tuple[str, ...] = ()  # the language's stop sequences for this position
    in_string: bool = False  # the cursor is inside a string or comment
    in_comment: bool = False  # inside a comment (prose: no brackets or syntax to keep)


def indent_width(line: str) -> int:
    """Columns of leading spaces and tabs (a tab counts one, as editors' LSP columns do)."""
    return len(line) - len(line.lstrip(" \t"))


def opener(language: str) -> re.Pattern:
    """What ends a line that opens a block whose body comes on the next lines."""
    return languages.get(language).block_opener


def quoted_kind(text: str, offset: int, tree: SyntaxTree | None, language: str) -> str:
    """"comment" or "string" when the cursor is inside one, else ""."""
    if languages.get(language).lisp:
        line_start = text.rfind("\n", 0, offset) + 1
        top = max(text.rfind("\n(", 0, offset) + 1, 0)
        r = lisp.read(text[min(top, line_start):offset])
        return "string" if r.in_string else "comment" if r.in_comment else ""
    if tree is None:
        return ""
    line_start = text.rfind("\n", 0, offset) + 1
    last = len(text[line_start:offset].rstrip())
    comment = languages.get(language).line_comment
    if comment and 0 < last < offset - line_start:
        # A line comment runs to the end of its line, but its node ends at its last non-blank
        # (`#: ` then the cursor): blanks after it are still inside it; a block comment's are not.
        node = tree.ancestors(line_start + last - 1)[0]
        if "comment" in node.type and text.startswith(comment, tree.to_offset(node.start_byte)):
            return "comment"
    for node in tree.ancestors(offset)[:4]:
        start, end = tree.to_offset(node.start_byte), tree.to_offset(node.end_byte)
        if "comment" in node.type and start < offset <= end:
            return "comment"
        if _STRINGY.search(node.type) and start < offset < end:
            return "string"
    return ""


def _next_code_line(text: str, offset: int) -> str | None:
    nl = text.find("\n", offset)
    while nl != -1:
        end = text.find("\n", nl + 1)
        line = text[nl + 1: len(text) if end == -1 else end]
        if line.strip():
            return line
        nl = end
    return None


def mode(line_prefix: str, line_suffix: str, language: str, in_string: bool,
         prev_line: str = "", next_line: str | None = None) -> str | None:
    """"single", "multi", or None where no completion makes sense.

    Multi-line after a block opener or in an empty body (nothing below at this depth); a
    blank line between statements of a body gets one line, like a mid-line cursor.
    """
    # Mid-word with more than closers to the right: the user is editing, not writing.
    if line_suffix and line_prefix and _WORD.match(line_prefix[-1]) and line_suffix[0] not in _CLOSERS:
        return None
    if in_string:
        return "single"
    lang = languages.get(language)
    pattern = lang.block_opener
    # Only closers to the right count as an empty rest after a brace or on a blank line
    # (electric pairs); between ( and ) the cursor is mid-expression.
    rest_blank = not line_suffix.strip() or (not line_suffix.strip(")]}\"' \t;,") and
                                             (line_prefix.rstrip().endswith("{") or not line_prefix.strip()))
    if not rest_blank:
        return "single"
    if lang.lisp:
        stripped = line_prefix.strip()
        # The head of a definition whose body comes next: (defun name (args)
        if stripped and re.match(r"\((cl-)?def\w*\s+\S+.*\)$", stripped) and lisp.read(line_prefix).depth > 0:
            return "multi"
        if stripped:
            return "single"
    elif line_prefix.strip():
        return "multi" if pattern.search(line_prefix) and not _has_body(line_prefix, next_line) else "single"
    # A blank line: multi-line unless statements of the same block follow right below.
    here = len(line_prefix)
    if prev_line.strip() and not lang.lisp and pattern.search(prev_line):
        here = max(here, indent_width(prev_line) + 1)
    elif prev_line.strip():
        here = max(here, indent_width(prev_line))
    if next_line is None or indent_width(next_line) < here or not next_line.strip():
        return "multi"
    if next_line.strip()[:1] in ")]}" or next_line.strip().startswith(("end", "fi", "done", "esac")):
        return "multi"
    return "single"


def _has_body(line_prefix: str, next_line: str | None) -> bool:
    """The block this line opens already has statements below it."""
    return next_line is not None and indent_width(next_line) > indent_width(line_prefix) \
        and next_line.strip()[:1] not in ")]}"


# The suffix window ends where a whole statement or definition ends; when the next one is
# larger than its budget, it would hold only the rest of the cursor line, and neither the model
# nor the syntax check would see what follows (the class a decorator belongs to, the body under
# the line being written). It keeps the lines that follow in the same paragraph of the same
# block, up to this many, within budget: not past a blank line or a dedent, where the start of
# another definition would invite the model to write that one's body.
MIN_SUFFIX_LINES = 4


def _with_next_lines(text: str, offset: int, suffix: str, budget: int,
                     count_tokens: windows.TokenCounter | None) -> str:
    if budget <= 0 or suffix.count("\n") >= MIN_SUFFIX_LINES:
        return suffix
    line_start = text.rfind("\n", 0, offset) + 1
    indent = indent_width(text[line_start:offset]) if text[line_start:offset].strip() else offset - line_start
    end = text.find("\n", offset)
    if end == -1:
        return suffix
    for _ in range(MIN_SUFFIX_LINES):
        nl = text.find("\n", end + 1)
        line = text[end + 1: len(text) if nl == -1 else nl]
        if not line.strip() or indent_width(line) < indent:
            break
        end = len(text) if nl == -1 else nl
    longer = text[offset:end]
    # Longer than any budget can hold (a minified line): not worth a tokenizer pass to learn it.
    if len(longer) <= len(suffix) or len(longer) > budget * windows.MAX_CHARS_PER_TOKEN:
        return suffix
    count = count_tokens or windows.char_tokens
    return longer if count(longer) <= budget else suffix


def mode_at(doc: Document, offset: int) -> tuple[str | None, str]:
    """The completion mode at `offset` ("single", "multi", or None where a completion makes no
    sense) and what the cursor is quoted in: known before any context is gathered, and handed
    to `build` so it is not worked out twice."""
    text = doc.text
    language = language_of(doc.language_id, doc.uri)
    tree = doc.syntax if isinstance(doc.syntax, SyntaxTree) else None
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    quoted_in = quoted_kind(text, offset, tree, language)
    prev_line = text[:line_start].rstrip("\n").rsplit("\n", 1)[-1] if line_start else ""
    kind = mode(text[line_start:offset], text[offset:line_end], language, bool(quoted_in), prev_line,
                _next_code_line(text, offset))
    return kind, quoted_in


def build(doc: Document, offset: int, config: ContextConfig,
          count_tokens: windows.TokenCounter | None = None,
          count_each: windows.BatchCounter | None = None,
          mode: tuple[str | None, str] | None = None) -> Context | None:
    """The context at `offset`, or None where a completion makes no sense; `mode` is `mode_at`'s
    answer when the caller has it."""
    text = doc.text
    language = language_of(doc.language_id, doc.uri)
    tree = doc.syntax if isinstance(doc.syntax, SyntaxTree) else None
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_prefix = text[line_start:offset]
    line_suffix = text[offset:len(text) if line_end == -1 else line_end]
    kind, quoted_in = mode if mode is not None else mode_at(doc, offset)
    if kind is None:
        return None
    quoted = bool(quoted_in)
    multiline = kind == "multi"

    anchor = getattr(doc, "window_anchor", None)
    try:
        window, anchor = windows.build_windows(
            text, offset, tree, language, config.max_prefix_tokens, config.max_suffix_tokens,
            count_tokens, anchor, count_each)
    except Exception:  # a surprise in the tree costs the syntax-aware cut, not the completion
        log.exception("syntax-aware windows failed at %s:%d; using whole lines", doc.uri, offset)
        window, anchor = windows.build_windows(
            text, offset, None, "", config.max_prefix_tokens, config.max_suffix_tokens, count_tokens,
            count_each=count_each)
    try:
        doc.window_anchor = anchor  # kept on the document so the next request starts from it
    except AttributeError:
        pass
    suffix = _with_next_lines(text, offset, window.suffix, config.max_suffix_tokens, count_tokens)
    if tree is not None:
        count = windows.line_tokens(count_tokens, count_each) if count_tokens is not None else windows.char_tokens
        try:
            suffix = windows.closed_suffix(text, offset, suffix, tree, config.max_suffix_tokens, count)
        except Exception:  # a surprise in the tree costs the closing, not the completion
            log.exception("closing the suffix window failed at %s:%d", doc.uri, offset)

    pattern = opener(language)
    indent = indent_width(line_prefix) if line_prefix.strip() else len(line_prefix)
    if not line_prefix.strip():
        # On a blank line, the block is the deeper of this line and the previous code line.
        prev = text[:line_start].rstrip("\n").rsplit("\n", 1)[-1]
        if prev.strip():
            prev_indent = indent_width(prev)
            indent = max(indent, prev_indent + (1 if pattern.search(prev) else 0))
    elif multiline:
        indent += 1

    return Context(
        prefix=window.prefix,
        suffix=suffix,
        language=language,
        multiline=multiline,
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        block_indent=indent,
        offset=offset,
        stops=language_stops.for_position(language, multiline, indent),
        in_string=quoted,
        in_comment=quoted_in == "comment",
    )
