"""Holes in real code: where a line's rest is taken out, by kind of place, and a seeded sample of them."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass

from ghostwright.text import languages

# Kinds of place, in the order the tables list them.
PLACES = ("indent", "word", "operator", "call-args", "closer", "entry", "field", "decorator",
          "comment", "eof", "lisp-closers")
# Languages holes are punched in (code, not data), by their line-comment marker.
COMMENT = {lang.name: lang.line_comment for lang in languages.TABLE if lang.line_comment and not lang.data}
MAX_LINE = 160  # longer lines are data, not code anyone types


@dataclass(frozen=True)
class Hole:
    language: str
    path: str  # relative to the folder the files come from (the bench's data, the repository)
    place: str  # the kind of place (PLACES)
    line: int  # 0-based line of the cursor in the file
    before: str  # the document before the cursor
    after: str  # the document after the cursor (the rest of the cursor line taken out)
    expected: str  # the rest of the line the hole took out

    kind = "single"  # what the baseline is asked for: llm-ls cuts at the first newline

    @property
    def task_id(self) -> str:
        return f"{self.path}:{self.line + 1}:{self.place}"


_CLOSER = re.compile(r"^(\}|\]|\)|else\b|elif\b|except\b|finally\b|catch\b|case\b|default\s*:|end\b)")
_OPERATOR = re.compile(r"(==|!=|<=|>=|&&|\|\||:=|=>|->|\+=|-=|[=,.+\-*/<>%&|?:])")
_CALL = re.compile(r"[\w\]\)]\(")
_WORD_START = re.compile(r"(?<=[\s(\[{,])[A-Za-z_]")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _is_comment(stripped: str, language: str) -> bool:
    if stripped.startswith(COMMENT[language]):
        return True
    return COMMENT[language] == "//" and stripped.startswith(("/*", "* ", "*/"))  # the C family


def _docstring_lines(lines: list[str], language: str) -> set[int]:
    """Lines inside triple-quoted strings (docstrings mostly), where the language has them."""
    inside, out, quote = False, set(), ""
    if not languages.get(language).docstrings:
        return out
    for i, line in enumerate(lines):
        s = line.strip()
        if inside:
            out.add(i)
            if quote in s:
                inside = False
            continue
        for q in ('"""', "'''"):
            if s.startswith(q) or s.startswith("r" + q):
                body = s[s.index(q) + 3:]
                if q not in body:
                    inside, quote = True, q
                break
    return out


def _syntax_lines(text: str, language: str) -> dict[str, set[int]]:
    """Lines that hold class fields and entries of literals or argument lists, by syntax."""
    from ghostwright.text import syntax

    found: dict[str, set[int]] = {"field": set(), "entry": set()}
    class_assignments = languages.get(language).colon_blocks  # a class body's `x = …` are its fields
    tree = syntax.parse_text(language, text) if syntax.grammar(language) is not None else None
    if tree is None:
        return found
    field_types = {"field_definition", "public_field_definition", "field_declaration"}
    list_types = {"object", "array", "dictionary", "list", "set", "tuple", "arguments", "argument_list",
                  "literal_value", "initializer_list", "keyed_element", "composite_literal"}
    stack = [tree.tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        row = node.start_point[0]
        if node.type in field_types:
            found["field"].add(row)
        elif node.type == "expression_statement" and class_assignments and node.parent is not None \
                and node.parent.type == "block" and node.parent.parent is not None \
                and node.parent.parent.type == "class_definition" and node.children \
                and node.children[0].type == "assignment":
            found["field"].add(row)
        elif node.parent is not None and node.parent.type in list_types and node.is_named \
                and node.start_point[0] != node.parent.start_point[0]:
            found["entry"].add(row)
    return found


def _lisp_fields(lines: list[str]) -> tuple[set[int], set[int]]:
    """Emacs Lisp: keyword arguments of definitions (`:type 'boolean`, `:group …`) as attributes,
    and `(defvar …`/`(defcustom …` lines as the fields of a package."""
    attrs = {i for i, l in enumerate(lines) if re.match(r"\s+:\w", l) or l.startswith(";;;###autoload")
             or re.match(r"\s+\((declare|interactive)\b", l)}
    fields = {i for i, l in enumerate(lines) if re.match(r"\((defvar|defcustom|defconst|defface)\s", l)}
    return attrs, fields


def candidates(path: str, text: str, language: str) -> list[tuple[str, int, int]]:
    """(place, line, column of the cursor) for every hole this file offers."""
    lines = text.split("\n")
    docs = _docstring_lines(lines, language)
    by_syntax = _syntax_lines(text, language)
    lang = languages.get(language)
    lisp_attrs, lisp_fields = _lisp_fields(lines) if lang.lisp else (set(), set())
    out: list[tuple[str, int, int]] = []
    last = max((i for i, l in enumerate(lines) if l.strip()), default=0)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or len(line) > MAX_LINE:
            continue
        ind = len(_indent(line))
        comment = _is_comment(stripped, language) or i in docs
        if comment:
            words = [m.start() for m in re.finditer(r"(?<=\s)\w", line) if m.start() > ind + 2]
            if words:
                out.append(("comment", i, words[0]))
            continue
        if i == last or (i > 20 and i % 7 == 0):
            out.append(("eof", i, ind))
        if _CLOSER.match(stripped) and not lang.lisp:
            out.append(("closer", i, ind))
        elif i in by_syntax["field"] or i in lisp_fields:
            names = re.match(r"\s*(\(\w+\s+)?(static\s+|readonly\s+|pub\s+)?#?[\w-]+\s*", line)
            col = names.end() if names else ind
            out.append(("field", i, col if col < len(line.rstrip()) else ind))
        elif stripped.startswith(("@", "#[")) or (lang.preprocessor and stripped.startswith("#")) \
                or i in lisp_attrs:
            out.append(("decorator", i, ind))
        elif i in by_syntax["entry"] and stripped.endswith(","):
            out.append(("entry", i, ind))
        else:
            out.append(("indent", i, ind))
        if lang.lisp:
            m = re.search(r"[\w\"'-]+\){2,}\s*$", line)
            if m and m.start() > ind:
                out.append(("lisp-closers", i, m.start()))
        for m in _CALL.finditer(line):
            if m.end() < len(line.rstrip()) and m.start() > ind:
                out.append(("call-args", i, m.end()))
        ops = [m.end() for m in _OPERATOR.finditer(line) if ind < m.start() and m.end() < len(line.rstrip())
               and line[:m.start()].count('"') % 2 == 0 and line[:m.start()].count("'") % 2 == 0]
        if ops:
            col = ops[len(ops) // 2]
            col += len(line[col:]) - len(line[col:].lstrip(" "))
            if col < len(line.rstrip()):
                out.append(("operator", i, col))
        words = [m.start() for m in _WORD_START.finditer(line) if m.start() > ind]
        if words:
            out.append(("word", i, words[len(words) // 2]))
    return out


def _pools(files: list[tuple[str, str]], language: str, rng: random.Random) -> dict[str, list[tuple]]:
    """Every hole the files offer, by kind of place, shuffled by `rng`: (file index, place, line,
    column, cursor offset, line end) — the texts are cut only for the holes drawn."""
    by_place: dict[str, list[tuple]] = defaultdict(list)
    for index, (path, text) in enumerate(files):
        lines = text.split("\n")
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        for place, i, col in candidates(path, text, language):
            line = lines[i]
            if not line[col:].rstrip().strip():
                continue
            by_place[place].append((index, place, i, col, starts[i] + col, starts[i] + len(line)))
    for pool in by_place.values():
        rng.shuffle(pool)
    return by_place


def _draw(by_place: dict[str, list[tuple]], count: int) -> list[tuple]:
    """In turn from each kind of place, so a small count still covers every kind."""
    order = [p for p in PLACES if by_place.get(p)]
    picked: list[tuple] = []
    while len(picked) < count and any(by_place[p] for p in order):
        for place in order:
            if by_place[place] and len(picked) < count:
                picked.append(by_place[place].pop())
    return picked


def _hole(language: str, files: list[tuple[str, str]], spot: tuple) -> Hole:
    index, place, line, col, cursor, line_end = spot
    path, text = files[index]
    after = "" if place == "eof" else text[line_end:]
    return Hole(language, path, place, line, text[:cursor], after, text[cursor:line_end].rstrip())


def make_holes(files: dict[str, list[tuple[str, str]]], per_language: int, seed: int = 0,
               languages: tuple[str, ...] | None = None) -> list[Hole]:
    """Seeded and stratified: each language's holes are drawn in turn from each kind of place,
    so a small LIMIT still covers every kind."""
    holes: list[Hole] = []
    for language in languages or tuple(files):
        rng = random.Random(f"{seed}:{language}")
        pools = _pools(files.get(language, []), language, rng)
        holes += [_hole(language, files[language], spot) for spot in _draw(pools, per_language)]
    return holes


def interleaved(holes: list[Hole]) -> list[Hole]:
    """One language after the other, hole by hole: a run cut short still covers every language."""
    by_language: dict[str, list[Hole]] = defaultdict(list)
    for hole in holes:
        by_language[hole.language].append(hole)
    return _alternate(list(by_language.values()))


def _alternate(lists: list[list]) -> list:
    out: list = []
    for i in range(max((len(v) for v in lists), default=0)):
        out += [v[i] for v in lists if i < len(v)]
    return out


def sample(files: dict[str, list[tuple[str, str]]], count: int, seed: int = 0,
           files_per_language: int = 400) -> list[Hole]:
    """`count` holes over every language of `files`, drawn as `make_holes` draws them and taken
    a language at a time (a language with few holes leaves its share to the others); in a big
    repository, from a seeded choice of `files_per_language` files of each language."""
    drawn: list[list[tuple]] = []
    for language in sorted(files):
        some = sorted(files[language])
        if len(some) > files_per_language:
            some = random.Random(f"{seed}:{language}:files").sample(some, files_per_language)
        pools = _pools(some, language, random.Random(f"{seed}:{language}"))
        drawn.append([(language, some, spot) for spot in _draw(pools, count)])
    return [_hole(language, some, spot) for language, some, spot in _alternate(drawn)[:count]]
