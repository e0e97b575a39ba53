"""Definitions the cursor may need from other files: the file's imports resolved in the workspace, outlined, ranked by use near the cursor."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from ghostwright.context import imports as file_imports
from ghostwright.context.outline import Entry
from ghostwright.text import languages
from ghostwright.text.syntax import SyntaxTree, parse_text

_IDENT = re.compile(r"[A-Za-z_$][\w$-]*")
# Lines around the cursor whose names count as "used near the cursor".
NEAR_LINES_ABOVE = 40
NEAR_LINES_BELOW = 4
# Files of one import read at most (a Go package is a folder of files).
FILES_PER_IMPORT = 8
# Past this size a file's names are not counted to find the imports it does not use yet.
COUNTED_CHARS = 400_000
# Names per line of the list of a module's names shown when the cursor is right after `module.`.
NAMES_PER_LINE = 8
# A signature joined from several lines is kept up to this length; past it, its first line only.
ONE_LINE = 120
_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


class Files(Protocol):
    """Where definitions are read from: open documents first, then the workspace on disk."""

    def exists(self, path: str) -> bool: ...

    def ending_with(self, relative: str, near: str) -> str | None: ...

    def in_folder(self, folder: str) -> list[str]: ...

    def outline(self, path: str) -> list[Entry] | None: ...

    def relative(self, path: str) -> str: ...

    def read(self, path: str) -> str | None: ...


@dataclass(frozen=True)
class Found:
    """One definition for the prompt: its file (as the prompt names it), its outline and its rank."""

    path: str
    text: str
    brief: str  # a shorter form of `text` (a class without its methods), or `text` itself
    # Higher first: the names of the module the cursor is right after (`module.`), the function
    # whose call the cursor is in, that module's public names, imported by name and not used yet
    # (what the user is about to write), used after its module's name near the cursor, used near
    # the cursor, of an import used nearby.
    priority: int
    order: tuple[int, int]  # (import line, place in its file): the order the prompt shows them in


def near_names(text: str, offset: int) -> tuple[set[str], str]:
    """The identifiers of the lines around `offset`, and that text (for `module.name` uses)."""
    start = offset
    for _ in range(NEAR_LINES_ABOVE):
        start = text.rfind("\n", 0, start)
        if start <= 0:
            start = 0
            break
    end = offset
    for _ in range(NEAR_LINES_BELOW):
        found = text.find("\n", end + 1)
        if found == -1:
            end = len(text)
            break
        end = found
    around = text[start:end]
    return set(_IDENT.findall(around)), around


def call_open(line_before: str) -> int:
    """The column of the `(` whose arguments the cursor is in on its line, else -1 (in a `[` or `{`, or none)."""
    depth = 0
    for i in range(len(line_before) - 1, -1, -1):
        c = line_before[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                return i if c == "(" else -1
            depth -= 1
    return -1


def callee(head: str) -> str:
    """The name a call's `(` follows, given the text before that `(` (`x = m.f` → `f`), else ""."""
    m = re.search(r"([A-Za-z_$][\w$]*)\s*$", head)
    return m.group(1) if m else ""


def called_at(line_before: str) -> str:
    """The name of the function whose call the cursor is in (`f(a, ` or `m.f(`), else ""."""
    i = call_open(line_before)
    return callee(line_before[:i]) if i >= 0 else ""


def after_module(namespace: str, line_before: str) -> str | None:
    """What was typed of a name right after `namespace.` at the cursor ("" right after the dot),
    None when the cursor is not there."""
    m = re.search(r"(?:^|[^\w$.])" + re.escape(namespace) + r"\s*(?:\.|::|->)\s*([\w$]*)$", line_before)
    return m.group(1) if m else None


def _offered(name: str, in_file: set[str]) -> bool:
    """A public name of the module that the file does not use yet."""
    return not name.startswith("_") and name not in in_file


def one_line(text: str) -> str:
    """An outline entry's head on one line: its signature (one over several lines joined), then ` …`
    when a body or members followed."""
    lines = text.split("\n")
    head: list[str] = []
    depth = 0
    for line in lines:
        head.append(line.strip() if head else line.rstrip())
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        if depth <= 0:
            break
    out = re.sub(r"([(\[{]) ", r"\1", " ".join(head))
    out = re.sub(r",? ([)\]}])", r"\1", out)
    if len(head) > 1 and len(out) > ONE_LINE:  # a body, not a signature, was joined
        return lines[0].rstrip() + " …"
    return out if len(head) == len(lines) or out.endswith((":", "…")) else out + " …"


def comment_of(language: str) -> str:
    """What begins a comment line of `language` in the prompt (`;;` in a Lisp)."""
    comment = languages.get(language).line_comment or "//"
    return comment * 2 if comment == ";" else comment


def _names_list(comment: str, names: list[str]) -> str:
    """The names a module offers, as comment lines of a few names each (a budget can cut between lines)."""
    rows = [names[i:i + NAMES_PER_LINE] for i in range(0, len(names), NAMES_PER_LINE)]
    return "\n".join(f"{comment} {', '.join(row)}" for row in rows)


def _python_files(module: str, here: str, files: Files) -> list[str]:
    level = len(module) - len(module.lstrip("."))
    rest = module[level:].replace(".", "/")
    if level:
        base = here
        for _ in range(level - 1):
            base = os.path.dirname(base)
        stem = os.path.join(base, rest) if rest else base
        candidates = [stem + ".py", stem + ".pyi", os.path.join(stem, "__init__.py")] if rest \
            else [os.path.join(stem, "__init__.py")]
        return [c for c in (os.path.normpath(c) for c in candidates) if files.exists(c)][:1]
    for relative in (rest + ".py", rest + ".pyi", rest + "/__init__.py"):
        found = files.ending_with(relative, here)
        if found:
            return [found]
    return []


def _js_files(module: str, here: str, files: Files) -> list[str]:
    if not module.startswith("."):
        return []  # a package from node_modules, or an alias the index cannot know
    # Those of TypeScript first; then those of any other language of the family in the table.
    endings = _JS_EXTENSIONS + tuple(e for lang in languages.LANGUAGES.values() if lang.family == "ecmascript"
                                     for e in lang.extensions if e not in _JS_EXTENSIONS)
    base = os.path.normpath(os.path.join(here, module))
    stems = [base]
    root, ext = os.path.splitext(base)
    if ext in endings:
        stems.insert(0, root)  # `./util.js` names `util.ts` in TypeScript
        if files.exists(base):
            return [base]
    for stem in stems:
        for candidate in [stem + e for e in endings] + [os.path.join(stem, "index" + e) for e in endings]:
            if files.exists(candidate):
                return [candidate]
    return []


def _go_module(here: str, files: Files) -> tuple[str, str] | None:
    """(module path, its folder) from the nearest go.mod above `here` inside the workspace."""
    folder = here
    for _ in range(32):
        gomod = os.path.join(folder, "go.mod")
        head = files.read(gomod) if files.exists(gomod) else None
        if head is not None:
            m = re.search(r"^module\s+(\S+)", head, re.M)
            return (m.group(1), folder) if m else None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


def _go_files(module: str, here: str, files: Files) -> list[str]:
    found = _go_module(here, files)
    if found is None or not (module == found[0] or module.startswith(found[0] + "/")):
        return []
    folder = os.path.normpath(os.path.join(found[1], module[len(found[0]):].lstrip("/")))
    return [p for p in files.in_folder(folder) if p.endswith(".go") and not p.endswith("_test.go")][:FILES_PER_IMPORT]


def _rust_module_dir(path: str) -> str:
    name = os.path.basename(path)
    return os.path.dirname(path) if name in ("mod.rs", "lib.rs", "main.rs") else os.path.splitext(path)[0]


def _rust_files(module: str, here_file: str, files: Files) -> list[str]:
    parts = module.split("::")
    if parts[0] == "crate":
        base = here_file
        while os.path.basename(base) != "src":
            parent = os.path.dirname(base)
            if parent == base:
                return []
            base = parent
        parts = parts[1:]
        if not parts:
            return [p for p in (os.path.join(base, "lib.rs"), os.path.join(base, "main.rs")) if files.exists(p)][:1]
    elif parts[0] in ("self", "super"):
        base = _rust_module_dir(here_file)
        while parts and parts[0] in ("self", "super"):
            if parts[0] == "super":
                base = os.path.dirname(base)
            parts = parts[1:]
        if not parts:
            return [p for p in (base + ".rs", os.path.join(base, "mod.rs")) if files.exists(p)][:1]
    else:
        return []  # another crate
    stem = os.path.join(base, *parts)
    return [p for p in (stem + ".rs", os.path.join(stem, "mod.rs")) if files.exists(p)][:1]


def _c_files(module: str, here: str, files: Files) -> list[str]:
    local = os.path.normpath(os.path.join(here, module))
    if files.exists(local):
        return [local]
    found = files.ending_with(module, here)
    return [found] if found else []


def _elisp_files(feature: str, here: str, files: Files) -> list[str]:
    found = files.ending_with(feature + ".el", here)
    return [found] if found else []


# By language family: (module, folder of the importing file, the file itself, files) -> paths.
_RESOLVERS = {
    "python": lambda module, here, path, files: _python_files(module, here, files),
    "ecmascript": lambda module, here, path, files: _js_files(module, here, files),
    "go": lambda module, here, path, files: _go_files(module, here, files),
    "rust": lambda module, here, path, files: _rust_files(module, path, files),
    "c": lambda module, here, path, files: _c_files(module, here, files),
    "lisp": lambda module, here, path, files: _elisp_files(module, here, files),
}


def resolve(language: str, imp: file_imports.Import, path: str, files: Files) -> list[str]:
    """The workspace files an import names (absolute paths), [] when it names none of them."""
    resolver = _RESOLVERS.get(languages.get(language).family or "")
    return resolver(imp.module, os.path.dirname(path), path, files) if resolver else []


_REEXPORTS: dict[tuple[str, int], list[file_imports.Import]] = {}


def _reexported(language: str, target: str, name: str, files: Files) -> list[str]:
    """The files a module takes `name` from (`from ._core import Name` in a package's
    `__init__.py`, `export {name} from './m'` in an index.js): one level deep."""
    text = files.read(target)
    if not text:
        return []
    key = (target, hash(text))
    imps = _REEXPORTS.get(key)
    if imps is None:
        imps = file_imports.of(language, text, parse_text(language, text))
        if len(_REEXPORTS) > 256:
            _REEXPORTS.clear()
        _REEXPORTS[key] = imps
    out: list[str] = []
    for imp in imps:
        if name in imp.names or (languages.get(language).star_reexports and "*" in imp.names):
            out += resolve(language, imp, target, files)
    return out[:FILES_PER_IMPORT]


def submodule(language: str, imp: file_imports.Import, name: str, path: str, files: Files) -> list[str]:
    """`from pkg import mod`: the name is a module of the package, not one of its definitions."""
    if not languages.get(language).package_modules:
        return []
    module = imp.module + ("" if imp.module.endswith(".") else ".") + name
    return resolve(language, file_imports.Import(module), path, files)


# Files whose identifier counts are kept from one version of their text to the next.
COUNTED_FILES = 16
_COUNTS: dict[str, tuple[str, Counter]] = {}


def _changed_lines(old: str, new: str) -> tuple[int, int, int]:
    """(start, end in `old`, end in `new`) of the lines an edit changed: outside them the two
    texts are the same. Whole lines, so no identifier is cut (none spans a line break)."""
    lo, hi = 0, min(len(old), len(new))
    while lo < hi:  # the common head, by halves: each step compares only the part not yet known
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    head = lo
    lo, hi = 0, min(len(old), len(new)) - head
    while lo < hi:  # the common tail, not overlapping the head
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid:len(old) - lo] == new[len(new) - mid:len(new) - lo]:
            lo = mid
        else:
            hi = mid - 1
    start = old.rfind("\n", 0, head) + 1
    old_end, new_end = old.find("\n", len(old) - lo), new.find("\n", len(new) - lo)
    return start, len(old) if old_end == -1 else old_end, len(new) if new_end == -1 else new_end


def identifier_counts(path: str, text: str) -> Counter:
    """How often each identifier occurs in `text`, the file at `path`. Kept from its last version:
    an edit recounts the lines it changed, not the whole file (its tree, and what is remembered
    with it, is new at every keystroke; a count of a large file took ~9 ms)."""
    last = _COUNTS.pop(path, None)
    if last is not None and last[0] == text:
        counts = last[1]
    elif last is not None:
        old, counts = last
        start, old_end, new_end = _changed_lines(old, text)
        if (old_end - start) + (new_end - start) > len(text) // 2:
            counts = Counter(_IDENT.findall(text))  # most of it changed: a count afresh is cheaper
        else:
            gone = _IDENT.findall(old, start, old_end)
            counts.subtract(gone)
            counts.update(_IDENT.findall(text, start, new_end))
            for name in gone:
                if counts.get(name, 1) <= 0:
                    del counts[name]
    else:
        counts = Counter(_IDENT.findall(text))
    if len(_COUNTS) >= COUNTED_FILES:
        del _COUNTS[next(iter(_COUNTS))]  # the file edited longest ago
    _COUNTS[path] = (text, counts)
    return counts


def _not_used_yet(path: str, text: str, imps: list[file_imports.Import]) -> set[str]:
    """The names the file imports by name and uses nowhere else: what the user is about to write."""
    if len(text) > COUNTED_CHARS:
        return set()
    counts = identifier_counts(path, text)
    listed = Counter(name for imp in imps for name in imp.names)
    return {name for name, n in listed.items() if counts.get(name, 0) <= n}


def imports_of(language: str, text: str, tree: SyntaxTree | None) -> list[file_imports.Import]:
    """The file's imports, remembered with its tree (definitions and known names both ask)."""
    imps = tree.memo.get("imports") if tree is not None else None
    if imps is None:
        imps = file_imports.of(language, text, tree)
        if tree is not None:
            tree.memo["imports"] = imps
    return imps


def find(language: str, path: str, text: str, offset: int, tree: SyntaxTree | None, files: Files) -> list[Found]:
    """The definitions reachable from the file's imports, each ranked by its use near the cursor."""
    imps = imports_of(language, text, tree)
    if not imps:
        return []
    near, around = near_names(text, offset)
    fresh = _not_used_yet(path, text, imps)
    line_before = text[text.rfind("\n", 0, offset) + 1:offset]
    called = called_at(line_before)
    comment = comment_of(language)
    out: list[Found] = []
    seen: set[tuple[str, str]] = set()

    def add(file: str, entries: list[Entry], wanted: set[str] | None, attrs: set[str], used: bool,
            line: int, namespace: str = "") -> None:
        shown = files.relative(file)
        # Right after `module.`: the model must pick one of the module's names, most likely one the
        # file does not use yet (those it uses are in the prompt already), so those come first. Not
        # narrowed by what was typed of the name: typing on keeps the block (and the cached prefill).
        typed = after_module(namespace, line_before) if namespace else None
        offered: set[str] = set()
        if typed is not None:
            in_file = set(re.findall(re.escape(namespace) + r"\s*(?:\.|::|->)\s*([\w$]+)", text[:offset - len(typed)]))
            in_file |= set(re.findall(re.escape(namespace) + r"\s*(?:\.|::|->)\s*([\w$]+)", text[offset:]))
            offered = {e.name for e in entries if e.text and (file, e.name) not in seen
                       and any(_offered(n, in_file) for n in _IDENT.findall(e.name))}
            # `const {a, b} = …` binds a and b: the list names each.
            listed = [n for e in entries if e.name in offered for n in _IDENT.findall(e.name)
                      if _offered(n, in_file)]
            if listed and (file, "") not in seen:
                seen.add((file, ""))
                names = _names_list(comment, list(dict.fromkeys(listed)))
                out.append(Found(shown, names, names, 7, (line, -1)))
        for i, entry in enumerate(entries):
            if not entry.text or (wanted is not None and "*" not in wanted and entry.name not in wanted):
                continue
            if (file, entry.name) in seen:
                continue
            seen.add((file, entry.name))
            if entry.name in offered:  # one line each: as many of the module's names as the budget holds
                head = one_line(entry.brief)
                out.append(Found(shown, head, head, 5, (line, i)))
                continue
            priority = 6 if entry.name == called else 4 if entry.name in fresh \
                else 3 if entry.name in attrs else 2 if entry.name in near else 1 if used else 0
            out.append(Found(shown, entry.text, entry.brief, priority, (line, i)))

    for imp in imps:
        targets = resolve(language, imp, path, files)
        names = set(imp.names)
        attrs: set[str] = set()
        if imp.namespace:
            attrs = set(re.findall(re.escape(imp.namespace) + r"\s*(?:\.|::|->)\s*([\w$]+)", around))
        used = bool(attrs) or bool(names & near) or (imp.namespace.split(".")[0] in near if imp.namespace else False)
        for target in targets:
            if os.path.normpath(target) == os.path.normpath(path):
                continue  # a file that requires itself (an Emacs Lisp feature it provides): its text is the window
            entries = files.outline(target) or []  # none of its own: an __init__.py may re-export
            wanted = None if imp.namespace or "*" in names else names
            add(target, entries, wanted, attrs, used, imp.line, imp.namespace)
            if wanted:
                defined = {e.name for e in entries}
                for name in sorted(wanted - defined):
                    subs = submodule(language, imp, name, path, files)
                    for sub in subs:
                        sub_entries = files.outline(sub)
                        if sub_entries:
                            local = imp.local(name)
                            sub_attrs = set(re.findall(re.escape(local) + r"\.(\w+)", around))
                            add(sub, sub_entries, None, sub_attrs, local in near or name in fresh, imp.line, local)
                    if not subs:
                        for origin in _reexported(language, target, name, files):
                            add(origin, files.outline(origin) or [], {name}, attrs, used, imp.line)
        if not targets and names and imp.module.strip(".") == "" \
                and languages.get(language).package_modules:
            for name in sorted(names):  # `from . import sibling`
                for sub in submodule(language, imp, name, path, files):
                    sub_entries = files.outline(sub)
                    if sub_entries:
                        local = imp.local(name)
                        sub_attrs = set(re.findall(re.escape(local) + r"\.(\w+)", around))
                        add(sub, sub_entries, None, sub_attrs, local in near or name in fresh, imp.line, local)
    return out
