"""The latency, soak and router benches' inputs: files of the pinned third-party packages, checked
against their manifest, and the places the benches need found in them by parsing (no model needed)."""

from __future__ import annotations

import ast
import textwrap

from bench import bench_backends, inputs, repo_code, soak


def test_every_input_is_a_file_of_a_pinned_package_with_its_manifests_sha256():
    roots = {p["root"] for p in repo_code.manifest()}
    used = [inputs.REPLAY, *soak.FILES, *bench_backends.FILES]
    for source in used:
        assert source.root in roots and source.path.endswith(".py")
        assert source.text()  # read through the manifest check
    assert inputs.LONG_PACKAGE in roots


def test_the_soak_edits_three_files_of_different_sizes():
    sizes = [len(f.text()) for f in soak.FILES]
    assert len(set(soak.FILES)) == 3 and sizes == sorted(sizes) and sizes[0] < 1000 < sizes[1] < sizes[2]


def test_the_replay_types_a_whole_method_found_by_parsing_into_a_file_that_still_parses():
    source = inputs.REPLAY.text()
    start, end = inputs.function_span(source, inputs.REPLAY_FUNCTION)
    method = source[start:end]
    name = inputs.REPLAY_FUNCTION.rsplit(".", 1)[1]
    tree = ast.parse(textwrap.dedent(method))
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef) and tree.body[0].name == name
    assert len(method) >= 600  # the replay's default --chars
    ast.parse(source[:start] + "\n\n" + source[end:].lstrip("\n"))  # the rest of the class stays valid


def test_the_long_file_is_whole_modules_with_function_bodies_to_type_into_and_room_for_every_window():
    text = inputs.long_file(5000)
    ast.parse(text)
    lines = text.split("\n")
    assert len(lines) > 5000
    assert all(ord(c) <= 0xFFFF for c in text)  # the replay's editor counts UTF-16 units as code points
    # The overhead bench types a statement on a new line under statements of function bodies.
    body_lines = [l for l in lines if l.startswith("        ") and l.strip() and not l.rstrip().endswith(":")]
    assert len(body_lines) > 1000
    # The warm/cold bench slices windows up to 95,400 characters past its last round's start
    # (2,000 + 4 × 4,000 with the default 5 rounds).
    assert len(inputs.long_file(3000)) >= 2000 + 4 * 4000 + 95400
    # Not the replay's package: the long file never holds the replay's answer.
    assert inputs.LONG_PACKAGE != inputs.REPLAY.root
