"""The third-party Python files the latency, soak, router and memory benches type into and open.

They are files of the packages pinned in `data/repo/` (each checked against its MANIFEST.json
sha256 there), so the inputs are real code nobody on this project wrote, and a refactor of the
server never changes a benchmark's input.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache

from bench import repo_code


@dataclass(frozen=True)
class Input:
    root: str  # the package's directory in data/repo/
    path: str  # the file's path inside the package

    def text(self) -> str:
        return _packages()[self.root][self.path]

    @property
    def label(self) -> str:
        package = next(p for p in repo_code.manifest() if p["root"] == self.root)
        return f"{package['name']} {package['version']} `{self.path}`"


@cache
def _packages() -> dict[str, dict[str, str]]:
    return repo_code.load_packages()


# The typing replay: a method of a class, typed anew from its `def` line on (a method with
# loops, branches and attribute calls, long enough for the replay's default 600 characters).
REPLAY = Input("python/jinja2-3.1.4", "src/jinja2/idtracking.py")
REPLAY_FUNCTION = "Symbols.branch_update"

# Three files of different sizes (under 1 KB, under 3 KB, under 4 KB), edited at random lines as
# a user moving around a project does (the soak) or typed top to bottom (the router bench).
SMALL = Input("python/requests-2.32.3", "src/requests/hooks.py")
MEDIUM = Input("python/packaging-24.1", "src/packaging/_musllinux.py")
LARGE = Input("python/jinja2-3.1.4", "src/jinja2/visitor.py")

# A package whose modules, concatenated whole, make a long file (click's core.py alone is over
# 3,000 lines); it is not the replay's package, so the long file never holds the replay's answer.
LONG_PACKAGE = "python/click-8.1.7"


def function_span(source: str, qualname: str) -> tuple[int, int]:
    """Offsets of the function `qualname` ("Class.method" or "function") in `source`: from the
    start of its first line (decorators included) to the end of its last line."""
    scope: list[ast.stmt] = ast.parse(source).body
    *outer, name = qualname.split(".")
    for part in outer:
        scope = next(n for n in scope if isinstance(n, ast.ClassDef) and n.name == part).body
    node = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name),
                None)
    if node is None:
        raise SystemExit(f"bench: no function {qualname} in the replay's file")
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts[first - 1], starts[node.end_lineno]


def long_file(lines: int) -> str:
    """At least `lines` lines of real code: the modules of LONG_PACKAGE in path order, each whole
    (a module cut in the middle would leave a syntax error in the file), repeated if need be."""
    files = _packages()[LONG_PACKAGE]
    sources = [files[p] for p in sorted(files) if p.endswith(".py")]
    out: list[str] = []
    while len(out) < lines:
        for text in sources:
            out.extend(text.splitlines())
            if len(out) >= lines:
                break
    return "\n".join(out) + "\n"
