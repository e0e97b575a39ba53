"""A file's outline: the heads of its top-level definitions (signatures, class heads and fields, first docstring lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ghostwright.context.imports import top_level
from ghostwright.text import languages
from ghostwright.text.syntax import parse_text

# A definition that is not a function or class (a constant, a type alias, an interface) is shown
# whole up to this many lines; past it, its first line only.
SHORT_LINES = 6
# Members of one class shown at most: a huge class must not take the budget by itself.
MAX_MEMBERS = 24
# In a class's brief form: its fields and constructor, at most this many members.
BRIEF_MEMBERS = 8
_CONSTRUCTORS = ("__init__", "__new__", "__call__", "constructor", "new")
LONG_LINE = 160


@dataclass(frozen=True)
class Entry:
    """One top-level definition: the name it binds and its outline text."""

    name: str
    text: str
    head: str = ""  # a shorter form (a class's head, fields and constructor), where there is one

    @property
    def brief(self) -> str:
        return self.head or self.text


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _line(s: str) -> str:
    s = s.rstrip()
    return s if len(s) <= LONG_LINE else s[:LONG_LINE] + " …"


def _head(node: Any, body: Any, source: bytes) -> str:
    """The text of `node` up to its body, on one line per source line."""
    head = source[node.start_byte:body.start_byte].decode("utf-8", "replace").rstrip()
    return "\n".join(_line(s) for s in head.splitlines())


def _short(node: Any, indent: str = "") -> str:
    lines = _text(node).splitlines() or [""]
    if len(lines) > SHORT_LINES:
        lines = [lines[0].rstrip() + " …"]
    return "\n".join(indent + _line(s) if i else _line(s) for i, s in enumerate(lines))


# --- Python ---

def _docstring(body: Any) -> str:
    first = next((c for c in body.children if c.type != "comment"), None) if body is not None else None
    if first is None or first.type != "expression_statement" or not first.children \
            or first.children[0].type != "string":
        return ""
    raw = _text(first.children[0])
    quote = raw[:3] if raw[:3] in ('"""', "'''") else raw[:1]
    inner = raw.strip("rRbBuUfF")[len(quote):]
    inner = inner[:-len(quote)] if inner.endswith(quote) else inner
    summary = next((s.strip() for s in inner.splitlines() if s.strip()), "")
    return f"{quote}{_line(summary)}{quote}" if summary else ""


def _py_def(node: Any, source: bytes, indent: str, brief: bool = False) -> str:
    """`def f(a) -> T:` with its docstring's first line, or a class head with its fields and methods
    (`brief`: its fields and constructor only)."""
    decorated = node if node.type == "decorated_definition" else None
    if decorated is not None:
        node = decorated.child_by_field_name("definition")
    body = node.child_by_field_name("body")
    head = _head(decorated or node, body, source)
    lines = [indent + s.lstrip() if i == 0 else indent + s.strip() for i, s in enumerate(head.splitlines())] \
        if decorated is not None else [indent + head.splitlines()[0]] + head.splitlines()[1:]
    inner = indent + "    "
    doc = _docstring(body)
    if doc:
        lines.append(inner + doc)
    if node.type == "class_definition":
        members = 0
        for child in body.children:
            if members >= (BRIEF_MEMBERS if brief else MAX_MEMBERS):
                lines.append(inner + "...")
                break
            kind = child.type
            if kind in ("function_definition", "decorated_definition"):
                if brief and _py_names(child)[0] not in _CONSTRUCTORS:
                    continue
                lines.append(_py_def(child, source, inner))
            elif kind == "expression_statement" and child.children and child.children[0].type == "assignment":
                lines.append(inner + _short(child, inner))
            else:
                continue
            members += 1
    if len(lines) == (len(head.splitlines())):
        lines.append(inner + "...")
    return "\n".join(lines)


def _py_names(node: Any) -> list[str]:
    if node.type == "decorated_definition":
        node = node.child_by_field_name("definition")
    if node.type in ("function_definition", "class_definition"):
        return [_text(node.child_by_field_name("name"))]
    if node.type == "expression_statement" and node.children and node.children[0].type == "assignment":
        left = node.children[0].child_by_field_name("left")
        return [_text(c) for c in ([left] if left.type == "identifier" else left.children) if c.type == "identifier"]
    return []


def _py_top(nodes: list[Any]) -> list[Any]:
    """Top-level statements, also those inside a top-level `if`/`try` (`if TYPE_CHECKING:` … `else:`)."""
    out = []
    for node in nodes:
        if node.type in ("if_statement", "try_statement", "else_clause", "elif_clause", "except_clause",
                         "finally_clause", "block"):
            out += _py_top([c for c in node.children if c.type in (
                "block", "else_clause", "elif_clause", "except_clause", "finally_clause")] +
                (list(node.children) if node.type == "block" else []))
        else:
            out.append(node)
    return out


def _python(root: Any, source: bytes) -> list[Entry]:
    out = []
    seen: set[str] = set()
    for node in _py_top(top_level(root)):
        names = _py_names(node)
        if not names or names[0] in seen:  # the first of two definitions under `if`/`else`
            continue
        seen.update(names)
        if node.type == "expression_statement":
            out.append(Entry(names[0], _short(node)))
        else:
            full = _py_def(node, source, "")
            brief = _py_def(node, source, "", brief=True)
            out.append(Entry(names[0], full, brief if brief != full else ""))
        out += [Entry(n, "") for n in names[1:]]  # a, b = …: shown once, under the first name
    return out


# --- JavaScript / TypeScript and the brace languages ---

_FUNCTIONS = {"function_declaration", "generator_function_declaration", "method_definition", "function_definition",
              "function_item", "method_declaration", "function_signature_item", "abstract_method_signature"}
_CLASSES = {"class_declaration", "abstract_class_declaration", "class", "interface_declaration", "struct_item",
            "impl_item", "trait_item", "class_specifier", "struct_specifier", "enum_item"}
_VALUES = {"arrow_function", "function_expression", "function", "class"}


def _brace_def(node: Any, source: bytes, indent: str, depth: int = 0, brief: bool = False) -> str:
    body = node.child_by_field_name("body")
    if body is None:
        return indent + _short(node, indent)
    head = _head(node, body, source)
    if node.type in _CLASSES and depth == 0:
        lines = [indent + head + " {"]
        members = 0
        for child in body.children:
            if members >= (BRIEF_MEMBERS if brief else MAX_MEMBERS):
                lines.append(indent + "  // …")
                break
            if child.type in ("{", "}", ",", ";") or "comment" in child.type:
                continue
            if brief and child.child_by_field_name("body") is not None \
                    and _text(child.child_by_field_name("name")) not in _CONSTRUCTORS:
                continue
            lines.append(_member(child, source, indent + "  "))
            members += 1
        lines.append(indent + "}")
        return "\n".join(lines)
    return indent + head + " { … }"


def _member(node: Any, source: bytes, indent: str) -> str:
    if node.child_by_field_name("body") is not None:
        return _brace_def(node, source, indent, depth=1)
    return indent + _short(node, indent)


def _declarators(node: Any) -> list[Any]:
    return [c for c in node.children if c.type in ("variable_declarator", "const_spec", "var_spec")]


def _js_entry(node: Any, source: bytes, prefix: str = "") -> list[Entry]:
    kind = node.type
    if kind in ("export_statement",):
        inner = node.child_by_field_name("declaration")
        if inner is None:
            value = node.child_by_field_name("value")
            if value is not None and value.child_by_field_name("body") is not None:
                return [Entry("default", "export default " + _brace_def(value, source, ""))]
            return []
        default = "default " if any(c.type == "default" for c in node.children) else ""
        entries = _js_entry(inner, source, "export " + default)
        return entries
    if kind in ("lexical_declaration", "variable_declaration"):
        out = []
        keyword = _text(node.children[0]) if node.children else "const"
        for declarator in _declarators(node):
            name = _text(declarator.child_by_field_name("name"))
            value = declarator.child_by_field_name("value")
            if value is not None and value.type in _VALUES and value.child_by_field_name("body") is not None:
                body = value.child_by_field_name("body")
                tail = " { … }" if body.type in ("statement_block", "class_body") else " …"
                out.append(Entry(name, f"{prefix}{keyword} {_head(declarator, body, source)}{tail}"))
            else:
                out.append(Entry(name, prefix + _short(node)))
                break  # the whole declaration shown once
        return out
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return []
    name = _text(name_node)
    if kind in _FUNCTIONS or kind in _CLASSES:
        full = prefix + _brace_def(node, source, "")
        brief = prefix + _brace_def(node, source, "", brief=True)
        return [Entry(name, full, brief if brief != full else "")]
    return [Entry(name, prefix + _short(node))]  # types, interfaces, enums, aliases


def _braces(root: Any, source: bytes) -> list[Entry]:
    out = []
    for node in top_level(root):
        if "comment" in node.type or node.type.startswith("import") or node.type.startswith("preproc_include"):
            continue
        if node.type == "expression_statement":  # module.exports = …, exports.f = function…
            continue
        try:
            out += _js_entry(node, source)
        except (AttributeError, IndexError):  # an odd node shape costs its entry, not the outline
            continue
    return out


# --- C/C++ headers: declarations are their own outline ---

def _declarator_name(node: Any) -> str:
    while node is not None:
        inner = node.child_by_field_name("declarator")
        if inner is None:
            return _text(node) if node.type in ("identifier", "field_identifier", "qualified_identifier",
                                                "type_identifier") else ""
        node = inner
    return ""


def _c(root: Any, source: bytes) -> list[Entry]:
    out = []
    stack = top_level(root)
    while stack:
        node = stack.pop(0)
        kind = node.type
        if kind.startswith("preproc_if") or kind in ("linkage_specification", "declaration_list"):
            stack = [c for c in node.children if c.is_named] + stack
            continue
        if kind == "function_definition":
            body = node.child_by_field_name("body")
            out.append(Entry(_declarator_name(node.child_by_field_name("declarator")),
                             _head(node, body, source) + ";"))
        elif kind in ("declaration", "type_definition"):
            name = _declarator_name(node.child_by_field_name("declarator"))
            out.append(Entry(name, _short(node)))
        elif kind in ("struct_specifier", "class_specifier", "enum_specifier", "union_specifier"):
            out.append(Entry(_text(node.child_by_field_name("name")), _short(node)))
        elif kind == "preproc_def" or kind == "preproc_function_def":
            out.append(Entry(_text(node.child_by_field_name("name")), _short(node)))
        elif kind == "template_declaration":
            out.append(Entry("", _short(node)))
    return out


# --- Go: exported names only ---

def _go(root: Any, source: bytes) -> list[Entry]:
    out = []
    for node in top_level(root):
        kind = node.type
        if kind in ("function_declaration", "method_declaration"):
            name = _text(node.child_by_field_name("name"))
            body = node.child_by_field_name("body")
            text = _head(node, body, source) if body is not None else _text(node)
            out.append(Entry(name, text))
        elif kind in ("type_declaration", "const_declaration", "var_declaration"):
            specs = [c for c in node.children if c.type.endswith("_spec")]
            name = _text(specs[0].child_by_field_name("name")) if specs else ""
            lines = _text(node).splitlines()
            out.append(Entry(name, "\n".join(_line(s) for s in lines[:MAX_MEMBERS])))
    return [e for e in out if e.name[:1].isupper()]


# --- Emacs Lisp: no grammar; definitions at column 0 and their docstrings ---

_ELISP_DEF = re.compile(r'^\((?:cl-)?(?:defun|defmacro|defsubst|defvar|defcustom|defconst|defface|'
                        r'define-minor-mode|define-derived-mode|cl-defstruct|defclass|cl-defgeneric|cl-defmethod)'
                        r'\*?\s+\(?([^\s()]+)[^\n]*', re.M)
_ELISP_DOC = re.compile(r'\A[^"]{0,200}?"((?:[^"\\]|\\.)*)')


def _emacs_lisp(text: str) -> list[Entry]:
    out = []
    for m in _ELISP_DEF.finditer(text):
        head = _line(m.group(0))
        if "--" in m.group(1):
            continue  # internals: not what another file uses
        doc = _ELISP_DOC.match(text[m.end():m.end() + 400])
        summary = doc.group(1).split("\\n", 1)[0].split("\n", 1)[0].strip() if doc else ""
        if head.count("(") <= head.count(")"):  # the whole form on its line
            out.append(Entry(m.group(1), head))
            continue
        out.append(Entry(m.group(1), head + (f'\n  "{summary}"' if summary else "") + " …)"))
    return out


# By language family (`Language.family`): cutters of the syntax tree; others are cut by braces.
_BY_FAMILY = {"python": _python, "c": _c, "go": _go}


def outline(language: str, text: str) -> list[Entry]:
    """The outline of a file's text, in file order; [] for a language we cannot read."""
    family = languages.get(language).family
    if family == "lisp":
        return _emacs_lisp(text)
    tree = parse_text(language, text)
    if tree is None:
        return []
    root, source = tree.tree.root_node, text.encode("utf-8", "surrogatepass")
    return _BY_FAMILY.get(family or "", _braces)(root, source)
