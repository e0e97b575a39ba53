"""Real-sized files for the quality bench: a HumanEval problem among other whole, valid problems."""

from __future__ import annotations

import ast
import random

# ~3.4 characters per Qwen2.5-Coder token on HumanEval code: about 3,600 tokens a file.
REAL_FILE_CHARS = 12_000


def source(problem: dict) -> str:
    """A problem as a finished module: its prompt and canonical solution, whole."""
    return problem["prompt"] + problem["canonical_solution"]


def _bindings(code: str) -> tuple[set[str], set[str]]:
    """Top-level names `code` binds: (by def, class or assignment; by import)."""
    defs: set[str] = set()
    imports: set[str] = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for target in ast.walk(node):
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    defs.add(target.id)
    return defs, imports


def _identifiers(code: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def collides(neighbour: str, task_code: str) -> bool:
    """Would placing `neighbour` in the file change what the task's code or tests refer to?

    A neighbour's def, class or assignment must not bind a name the task uses; its imports
    may repeat the task's own (`from typing import List` twice is harmless) but must not rebind
    a name the task defines.
    """
    n_defs, n_imports = _bindings(neighbour)
    t_defs, _ = _bindings(task_code)
    return bool(n_defs & _identifiers(task_code)) or bool(n_imports & t_defs)


def surround(problem: dict, problems: list[dict], seed: int,
             target_chars: int = REAL_FILE_CHARS) -> tuple[str, str]:
    """Text to put before and after `problem` so the file has about `target_chars` characters.

    Neighbours are other problems, whole, in an order and with a split (25–75 % before the
    task) fixed by `seed` and the task id; ones whose names collide with the task's are left out.
    """
    rng = random.Random(f"{seed}:{problem['task_id']}")
    task_code = source(problem) + "\n" + problem["test"]
    others = [p for p in problems if p["task_id"] != problem["task_id"]]
    rng.shuffle(others)
    room = max(0, target_chars - len(source(problem)))
    room_before = int(room * rng.uniform(0.25, 0.75))
    before: list[str] = []
    after: list[str] = []
    used = 0
    for other in others:
        if used >= room:
            break
        block = source(other).strip("\n")
        if collides(block, task_code):
            continue
        (before if used < room_before else after).append(block)
        used += len(block) + 3
    # Two blank lines between top-level blocks, as in a tidy module.
    head = "".join(b + "\n\n\n" for b in before)
    tail = "".join("\n\n" + b + "\n" for b in after)  # goes after a line end
    return head, tail
