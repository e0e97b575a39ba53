"""Clean-up of raw model text into what the editor shows; the same steps run on partials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ghostwright.text import languages, lisp, syntax
from ghostwright.context.cursor import Context, indent_width

OPENERS, CLOSERS = "([{", ")]}"
PAIR = dict(zip(CLOSERS, OPENERS))
# Non-blank lines below the cursor that the completion is compared with.
NEARBY_LINES = 8


@dataclass(frozen=True)
class Cleaned:
    text: str
    done: bool  # nothing the model adds from here on can be shown: stop generating


def cut_at_stops(raw: str, stops: tuple[str, ...], skip_leading: bool = False) -> tuple[str, bool]:
    """Cut at the first stop; with `skip_leading`, stops in the leading blank lines do not count."""
    origin = len(raw) - len(raw.lstrip()) if skip_leading else 0
    cut = min((i for i in (raw.find(s, origin) for s in stops if s) if i != -1), default=-1)
    return (raw, False) if cut == -1 else (raw[:cut], True)


def strip_typed_blanks(text: str, ctx: Context) -> str:
    """The cursor already sits after the blanks the model writes first (the indentation, the
    space after `=`; the prompt ends before the last of them, `prompts.at_token_boundary`): they
    are not inserted twice."""
    if ctx.line_prefix[-1:] in (" ", "\t"):
        return text.lstrip(" \t")
    return text


def drop_echo_of_line(text: str, ctx: Context) -> str:
    """The model repeating the end of the cursor line before going on to the next
    (`def count(self) -> int:` + ` -> int:\n        return …`): the repeat goes."""
    nl = text.find("\n")
    head = text[:nl].strip()
    # Only a repeat of a block opener's end: a word that equals the one before the cursor may
    # well be right (Go's `ParseErrorsWhitelist ParseErrorsWhitelist`).
    if nl <= 0 or len(head) < 3 or ctx.line_suffix.strip() or not ctx.multiline or head[-1] not in ":{([":
        return text
    return text[nl:] if ctx.line_prefix.rstrip().endswith(head) else text


# A restatement of the cursor line shorter than this may well be right (`f(a, a)`).
MIN_RESTATED = 8
_ONE_WORD = re.compile(r"\s*[\w$]+\s*")


def _starts_token(text: str, at: int) -> bool:
    """No word goes on across `at` from the left (`$` counts as a word character, as in JavaScript)."""
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "_$")


def drop_restated_line(text: str, ctx: Context, final: bool = True) -> str:
    """The model writing again the end of the cursor line before the cursor, then going on
    (`if (typeof options === ` + `typeof options === 'function') {`): the restated part goes.
    A restatement of one word may well be right (Go's `ParseErrorsWhitelist ParseErrorsWhitelist`).
    A partial that is so far only such a restatement waits: it would be taken back."""
    before = ctx.line_prefix
    if not before.strip() or ctx.multiline:
        return text
    line = text.split("\n", 1)[0]
    for k in range(min(len(before), len(line)), MIN_RESTATED - 1, -1):
        echo = before[-k:]
        if not _starts_token(before, len(before) - k):
            continue
        if _ONE_WORD.fullmatch(echo) or echo[:1].isspace():
            continue
        if text.startswith(echo) and text[k:].strip():
            return text[k:]
    if not final and "\n" not in text and text.strip():
        at = before.find(text)
        while at != -1:  # the start of a restatement, so far: wait for what follows it
            if _starts_token(before, at):
                return ""
            at = before.find(text, at + 1)
    return text


def _indent_unit(ctx: Context) -> str:
    """The step by which the window's lines indent: the commonest increase between two lines."""
    steps: dict[str, int] = {}
    previous = ""
    for line in ctx.prefix.split("\n")[-200:]:
        if not line.strip():
            continue
        ws = line[: indent_width(line)]
        if len(ws) > len(previous) and ws.startswith(previous):
            step = ws[len(previous):]
            steps[step] = steps.get(step, 0) + 1
        previous = ws
    return max(steps, key=steps.get) if steps else languages.get(ctx.language).indent_unit


def start_body_on_next_line(text: str, ctx: Context) -> str:
    """After a line that opens a block (`def f():`, `if (x) {`), the body goes on the next line:
    a completion that starts on the opener's line moves there, at the body's indentation."""
    head = ctx.line_prefix.rstrip()
    if not ctx.multiline or not head or ctx.line_suffix.strip() or not text.strip() or text.startswith("\n"):
        return text
    first = text.split("\n", 1)[0].strip()
    if languages.get(ctx.language).colon_blocks:
        if not head.endswith(":") or first.startswith("#"):
            return text
    elif not head.endswith("{") or first.startswith(("}", "//", "/*")) or first.endswith("}"):
        return text
    lead = text[: indent_width(text)]
    base = ctx.line_prefix[: indent_width(ctx.line_prefix)]
    indent = lead if len(lead) > len(base) and lead.startswith(base) else base + _indent_unit(ctx)
    return "\n" + indent + text.lstrip(" \t")


# A statement the model breaks over lines after an opening bracket (`headers=merge_setting(`,
# its arguments, `)`) is followed to where that bracket closes, within this many lines.
STATEMENT_LINES = 6


def cut_single_line(text: str, ctx: Context, final: bool = True) -> tuple[str, bool]:
    """One line; or one statement, when the line ends with a bracket its next lines close (in
    the final text, the first line when they did not)."""
    if ctx.multiline:
        return text, False
    # A leading newline is the model starting on the next line: nothing for this one.
    nl = text.find("\n")
    if nl == -1:
        return text, False
    if ctx.in_string or not text[:nl].rstrip().endswith(("(", "[")):
        return text[:nl], True
    depth = 0
    lang = languages.get(ctx.language)
    for i, ch in _scan(text, lang.line_comment, [], lang.lisp, _open_quote(ctx)):
        if text.count("\n", 0, i) > STATEMENT_LINES:
            break
        if ch in OPENERS:
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0 and i > nl:
                end = text.find("\n", i)
                return (text, False) if end == -1 else (text[:end], True)
    if text.count("\n") <= STATEMENT_LINES and not final:
        return text, False  # still open: the next lines may close it
    return text[:nl], True


def cut_at_dedent(text: str, ctx: Context) -> tuple[str, bool]:
    """Stop before the first line that leaves the block the cursor is in."""
    if not ctx.multiline:
        return text, False
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() and indent_width(line) < ctx.block_indent:
            return "\n".join(lines[:i]), True
    return text, False


def cut_after_blank_dedent(text: str, ctx: Context) -> tuple[str, bool]:
    """A blank line followed by a line less indented than where the completion began: the model
    finished this part and went on to the next; keep only this part."""
    if not ctx.multiline:
        return text, False
    lines = text.split("\n")
    first = len(ctx.line_prefix) if not ctx.line_prefix.strip() else indent_width(ctx.line_prefix)
    for i in range(2, len(lines)):
        if not lines[i - 1].strip() and lines[i].strip() and indent_width(lines[i]) < first:
            return "\n".join(lines[: i - 1]), True
    return text, False


def drop_suffix_overlap(text: str, ctx: Context) -> str:
    """Drop the tail of the completion that the text after the cursor already has: closers on
    this line, and whole lines that follow the cursor line."""
    rest = ctx.line_suffix.strip()
    if rest and not ctx.multiline:
        for k in range(min(len(rest), len(text)), 0, -1):
            if text.endswith(rest[:k]) and text[: len(text) - k].strip():
                return text[: len(text) - k].rstrip() if rest[:k].strip() else text[: len(text) - k]
        return text
    lines = text.split("\n")
    following = [l.strip() for l in ctx.suffix.split("\n")[1:] if l.strip()][:NEARBY_LINES]
    if not following or len(lines) < 2:
        return text
    # The completion has reached the code below the cursor: cut where it starts repeating it.
    for i in range(1, len(lines)):
        run = [l.strip() for l in lines[i:] if l.strip()]
        if lines[i].strip() == following[0] and run == following[: len(run)]:
            return "\n".join(lines[:i]).rstrip()
    return text


def trim_trailing_whitespace(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


def _scan(text: str, comment: str | None, stack: list[str], lisp_mode: bool,
          quote: str = "") -> list[tuple[int, str]]:
    """Bracket events (offset, char) outside strings and comments; updates nothing itself.
    `quote` is the string the text starts inside of (a completion inside a string)."""
    events = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote or (ch == "\n" and quote != '"' and not lisp_mode):
                quote = ""
            i += 1
            continue
        if comment and text.startswith(comment, i):
            nl = text.find("\n", i)
            i = n if nl == -1 else nl
            continue
        if lisp_mode and ch == "?" and lisp.starts_char_literal(text, i):
            i = lisp.skip_char_literal(text, i)
            continue
        if ch == '"' or (not lisp_mode and ch in "'`" and _is_quote(text, i)):
            quote = ch
        elif ch in OPENERS or ch in CLOSERS:
            events.append((i, ch))
        i += 1
    return events


def _is_quote(text: str, i: int) -> bool:
    """A ' or ` that opens a string, not an apostrophe inside a word or a Rust lifetime ('a)."""
    if text[i] == "`":
        return True
    if i and text[i - 1].isalnum():
        return False
    lifetime = text[i + 1:i + 2].isalpha() and text[i + 2:i + 3] not in ("'", "")
    return not lifetime or text[i - 1:i] not in ("&", "<", " ", ",")


@lru_cache(maxsize=16)
def _closers_allowed(language: str, prefix: str, suffix: str) -> tuple[str, int, int]:
    """The brackets the prefix left open, innermost last, with how many of them the rest of the
    cursor line closes and how many the whole suffix closes (a scan of the whole window, so done
    once per request). Emacs Lisp counts parens only."""
    lisp_mode = languages.get(language).lisp
    comment = languages.get(language).line_comment
    if lisp_mode:
        head = prefix[prefix.rfind("\n(") + 1:] if "\n(" in prefix else prefix
        stack = ["("] * lisp.read(head).depth
    else:
        stack = []
        for _, ch in _scan(prefix, comment, stack, False):
            if ch in OPENERS:
                stack.append(ch)
            elif stack and stack[-1] == PAIR[ch]:
                stack.pop()
    line_end = suffix.find("\n")
    line_end = len(suffix) if line_end == -1 else line_end
    suffix_closes = line_closes = 0
    depth = 0
    for i, ch in _scan(suffix, comment, [], lisp_mode):
        if ch in OPENERS:
            depth += 1
        elif depth:
            depth -= 1
        else:
            suffix_closes += 1
            line_closes += i < line_end
    return "".join(stack), line_closes, suffix_closes


def _open_quote(ctx: Context) -> str:
    """The quote of a string the cursor line leaves open ("" if none): the completion's text
    starts inside it, so its first quote closes the string rather than opening one."""
    lang = languages.get(ctx.language)
    if lang.lisp:
        return '"' if ctx.in_string and lisp.read(ctx.line_prefix).in_string else ""
    # From the cursor line: a string left open there is not a string node to the parser.
    quote = ""
    i = 0
    line = ctx.line_prefix
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`" and (ch != "'" or _is_quote(line, i)):
            quote = ch
        elif lang.line_comment and line.startswith(lang.line_comment, i):
            return ""
        i += 1
    return quote


_OWN_LINE_OPENER = re.compile(r"[ \t]*\n[ \t]*\{")


def balance_brackets(text: str, ctx: Context, final: bool) -> tuple[str, bool]:
    """Never close more than the prefix left open (less what the suffix closes), and in the final
    text, never leave brackets of the completion's own open (for Lisps: balanced parens)."""
    lisp_mode = languages.get(ctx.language).lisp
    comment = languages.get(ctx.language).line_comment
    stack, line_closes, suffix_closes = _closers_allowed(ctx.language, ctx.prefix, ctx.suffix)
    # The completion comes before the suffix: its closers end the innermost open brackets, and
    # the closers right of the cursor end what is left. Its first line may close what the
    # cursor line leaves open (the closers further down may belong to brackets the line was to
    # open: `.map((id) => {`); its further lines stop short of what the lines below close.
    # Without a grammar to check the result (Lisps), every line stops short of them.
    if lisp_mode or syntax.grammar(ctx.language) is None:
        line_closes = suffix_closes
    outer = list(stack[line_closes:])
    further = len(stack) - suffix_closes
    closed = 0
    first_line_end = text.find("\n", len(text) - len(text.lstrip()))
    own: list[str] = []
    last_balanced = 0
    events = _scan(text, comment, [], lisp_mode, _open_quote(ctx))
    for k, (i, ch) in enumerate(events):
        if ch in OPENERS:
            if not own:
                last_balanced = i
            own.append(ch)
        elif own:
            own.pop()
            if not own:
                last_balanced = i + 1
        elif outer and (lisp_mode or outer[-1] == PAIR[ch]) and \
                (first_line_end == -1 or i < first_line_end or closed < further):
            outer.pop()
            closed += 1
            last_balanced = i + 1
        elif _reopens(text, events[k:], i):
            # `} else {`, `} catch (e) {`: the line closes a block the suffix closes too and opens
            # the next one, which the suffix's closer then ends.
            own.append(PAIR[ch])
        else:
            return text[:i].rstrip(), True
    if final and own and ctx.multiline:
        start = len(text) - len(text.lstrip())
        nl = text.find("\n", start)
        first_end = len(text) if nl == -1 else nl
        if last_balanced >= first_end:
            # A block opened on a line of its own (`{` under a C function's head) goes with the
            # head: the syntax check then judges it as the head of a block.
            head = text[:last_balanced].rstrip()
            if _OWN_LINE_OPENER.fullmatch(text, len(head), last_balanced + 1):
                head = text[:last_balanced + 1]
            return head, False
        # Not even the first line is balanced: rather than part of it or nothing, the whole
        # first line (the head of a block the user goes on writing); languages with a grammar
        # have it checked next, as the head of a block.
        return text[:first_end].rstrip(), False
    return text, False


def _reopens(text: str, events: list[tuple[int, str]], at: int) -> bool:
    """The closer at `at` starts a line that opens as many brackets as it closes, ending with
    an opener: a block that closes and the next that opens (`} else {`, `}, {`)."""
    line_start = text.rfind("\n", 0, at) + 1
    if text[line_start:at].strip():
        return False
    end = text.find("\n", at)
    end = len(text) if end == -1 else end
    depth = 0
    for i, ch in events:
        if i >= end:
            break
        depth += 1 if ch in OPENERS else -1
    return depth >= 0 and text[:end].rstrip()[-1:] in OPENERS


def best_syntax_cut(text: str, ctx: Context) -> str:
    """Reparse prefix + completion + suffix; keep the longest cut that adds no syntax error to
    what the window had without it: at line ends, then, rather than nothing, inside the first
    line at the end of a token (`x = f(a, b` → `x = f`)."""
    if not text or syntax.grammar(ctx.language) is None:
        return text
    judge = _judge(ctx.language, ctx.prefix, ctx.suffix)
    if judge is None:
        return text
    cuts = [i for i, ch in enumerate(text) if ch == "\n"][::-1] if ctx.multiline else []
    start = len(text) - len(text.lstrip())  # the first line with text (after a block opener, the next)
    start = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    first = text[start: len(text) if end == -1 else end]
    for end in [len(text)] + cuts:
        candidate = text[:end].rstrip()
        if candidate.strip() and judge.fits(len(ctx.prefix), candidate):
            return candidate
    # The head of a block the model had not finished (the user writes the rest): the whole
    # text when it is one (a signature over several lines), else the longest run of its lines
    # that ends opening a block (a C function's `{` on a line of its own), else its first line.
    opened = [text[:end].rstrip() for end in cuts if text[:end].rstrip().endswith(("{", ":"))]
    for head in dict.fromkeys((text.rstrip(), *opened, text[: start + len(first)].rstrip())):
        closing = _block_end(head, ctx) if head.endswith(("{", ":")) else None
        if closing is not None and judge.fits(len(ctx.prefix), head + closing):
            return head
    for end in [start + i for i in token_ends(first)]:
        candidate = text[:end].rstrip()
        if candidate.strip() and judge.fits(len(ctx.prefix), candidate):
            return candidate
    return ""


def _block_end(head: str, ctx: Context) -> str | None:
    """What would end the block `head` opens, for judging the head alone: its own brackets
    closed (`function f(a) {` → `\n}`), or a body for Python's `:`; None when it opens none."""
    own: list[str] = []
    lang = languages.get(ctx.language)
    for _, ch in _scan(head, lang.line_comment, [], False, _open_quote(ctx)):
        if ch in OPENERS:
            own.append(ch)
        elif own and own[-1] == PAIR[ch]:
            own.pop()
    last = head.rstrip().split("\n")[-1]
    indent = last[: indent_width(last)] if last.strip() != last or "\n" in head else ctx.line_prefix[: indent_width(ctx.line_prefix)]
    if lang.empty_body and head.rstrip().endswith(":") and not own:
        return "\n" + indent + _indent_unit(ctx) + lang.empty_body
    if not own:
        return None
    return "\n" + indent + "".join(dict(zip(OPENERS, CLOSERS))[o] for o in reversed(own))


_WORDISH = re.compile(r"[\w$@]")


def token_ends(line: str) -> list[int]:
    """Where `line` can be cut short without splitting a word or a number: the ends of its
    tokens but the last, longest first."""
    ends = []
    for i in range(1, len(line)):
        a, b = line[i - 1], line[i]
        if a.isspace():
            continue
        if b.isspace() or bool(_WORDISH.match(a)) != bool(_WORDISH.match(b)) or a in CLOSERS or b in OPENERS:
            ends.append(i)
    return ends[::-1]


# The syntax check reparses the largest definition or statement around the cursor of at most
# this many characters, not the whole window: a window with an error in it (most are cut out of
# a file) reparses about as slowly as a fresh parse, in time that grows with the text after it.
JUDGE_CHARS = 1200
# Verdicts a window's judge remembers: a stream judges each candidate cut again at every token.
JUDGE_VERDICTS = 256


@dataclass(frozen=True)
class _Judge:
    """The window's tree with nothing at the cursor and its syntax errors, and the same for the
    node around the cursor that is cheap to reparse."""

    window: syntax.SyntaxTree
    window_errors: int
    near: syntax.SyntaxTree | None
    near_errors: int
    near_start: int  # where `near` begins in the window
    # (at, inserted) -> fits: text that never fits is cut at every token end, at every token of
    # the stream and once more for the final text; each misfit reparses the whole window.
    verdicts: dict[tuple[int, str], bool] = field(default_factory=dict, compare=False, repr=False)

    def fits(self, at: int, inserted: str) -> bool:
        """`inserted` at `at` adds no syntax error. The node around the cursor decides a fit;
        a misfit there is confirmed on the whole window (a closer for a bracket opened before
        the node is fine there)."""
        known = self.verdicts.get((at, inserted))
        if known is None:
            known = self._fits(at, inserted)
            if len(self.verdicts) < JUDGE_VERDICTS:
                self.verdicts[(at, inserted)] = known
        return known

    def _fits(self, at: int, inserted: str) -> bool:
        if self.near is not None and \
                syntax.error_count(self.near.with_insertion(at - self.near_start, inserted)) <= self.near_errors:
            return True
        return syntax.error_count(self.window.with_insertion(at, inserted)) <= self.window_errors


def _near_span(tree: syntax.SyntaxTree, at: int) -> tuple[int, int] | None:
    """The largest named node around `at` of at most JUDGE_CHARS, from its line's start; None
    when only the whole window contains it."""
    text = tree.text
    byte = tree.to_byte(at)
    node = tree.tree.root_node.descendant_for_byte_range(byte, byte)
    span = None
    while node is not None and node.parent is not None:
        s, e = tree.to_offset(node.start_byte), tree.to_offset(node.end_byte)
        if e - s > JUDGE_CHARS:
            break
        if node.is_named and s <= at <= e:
            span = (text.rfind("\n", 0, s) + 1, e)
        node = node.parent
    return span


@lru_cache(maxsize=16)
def _judge(language: str, prefix: str, suffix: str) -> _Judge | None:
    """Parsed once per request's window (each candidate reparses from these trees)."""
    window = syntax.parse_text(language, prefix + suffix)
    if window is None:
        return None
    span = _near_span(window, len(prefix))
    near = syntax.parse_text(language, window.text[span[0]:span[1]]) if span else None
    return _Judge(window, syntax.error_count(window), near, syntax.error_count(near) if near else 0,
                  span[0] if span else 0)


def prepare_judgement(ctx: Context) -> None:
    """Scan and parse the window now (while the model reads its prompt), not after its first
    and last tokens."""
    _closers_allowed(ctx.language, ctx.prefix, ctx.suffix)
    if syntax.grammar(ctx.language) is not None:
        _judge(ctx.language, ctx.prefix, ctx.suffix)


def stays_in_comment(text: str, ctx: Context) -> bool:
    """Prose in a comment that does not end it: its brackets are words, and a syntax check of a
    window cut out of a long comment judges the cut, not the text."""
    return ctx.in_comment and "*/" not in text and "\n" not in text.strip()


def drop_repetition(text: str, ctx: Context) -> str:
    """A completion that only repeats the lines right above or right below the cursor adds
    nothing (a common small-model failure). Lines further away may well recur: `return False`."""
    if not text.strip():
        return text
    lines = text.split("\n")
    mine = [(ctx.line_prefix + lines[0]).strip()] + [l.strip() for l in lines[1:]]
    mine = [l for l in mine if l]
    if len(mine[0]) <= 2:
        return text  # a lone closer is not a repetition
    above = [l.strip() for l in ctx.prefix.split("\n")[:-1] if l.strip()]
    below = [l.strip() for l in ctx.suffix.split("\n")[1:] if l.strip()]
    if above[-len(mine):] == mine or below[: len(mine)] == mine:
        return ""
    return text


@lru_cache(maxsize=64)
def clean(raw: str, ctx: Context, stops: tuple[str, ...], final: bool = True) -> Cleaned:
    """Model text → editor text. `final` adds the step that judges a finished completion (its
    own brackets closed); partials get every other step, the reparse too.

    Remembered: the generation's thread judges each text as it arrives, and the request that
    shows it asks for the same clean-up right after."""
    text, done = cut_at_stops(raw, stops)
    text, lang_done = cut_at_stops(text, ctx.stops, skip_leading=True)
    text = strip_typed_blanks(text, ctx)
    text = start_body_on_next_line(drop_echo_of_line(text, ctx), ctx)
    text = drop_restated_line(text, ctx, final)
    text, single_done = cut_single_line(text, ctx, final)
    text, dedent_done = cut_at_dedent(text, ctx)
    text, blank_done = cut_after_blank_dedent(text, ctx)
    text = trim_trailing_whitespace(text)
    text = drop_suffix_overlap(text, ctx)
    bracket_done = False
    if not stays_in_comment(text, ctx):
        text, bracket_done = balance_brackets(text, ctx, final)
        # Partials go through the same judgement as the final text: what the final answer would
        # take back must not be shown on the way.
        text = best_syntax_cut(text, ctx)
    text = drop_repetition(text, ctx)
    return Cleaned(text, done or lang_done or single_done or dedent_done or blank_done or bracket_done)
