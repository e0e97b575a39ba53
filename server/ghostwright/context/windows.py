"""Prefix and suffix windows in model tokens, cut at syntax boundaries, with a start that stays put."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ghostwright.text import languages
from ghostwright.text.syntax import SyntaxTree

TokenCounter = Callable[[str], int]
BatchCounter = Callable[[list[str]], list[int]]

# Used only when the backend has no tokenizer: source code runs about 3.5 characters per token.
CHARS_PER_TOKEN = 3.5
# No tokenizer packs more than this many characters of code into one token: a cheap first cut.
MAX_CHARS_PER_TOKEN = 8
# A new window start leaves this share of the budget free, so the user can type on before it moves.
FILL = 0.8
# The file's imports join the prompt when they take at most this share of the budget.
IMPORTS_SHARE = 0.25
# The file's head, where its imports are looked for, ends at this many top-level statements.
HEAD_STATEMENTS = 200

_DEFINITION = re.compile(r"function|method|class|impl|trait|interface|struct|module|namespace|enum|macro")
# Blocks whose lines mean nothing without their header: a `case` with no `switch` above it reads
# as broken code, to the model and to the clean-up's syntax check.
_HEADED = re.compile(_DEFINITION.pattern + r"|switch_statement|switch_expression")
# Nodes whose inside is prose to a parser: a window that starts within one must say where it opened.
_PROSE = re.compile(r"comment|string|heredoc")
_IMPORT = re.compile(r"import|include|use_declaration|package_clause|package_declaration|extern_crate")
_HEADER_GAP = "\n"


def char_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN + 0.999)


class LineTokens:
    """Counts with the model's tokenizer one line at a time and remembers each line's count, so
    the next request on the same file tokenizes only the lines that changed. A sum over lines
    can only overcount a joint tokenization (a merge across a newline is lost), never under.

    Lines not seen yet are counted in one batch when the tokenizer offers one: a call costs far
    more than a line, and the first request in a part of a large file meets a window of them."""

    # `size` lines: many times what a request's windows hold over all open files, so typing
    # never misses, yet a bound on the memory a long session's distinct lines would take
    # (docs/robustness.md has the figures).
    def __init__(self, count: TokenCounter, count_each: BatchCounter | None = None, size: int = 10_000) -> None:
        self.count = count
        self._each = count_each
        self._size = size
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        lines = text.splitlines(keepends=True)
        self.learn(lines)
        cache = self._cache
        return sum(cache[line] for line in lines)

    def learn(self, lines: list[str]) -> None:
        """Count the lines not counted yet, in one batch."""
        cache = self._cache
        missing = [line for line in dict.fromkeys(lines) if line not in cache]
        if not missing:
            return
        if len(cache) + len(missing) > self._size:
            cache.clear()
        counts = self._each(missing) if self._each is not None and len(missing) > 1 else \
            [self.count(line) for line in missing]
        cache.update(zip(missing, counts))

    def bound(self, part: str, slack: int) -> int:
        """At least the tokens of `part` (a line being typed): a counted start of it plus one per
        byte after (no tokenizer makes a token of less than a byte), counted afresh when more
        than `slack` bytes were typed since."""
        cache = self._cache
        # Only a start within `slack` characters of the end can leave `slack` bytes or fewer:
        # longer lines are not sliced at every length on every key.
        for cut in range(len(part), max(0, len(part) - slack - 1), -1):
            n = cache.get(part[:cut])
            if n is not None:
                rest = len(part[cut:].encode("utf-8", "surrogatepass"))
                if rest <= slack:
                    return n + rest
                break
        return self(part)


def line_tokens(count: TokenCounter, count_each: BatchCounter | None = None) -> LineTokens:
    """One remembering counter per tokenizer (per backend), kept on the backend itself.

    Not in a module-level cache: one keyed by `backend.count_tokens` would keep every replaced
    backend, and with it its loaded model, alive after a configuration change."""
    owner = getattr(count, "__self__", None)
    if owner is None:
        return LineTokens(count, count_each)
    found = getattr(owner, "_line_tokens", None)
    if found is None or found.count != count:
        found = LineTokens(count, count_each)
        owner._line_tokens = found
    return found


@dataclass
class WindowStart:
    """Where the last prefix window started, and the text there, to keep it while it still fits."""

    start: int
    head: str


@dataclass(frozen=True)
class Window:
    prefix: str  # imports and headers (when cut away), then the text from `start` to the cursor
    suffix: str
    start: int  # offset of the first character of the contiguous prefix text
    end: int  # offset after the last character of the suffix


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _starts_line(text: str, offset: int) -> bool:
    ls = _line_start(text, offset)
    return not text[ls:offset].strip()


def _children_near(node: Any, lo_byte: int, hi_byte: int) -> Iterator[Any]:
    """Named children of `node` that end after `lo_byte`, up to the first that starts past `hi_byte`.

    A module of thousands of statements is walked only where a window can reach, not whole."""
    cursor = node.walk()
    if cursor.goto_first_child_for_byte(lo_byte) is None:
        return
    while True:
        child = cursor.node
        if child.start_byte > hi_byte:
            return
        if child.is_named:
            yield child
        if not cursor.goto_next_sibling():
            return


def _boundaries(text: str, offset: int, tree: SyntaxTree | None, language: str,
                reach: tuple[int, int] | None = None) -> tuple[list[int], list[int]]:
    """Line starts where a whole statement or definition begins: before and after the cursor,
    within `reach` (code points before and after it) when given."""
    cursor_line = _line_start(text, offset)
    before: set[int] = {cursor_line}
    after: set[int] = set()
    nl = text.find("\n", offset)
    after.add(len(text) if nl == -1 else nl + 1)
    if tree is not None:
        lo = tree.to_byte(max(0, offset - reach[0])) if reach else 0
        hi = tree.to_byte(min(len(text), offset + reach[1])) if reach else len(text) * 4
        for node in tree.ancestors(offset):
            for child in _children_near(node, lo, hi):
                s, e = tree.to_offset(child.start_byte), tree.to_offset(child.end_byte)
                if not _starts_line(text, s):
                    continue
                if s <= cursor_line:
                    before.add(_line_start(text, s))
                elif s > offset:
                    after.add(_line_start(text, s))
                if e > offset:
                    nl = text.find("\n", e)
                    after.add(len(text) if nl == -1 else nl + 1)
    elif languages.get(language).lisp:
        # Top-level forms start at column 0 by Lisp convention: cut only there.
        for m in re.finditer(r"^[(;]", text[:cursor_line], re.M):
            before.add(m.start())
        for m in re.finditer(r"^[(;]", text[offset:], re.M):
            after.add(offset + m.start())
    else:
        # No grammar: every line is a boundary, and lines at lower indentation are preferred by
        # nothing more than the budget (the fallback never fails).
        before.update(_line_starts_between(text, 0, cursor_line))
        pos = offset
        while True:
            nl = text.find("\n", pos)
            if nl == -1:
                after.add(len(text))
                break
            after.add(nl + 1)
            pos = nl + 1
    after.add(len(text))
    return sorted(before), sorted(after)


def _line_starts_between(text: str, lo: int, hi: int) -> list[int]:
    """Line starts in [lo, hi), ascending."""
    out = []
    pos = text.find("\n", lo - 1) + 1 if lo > 0 else 0
    while pos < hi:
        out.append(pos)
        nl = text.find("\n", pos)
        if nl == -1:
            break
        pos = nl + 1
    return out


def _largest_fit(candidates: list[int], fits: Callable[[int], bool]) -> int:
    """Index of the first candidate that fits, given that fitting is monotone (later ones fit)."""
    lo, hi = 0, len(candidates) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(candidates[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def headers(text: str, offset: int, start: int, tree: SyntaxTree | None) -> list[str]:
    """The header lines of each definition (and `switch`) that encloses the cursor but begins
    before `start`."""
    if tree is None:
        return []
    out: list[str] = []
    for node in reversed(tree.ancestors(offset)):
        if not _HEADED.search(node.type):
            continue
        body = node.child_by_field_name("body")
        s = tree.to_offset(node.start_byte)
        if body is None or s >= start:
            continue
        b = tree.to_offset(body.start_byte)
        if b > offset:
            continue
        # A body that opens on its header's line ({, do) belongs to the header's last line.
        end = _line_start(text, b) if _starts_line(text, b) and text[b] != "{" else text.find("\n", b) + 1
        if end <= 0 or end > start:
            end = start
        header = text[_line_start(text, s):end]
        if header.strip():
            out.append(header if header.endswith("\n") else header + "\n")
    return out


def _prose_around(tree: SyntaxTree, at: int) -> Any:
    """The outermost comment or string that `at` falls strictly inside, or None."""
    byte = tree.to_byte(at)
    node, outer = tree.tree.root_node.descendant_for_byte_range(byte, byte), None
    while node is not None:
        if node.start_byte < byte < node.end_byte and _PROSE.search(node.type):
            outer = node
        node = node.parent
    return outer


def opening(text: str, start: int, tree: SyntaxTree | None) -> str:
    """The first line of the comment or string that `start` falls inside (a long licence comment,
    a docstring taken by whole lines): without it the window opens mid-comment, and the model
    and the clean-up's syntax check read its prose and its closing `*/` or quotes as code."""
    if tree is None or start <= 0:
        return ""
    outer = _prose_around(tree, start)
    if outer is None:
        return ""
    s = tree.to_offset(outer.start_byte)
    end = text.find("\n", s)
    return text[_line_start(text, s):end + 1] if end != -1 and end < start else ""


def closing(text: str, end: int, tree: SyntaxTree | None) -> str:
    """What ends the comment or string that `end` falls inside, to follow a suffix window that
    ends there (a docstring or a doc comment longer than the window): its last line up to its
    end, or the rest of it on the line `end` is on. Without it the window ends in an unterminated
    quote or comment, which the clean-up's syntax check reads as broken code and prose in it as
    the error."""
    if tree is None or end >= len(text):
        return ""
    outer = _prose_around(tree, end)
    # Between the parts of a concatenation of strings the text is code: nothing to end.
    if outer is None or outer.type.startswith("concatenated"):
        return ""
    e = tree.to_offset(outer.end_byte)
    last = _line_start(text, e)
    if last < end:
        return text[end:e]
    return ("" if end == _line_start(text, end) else "\n") + text[last:e]


def closed_suffix(text: str, offset: int, suffix: str, tree: SyntaxTree | None, budget: int,
                  count: TokenCounter) -> str:
    """`suffix` (from `offset`) followed by what ends the comment or string it ends inside,
    within `budget`: its last lines give way to the closing; when even the cursor line's rest
    leaves no room, the suffix as it is."""
    close = closing(text, offset + len(suffix), tree)
    while close:
        if len(close) <= budget * MAX_CHARS_PER_TOKEN and count(suffix + close) <= budget:
            return suffix + close
        cut = suffix.rstrip("\n").rfind("\n")
        if cut == -1:
            break
        suffix = suffix[:cut + 1]
        close = closing(text, offset + len(suffix), tree)
    return suffix


def imports(text: str, start: int, tree: SyntaxTree | None) -> str:
    """The file's top-level import statements that lie before `start` and before its first
    definition (the file's head: imports further down are local business, and scanning a large
    module whole at every request would cost more than the prompt gains)."""
    if tree is None:
        return ""
    parts = [text[s:e] for s, e in head_imports(tree) if s < start]
    return "\n".join(parts) + "\n" if parts else ""


def head_imports(tree: SyntaxTree) -> list[tuple[int, int]]:
    """(start, end) of each top-level import in the file's head: before its first definition,
    within its first HEAD_STATEMENTS statements (a script of thousands of top-level lines and
    no definition is not walked whole). Found once per version of the text."""
    found = tree.memo.get("head_imports")
    if found is not None:
        return found
    found = []
    cursor = tree.tree.root_node.walk()  # not `named_children`: that builds every top-level node
    more = cursor.goto_first_child()
    seen = 0
    while more:
        child = cursor.node
        more = cursor.goto_next_sibling()
        if not child.is_named:
            continue
        seen += 1
        if _DEFINITION.search(child.type) or seen > HEAD_STATEMENTS:
            break
        if _IMPORT.search(child.type):
            found.append((tree.to_offset(child.start_byte), tree.to_offset(child.end_byte)))
    tree.memo["head_imports"] = found
    return found


def prefix_window(
    text: str,
    offset: int,
    tree: SyntaxTree | None,
    language: str,
    budget: int,
    count: TokenCounter,
    anchor: WindowStart | None = None,
    before: list[int] | None = None,
) -> tuple[str, int, WindowStart]:
    """The prefix (imports and headers when cut off, then whole statements up to the cursor)."""
    if before is None:
        before = _boundaries(text, offset, tree, language)[0]
    cost = _cursor_line_bounded(count, text[_line_start(text, offset):offset], budget)
    # An anchor further back than any budget can reach (the user moved down the file) is
    # dropped before counting: counting the text between would cost a tokenizer pass over it.
    if anchor is not None and anchor.start <= _line_start(text, offset) and \
            offset - anchor.start <= budget * MAX_CHARS_PER_TOKEN and text.startswith(anchor.head, anchor.start):
        kept = _assemble(text, offset, anchor.start, tree, budget, count)
        if cost(kept) <= budget:
            return kept, anchor.start, anchor
    floor = max(0, offset - budget * MAX_CHARS_PER_TOKEN)
    # The lines the window will most likely span, counted together (one batch) before the search.
    count(text[max(floor, _line_start(text, max(floor, _likely_start(text, offset, budget)))):offset])
    candidates = [b for b in before if b >= floor] or [before[-1]]
    target = int(budget * FILL)
    i = _largest_fit(candidates, lambda b: cost(text[b:offset]) <= target)
    start = candidates[i]
    if start > floor and cost(text[start:offset]) < target // 2:
        # The statement above is too big to take whole (a long literal, a broken region):
        # better whole lines of it than a nearly empty window.
        lines = _line_starts_between(text, floor, start)
        if lines:
            j = _largest_fit(lines + [start], lambda b: cost(text[b:offset]) <= target)
            start = (lines + [start])[j]
            candidates = sorted(set(candidates) | set(lines))
            i = candidates.index(start)
    if start > 0:
        # Room left for the definition headers and imports: shrink the body until they fit.
        while i < len(candidates) - 1 and cost(_assemble(text, offset, start, tree, budget, count)) > target:
            i += 1
            start = candidates[i]
    if start == candidates[-1] and cost(text[start:offset]) > budget:
        start = max(start, offset - int(budget * CHARS_PER_TOKEN))  # one very long line
    prefix = _assemble(text, offset, start, tree, budget, count)
    return prefix, start, WindowStart(start, text[start:start + 80])


# Bytes typed after the longest counted start of the cursor line that are bounded, not counted.
CURSOR_LINE_SLACK = 16


def _cursor_line_bounded(count: TokenCounter, cursor_part: str, budget: int) -> TokenCounter:
    """A counter for text that ends with the cursor line's part before the cursor. That part
    changes at every key; counting it exactly would cost a tokenizer call per request. The
    overcount stays a small share of the budget, so the window start still stays put."""
    n = len(cursor_part)
    slack = min(CURSOR_LINE_SLACK, budget // 32)
    bound = count.bound(cursor_part, slack) if isinstance(count, LineTokens) else count(cursor_part)

    def cost(piece: str) -> int:
        if len(piece) < n or not n:
            return count(piece)
        return count(piece[:len(piece) - n]) + bound

    return cost


def _assemble(text: str, offset: int, start: int, tree: SyntaxTree | None, budget: int,
              count: TokenCounter) -> str:
    body = text[start:offset]
    if start == 0:
        return body
    head = "".join(headers(text, offset, start, tree))
    imp = imports(text, start, tree)
    if imp and count(imp) <= budget * IMPORTS_SHARE:
        head = imp + _HEADER_GAP + head
    return head + opening(text, start, tree) + body


def suffix_window(text: str, offset: int, budget: int, count: TokenCounter, after: list[int]) -> str:
    """The text after the cursor, up to a statement boundary within the (small) budget."""
    if budget <= 0:
        nl = text.find("\n", offset)
        return text[offset: len(text) if nl == -1 else nl]
    ceiling = offset + budget * MAX_CHARS_PER_TOKEN
    candidates = [a for a in after if a <= ceiling] or [after[0]]
    # Fitting shrinks as the end grows: search the reversed list.
    rev = candidates[::-1]
    i = _largest_fit(rev, lambda a: count(text[offset:a]) <= budget)
    end = rev[i]
    if count(text[offset:end]) > budget:
        nl = text.find("\n", offset)
        end = len(text) if nl == -1 else nl  # the rest of the cursor line, cut to the budget
        return _trim_to_budget(text[offset:min(end, int(ceiling))], budget, count, keep_end=False)
    return text[offset:end]


def _likely_start(text: str, offset: int, budget: int) -> int:
    """The line start a prefix window of `budget` tokens most likely reaches back to (with margin)."""
    return _line_start(text, max(0, offset - int(budget * CHARS_PER_TOKEN * 1.5)))


def warm_counts(text: str, offset: int, max_prefix: int, max_suffix: int, count: TokenCounter,
                count_each: BatchCounter | None = None, tree: SyntaxTree | None = None) -> None:
    """Count what a request at `offset` would count, ahead of it and in one batch: the lines
    its windows are likely cut from, the cursor line's two parts, the definition headers and
    imports that join a prefix cut short. After an edit at a new place in a large file, the
    request that follows finds them counted."""
    tree = tree if isinstance(tree, SyntaxTree) else None
    reach = (max_prefix * MAX_CHARS_PER_TOKEN, max(max_suffix, 1) * MAX_CHARS_PER_TOKEN)
    if _cursor_line_clip(text, offset, reach) != (0, len(text)):
        return  # a line longer than the windows: the request counts its few clipped pieces itself
    # As far as a window reaches, and never a whole long line that only begins within reach.
    lo = max(offset - reach[0], _line_start(text, max(0, offset - reach[0])))
    line_start = _line_start(text, offset)
    nl = text.find("\n", min(len(text), offset + reach[1]), offset + 2 * reach[1])
    lines = text[lo:offset + 2 * reach[1] if nl == -1 else nl + 1].splitlines(keepends=True)
    eol = text.find("\n", offset)
    lines += [text[line_start:offset], text[offset:len(text) if eol == -1 else eol + 1]]
    if tree is not None:
        lines += "".join(headers(text, offset, lo, tree)).splitlines(keepends=True)
        lines += imports(text, lo, tree).splitlines(keepends=True)
    line_tokens(count, count_each).learn([line for line in lines if line])


def build_windows(
    text: str,
    offset: int,
    tree: SyntaxTree | None,
    language: str,
    max_prefix: int,
    max_suffix: int,
    count: TokenCounter | None = None,
    anchor: WindowStart | None = None,
    count_each: BatchCounter | None = None,
) -> tuple[Window, WindowStart]:
    count = line_tokens(count, count_each) if count is not None else char_tokens
    reach = (max_prefix * MAX_CHARS_PER_TOKEN, max(max_suffix, 1) * MAX_CHARS_PER_TOKEN)
    lo, hi = _cursor_line_clip(text, offset, reach)
    if (lo, hi) != (0, len(text)):
        return _clipped_windows(text, offset, lo, hi, max_prefix, max_suffix, count)
    before, after = _boundaries(text, offset, tree, language, reach)
    prefix, start, anchor = prefix_window(text, offset, tree, language, max_prefix, count, anchor, before)
    suffix = suffix_window(text, offset, max_suffix, count, after)
    return Window(prefix, suffix, start, offset + len(suffix)), anchor


def _cursor_line_clip(text: str, offset: int, reach: tuple[int, int]) -> tuple[int, int]:
    """The span the windows may see: all of it, unless the cursor line runs further than a window
    reaches on a side, where nothing past that reach can be in the window (a minified line)."""
    lo, hi = 0, len(text)
    if offset - _line_start(text, offset) > reach[0]:
        lo = offset - reach[0]
    nl = text.find("\n", offset, offset + reach[1] + 1)
    if nl == -1 and len(text) - offset > reach[1]:
        hi = offset + reach[1]
    return lo, hi


def _clipped_windows(text: str, offset: int, lo: int, hi: int, max_prefix: int, max_suffix: int,
                     count: TokenCounter) -> tuple[Window, WindowStart]:
    """Windows around a cursor on a line longer than they reach: whole lines where the line ends
    within reach, and the line itself cut to the budget where it does not. No syntax (the tree
    is of the whole text), and no tokenizer pass over the whole line."""
    piece = text[lo:hi]
    at = offset - lo
    before, after = _boundaries(piece, at, None, "")
    prefix, start, anchor = prefix_window(piece, at, None, "", max_prefix, count, None, before)
    prefix = _trim_to_budget(prefix, max_prefix, count, keep_end=True)
    suffix = _trim_to_budget(suffix_window(piece, at, max_suffix, count, after), max_suffix, count, keep_end=False)
    start = offset - len(prefix)
    return Window(prefix, suffix, start, offset + len(suffix)), WindowStart(start, text[start:start + 80])


def _trim_to_budget(piece: str, budget: int, count: TokenCounter, keep_end: bool) -> str:
    """`piece` shortened (from its far end) until it counts `budget` tokens or fewer."""
    n = count(piece) if piece else 0
    while n > budget and piece:
        keep = max(0, min(len(piece) - 1, int(len(piece) * budget / n * 0.95)))
        piece = piece[len(piece) - keep:] if keep_end else piece[:keep]
        n = count(piece) if piece else 0
    return piece
