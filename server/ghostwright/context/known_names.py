"""The names that may follow `module.` at the cursor: what a workspace module defines, so the model cannot make one up."""

from __future__ import annotations

import keyword
import os
import re

from ghostwright.context import definitions, imports as file_imports
from ghostwright.text import languages
from ghostwright.text.syntax import SyntaxTree, parse_text

# A small model right after `utils.` often writes a plausible name the module does not have
# (`isBrowser` for `isBuffer`, `Floordiv` for `FloorDiv`). Where the module is a workspace file and
# all it can hold is known, the answer is made to start with one of its names: the decoding
# constraint of "monitor-guided decoding" (Agrawal et al., 2023), with the module's text as monitor.
# Only families where `name.` reads a module's member: a Go package is a folder of files.
FAMILIES = ("python", "ecmascript", "go")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
# Members every module or object has that its text need not spell.
_ALWAYS = {
    "python": ("__name__", "__file__", "__doc__", "__dict__", "__all__", "__path__", "__spec__", "__loader__",
               "__package__", "__version__"),
    "ecmascript": ("prototype", "constructor", "name", "length", "call", "apply", "bind", "toString",
                   "hasOwnProperty", "default"),
    "go": (),
}
# What makes a module's members more than its text shows: then no constraint.
_OPEN_ENDED = {
    "python": re.compile(r"^\s*from\s+\S+\s+import\s+\*|^def\s+__getattr__\b|\bglobals\(\)\s*(\[|\.update)"
                         r"|\bsetattr\(\s*sys\.modules|\bvars\(\)\s*\[", re.M),
    "ecmascript": re.compile(r"\bexport\s+\*|module\.exports\s*=\s*require\(|Object\.assign\(\s*(module\.)?exports\b"),
    "go": re.compile(r"(?!)"),
}
# Python binds a module's members with a few statements: the names they bind anywhere in the file
# (a superset: a function's locals too) leave out what the module only uses (`TypeError`, `len`).
_PY_IMPORTS = re.compile(r"^[ \t]*(?:import[ \t]+([^\n#]+)|from[ \t]+\S+[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+))"
                         r"|\bas[ \t]+(\w+)|(\w+)[ \t]*:=", re.M)
_PY_DEF = re.compile(r"(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")


def _python_members(text: str) -> set[str]:
    out: set[str] = set()
    for groups in _PY_IMPORTS.findall(text):
        for part in groups:
            out.update(_IDENT.findall(part))
    for line in text.split("\n"):
        code = line.lstrip()
        m = _PY_DEF.match(code)
        if m:
            out.add(m.group(1))
            continue
        eq = code.find("=")
        if eq > 0 and code[eq + 1:eq + 2] != "=" and code[eq - 1] not in "!<>":
            out.update(_IDENT.findall(code[:eq].split(":", 1)[0]))  # a, b = …; x: int = …
        elif code[:1].isalpha() and ":" in code:
            out.update(_IDENT.findall(code.split(":", 1)[0]))  # x: int (declared, not assigned)
    return {w for w in out if not keyword.iskeyword(w)}


_JS_DECLARATIONS = ("function_declaration", "generator_function_declaration", "class_declaration",
                    "lexical_declaration", "variable_declaration",
                    # TypeScript's, named the same way
                    "abstract_class_declaration", "interface_declaration", "type_alias_declaration",
                    "enum_declaration", "function_signature")


def _js_members(text: str, language: str = "javascript") -> set[str]:
    """What a JavaScript module can export: its top-level declarations, the keys of an object it
    exports (`export default {isArray, …}`, `module.exports = {…}`) and `exports.name = …`;
    every identifier of the text where the exports take another shape (a default export of an
    instance whose members are assigned later, a spread)."""
    tree = parse_text(language, text)
    if tree is None:
        return set(_IDENT.findall(text))
    out: set[str] = set()
    for node in file_imports.top_level(tree.tree.root_node):
        target = node
        if node.type == "export_statement":
            target = node.child_by_field_name("declaration") or node.child_by_field_name("value")
            if target is None:  # export {a, b as c}, export * (refused before this)
                out.update(_js_names(node, ("identifier",)))
                continue
        elif node.type == "expression_statement" and node.children and node.children[0].type == "assignment_expression":
            assignment = node.children[0]
            left = _js_text(assignment.child_by_field_name("left"))
            if left in ("module.exports", "exports"):
                target = assignment.child_by_field_name("right")
            elif re.fullmatch(r"(?:module\.)?exports\.([\w$]+)", left):
                out.add(left.rsplit(".", 1)[1])
                continue
            else:
                continue
        if target is None:
            continue
        if target.type in _JS_DECLARATIONS:
            for declarator in [target] if not target.type.endswith(("lexical_declaration", "variable_declaration")) \
                    else [c for c in target.children if c.type == "variable_declarator"]:
                out.update(_js_names(declarator.child_by_field_name("name"),
                                     ("identifier", "type_identifier", "shorthand_property_identifier_pattern")))
        elif target.type == "object":
            for entry in target.children:
                if entry.type == "spread_element":
                    return set(_IDENT.findall(text))
                key = entry.child_by_field_name("key") if entry.type in ("pair", "method_definition") else entry
                if key is not None and key.type in ("shorthand_property_identifier", "property_identifier",
                                                    "identifier", "string"):
                    out.add(_js_text(key).strip("'\""))
        elif node is not target:  # an exported value of another shape: its members are not read here
            return set(_IDENT.findall(text))
    return out


def _js_names(node, kinds: tuple[str, ...]) -> set[str]:
    if node is None:
        return set()
    if node.type in kinds:
        return {_js_text(node)}
    return {n for child in node.children for n in _js_names(child, kinds)}


def _js_text(node) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


# By family: the names a module's text may give it. Go exports capitalised names.
_MEMBERS = {
    "python": lambda text, language: _python_members(text),
    "ecmascript": _js_members,
    "go": lambda text, language: {n for n in _IDENT.findall(text) if n[:1].isupper()},
}
_SEEN: dict[tuple[str, str, int], frozenset[str]] = {}


def _members(family: str, path: str, text: str) -> frozenset[str]:
    """_MEMBERS of a module's text, remembered: reading a big module takes tens of milliseconds,
    and the same modules are asked again at every request."""
    key = (family, path, hash(text))
    found = _SEEN.get(key)
    if found is None:
        if len(_SEEN) > 256:
            _SEEN.clear()
        language = languages.language_of("", "file://" + path)  # `./util.js` may be `util.ts`
        found = _SEEN[key] = frozenset(_MEMBERS[family](text, language))
    return found


# `from mod import a, b as c, ` then the name being typed (one line; not inside parentheses over lines).
_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+\(?\s*(?:\w+(?:\s+as\s+\w+)?\s*,\s*)*(\w*)$")
# A Go package of more files than this is not read whole: its names stay unconstrained.
MAX_FILES = 16
# Past this many names the constraint costs more to build than it narrows.
MAX_NAMES = 4000


def after_module(language: str, path: str, text: str, offset: int, tree: SyntaxTree | None,
                 files: definitions.Files) -> tuple[str, ...] | None:
    """What may follow the cursor when it is right after `module.` (or inside the name typed after
    it) of an imported workspace module whose names are all known, or after Python's `from module
    import `: the rest of each name that begins with what was typed. None anywhere else, or when
    the module's names are not all known."""
    family = languages.get(language).family
    if family not in FAMILIES:
        return None
    line_before = text[text.rfind("\n", 0, offset) + 1:offset]
    m = re.search(r"(?:^|[^\w$.])([A-Za-z_$][\w$]*)\.([\w$]*)$", line_before)
    taken = _FROM_IMPORT.match(line_before) if family == "python" else None
    if taken is not None:  # `from .mod import a, |`: the names of `.mod`
        typed = taken.group(2)
        targets = definitions.resolve(language, file_imports.Import(taken.group(1)), path, files)
        if _package(targets):
            return None  # its submodules can be imported from it too
    elif m is not None:
        typed = m.group(2)
        targets = _module_files(language, path, text, tree, files, m.group(1))
    else:
        return None
    if not targets:
        return None
    names: set[str] = set(_ALWAYS[family])
    for target in targets:
        body = files.read(target)
        if body is None or _OPEN_ENDED[family].search(body):
            return None
        names.update(_members(family, target, body))
    if len(names) > MAX_NAMES:
        return None
    rests = sorted({n[len(typed):] for n in names if n.startswith(typed)})
    return tuple(rests) or None  # a name none has: the user is writing something new


def _module_files(language: str, path: str, text: str, tree: SyntaxTree | None, files: definitions.Files,
                  namespace: str) -> list[str]:
    """The workspace files that make up the module the file binds to `namespace`, or []."""
    family = languages.get(language).family
    for imp in definitions.imports_of(language, text, tree):
        if imp.namespace == namespace:
            targets = definitions.resolve(language, imp, path, files)
        else:  # `from pkg import mod` (as `namespace`): a module of the package
            name = next((n for n in imp.names if imp.local(n) == namespace), None)
            if name is None:
                continue
            targets = definitions.submodule(language, imp, name, path, files)
        if family == "python" and _package(targets):
            return []  # its submodules are members too, and not all are files beside it
        if family == "go":
            folder = os.path.dirname(targets[0]) if targets else ""
            every = [p for p in files.in_folder(folder) if p.endswith(".go") and not p.endswith("_test.go")]
            if not targets or len(every) > MAX_FILES:
                return []
            return every
        return targets
    return []


def _package(targets: list[str]) -> bool:
    """A Python package (its `__init__.py`): members beyond its text, the modules beside it."""
    return any(os.path.basename(t) == "__init__.py" for t in targets)
