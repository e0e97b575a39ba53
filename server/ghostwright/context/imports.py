"""What a file imports, read with tree-sitter (Emacs Lisp's `require` by its reader): module, names, namespace."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ghostwright.text import languages
from ghostwright.text.syntax import SyntaxTree


@dataclass(frozen=True)
class Import:
    """One import: the module as written, the names taken from it and the name bound to the module."""

    module: str  # "pkg.mod", ".sibling", "./utils", "crate::a::b", "stdio.h", "my-feature"
    names: tuple[str, ...] = ()  # names the file takes from the module ("*": all of them)
    namespace: str = ""  # the local name of the module itself (`import pkg.mod as m`: "m"), else ""
    line: int = 0  # where the import is: an earlier import ranks before a later one
    # (name, local name) of the names imported under another name (`from . import version as v`).
    aliases: tuple[tuple[str, str], ...] = ()

    def local(self, name: str) -> str:
        """The name the file uses for the imported `name`."""
        return next((local for n, local in self.aliases if n == name), name)


def top_level(root: Any) -> list[Any]:
    """The root's children, those of an ERROR node in its place: a syntax error near the cursor
    (the line being written) can make one ERROR node of the whole file, imports included."""
    out = []
    for node in root.children:
        out.extend(top_level(node) if node.type == "ERROR" else [node])
    return out


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _unquote(s: str) -> str:
    return s.strip().strip("'\"`<>")


def _python(root: Any) -> list[Import]:
    out: list[Import] = []
    for node in top_level(root):
        line = node.start_point[0]
        if node.type == "import_statement":
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    module = _text(child.child_by_field_name("name"))
                    out.append(Import(module, (), _text(child.child_by_field_name("alias")), line))
                else:
                    module = _text(child)
                    out.append(Import(module, (), module, line))
        elif node.type == "import_from_statement":
            module = _text(node.child_by_field_name("module_name"))
            names: list[str] = []
            aliases: list[tuple[str, str]] = []
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    names.append(_text(child.child_by_field_name("name")))
                    aliases.append((names[-1], _text(child.child_by_field_name("alias"))))
                else:
                    names.append(_text(child))
            if any(c.type == "wildcard_import" for c in node.children):
                names.append("*")
            out.append(Import(module, tuple(names), "", line, tuple(aliases)))
    return out


def _js_clause(clause: Any) -> tuple[list[str], str]:
    names: list[str] = []
    namespace = ""
    for child in clause.children:
        if child.type == "identifier":  # the default export
            names.append("default")
        elif child.type == "namespace_import":
            namespace = next((_text(c) for c in child.children if c.type == "identifier"), "")
        elif child.type == "named_imports":
            for spec in child.children:
                if spec.type == "import_specifier":
                    names.append(_text(spec.child_by_field_name("name")))
    return names, namespace


def _require(declarator: Any) -> Import | None:
    value = declarator.child_by_field_name("value")
    if value is None or value.type != "call_expression" or _text(value.child_by_field_name("function")) != "require":
        return None
    args = value.child_by_field_name("arguments")
    strings = [c for c in (args.children if args is not None else []) if c.type == "string"]
    if not strings:
        return None
    module = _unquote(_text(strings[0]))
    target = declarator.child_by_field_name("name")
    line = declarator.start_point[0]
    if target is not None and target.type == "object_pattern":
        names = [_text(c.child_by_field_name("key") or c) for c in target.children
                 if c.type in ("shorthand_property_identifier_pattern", "pair_pattern")]
        return Import(module, tuple(names), "", line)
    return Import(module, (), _text(target), line)


def _javascript(root: Any) -> list[Import]:
    out: list[Import] = []
    for node in top_level(root):
        line = node.start_point[0]
        if node.type == "import_statement":
            source = _unquote(_text(node.child_by_field_name("source")))
            clause = next((c for c in node.children if c.type == "import_clause"), None)
            names, namespace = _js_clause(clause) if clause is not None else ([], "")
            if "default" in names:
                # The default export is used under the local name, and is often the module's main thing.
                local = next((_text(c) for c in clause.children if c.type == "identifier"), "")
                namespace = namespace or local
            out.append(Import(source, tuple(n for n in names if n != "default"), namespace, line))
        elif node.type == "export_statement" and node.child_by_field_name("source") is not None:
            # `export {a, b as c} from './m'`, `export * from './m'`: a barrel file's re-exports.
            source = _unquote(_text(node.child_by_field_name("source")))
            clause = next((c for c in node.children if c.type == "export_clause"), None)
            names = [_text(spec.child_by_field_name("name")) for spec in (clause.children if clause else [])
                     if spec.type == "export_specifier"] or ["*"]
            out.append(Import(source, tuple(names), "", line))
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.children:
                if declarator.type == "variable_declarator":
                    found = _require(declarator)
                    if found is not None:
                        out.append(found)
    return out


def _go(root: Any) -> list[Import]:
    out: list[Import] = []
    for node in top_level(root):
        if node.type != "import_declaration":
            continue
        specs = [c for c in node.children if c.type == "import_spec"]
        for group in (c for c in node.children if c.type == "import_spec_list"):
            specs += [c for c in group.children if c.type == "import_spec"]
        for spec in specs:
            path = _unquote(_text(spec.child_by_field_name("path")))
            alias = _text(spec.child_by_field_name("name"))
            out.append(Import(path, (), alias or path.rsplit("/", 1)[-1], spec.start_point[0]))
    return out


def _rust_paths(node: Any, base: str, out: list[tuple[str, str]]) -> None:
    """(module path, name) pairs of a `use` tree: `a::b::{C, d::E}` → (a::b, C), (a::b::d, E)."""
    kind = node.type
    if kind == "scoped_identifier":
        out.append((_join(base, _text(node.child_by_field_name("path"))), _text(node.child_by_field_name("name"))))
    elif kind == "identifier":
        out.append((base, _text(node)))
    elif kind == "use_as_clause":
        _rust_paths(node.child_by_field_name("path"), base, out)
    elif kind == "scoped_use_list":
        inner = _join(base, _text(node.child_by_field_name("path")))
        _rust_paths(node.child_by_field_name("list"), inner, out)
    elif kind == "use_list":
        for child in node.children:
            _rust_paths(child, base, out)
    elif kind == "use_wildcard":
        path = next((c for c in node.children if c.type != "::" and c.type != "*"), None)
        out.append((_join(base, _text(path)), "*"))


def _join(base: str, path: str) -> str:
    return f"{base}::{path}" if base and path else base or path


def _rust(root: Any) -> list[Import]:
    out: list[Import] = []
    for node in top_level(root):
        line = node.start_point[0]
        if node.type == "use_declaration":
            pairs: list[tuple[str, str]] = []
            _rust_paths(node.child_by_field_name("argument"), "", pairs)
            for module, name in pairs:
                out.append(Import(module, (name,), "", line))
        elif node.type == "mod_item" and node.child_by_field_name("body") is None:
            name = _text(node.child_by_field_name("name"))
            out.append(Import(f"self::{name}", ("*",), name, line))
    return out


def _c(root: Any) -> list[Import]:
    out: list[Import] = []
    stack = top_level(root)
    while stack:
        node = stack.pop(0)
        if node.type == "preproc_include":
            path = node.child_by_field_name("path")
            if path is not None and path.type == "string_literal":  # <system> headers are not the workspace's
                out.append(Import(_unquote(_text(path)), ("*",), "", node.start_point[0]))
        elif node.type.startswith("preproc_if"):
            stack.extend(node.children)
    return out


_REQUIRE = re.compile(r"^\s*\((?:require|use-package)\s+'?([\w+/.-]+)", re.M)


def _emacs_lisp(text: str) -> list[Import]:
    return [Import(m.group(1), ("*",), "", text.count("\n", 0, m.start())) for m in _REQUIRE.finditer(text)]


# By language family (`Language.family`): readers of the syntax tree.
_BY_FAMILY = {"python": _python, "ecmascript": _javascript, "go": _go, "rust": _rust, "c": _c}


def of(language: str, text: str, tree: SyntaxTree | None) -> list[Import]:
    """The file's imports, in file order; [] for a language we do not read."""
    family = languages.get(language).family
    if family == "lisp":
        return _emacs_lisp(text)
    reader = _BY_FAMILY.get(family or "")
    if reader is None or tree is None:
        return []
    return reader(tree.tree.root_node)
