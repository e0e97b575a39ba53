"""The user's code an evaluation punches holes in: files of the workspace walker (no secrets, .gitignore obeyed), by language."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ghostwright.evaluation.holes import COMMENT
from ghostwright.text.languages import language_of
from ghostwright.trust.workspace_files import Limits, Workspace

# Files looked at, code or not: a bigger tree is sampled from its first files in walking order.
MAX_FILES = 20_000


def code_files(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple[str, str]]]:
    """language → [(path relative to `root`, text)] for every readable file under `root` in a
    language holes can be punched in; what the walker refuses is never opened. `exclude`: more
    globs, as in .gitignore."""
    workspace = Workspace([root], Limits(max_files=MAX_FILES, exclude=exclude))
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path in workspace.files():
        language = language_of("", path.as_uri())
        if language not in COMMENT:
            continue
        text = workspace.read(path)
        if text is not None and text.strip():
            out[language].append((workspace.relative(path), text))
    return dict(out)
