"""The real-code bench's holes: pinned files, every kind of place in every language, seeded,
and each hole the file with the rest of one line taken out."""

from __future__ import annotations

from collections import Counter

import pytest

from bench import real_code

FILES = real_code.load_files()
HOLES = real_code.make_holes(FILES, real_code.PER_LANGUAGE)


def test_at_least_120_holes_of_at_least_eight_kinds_in_each_of_five_languages():
    per_language = Counter(h.language for h in HOLES)
    assert set(per_language) == set(real_code.LANGUAGES)
    assert all(n >= 120 for n in per_language.values()), per_language
    for language in real_code.LANGUAGES:
        kinds = Counter(h.place for h in HOLES if h.language == language)
        assert len(kinds) >= 8, (language, kinds)
        assert max(kinds.values()) - min(kinds.values()) <= max(kinds.values()) // 2 + 1  # stratified


def test_each_hole_is_its_file_with_the_rest_of_one_line_taken_out():
    texts = {path: text for files in FILES.values() for path, text in files}
    for hole in HOLES:
        text = texts[hole.path]
        assert hole.expected.strip() and "\n" not in hole.expected
        assert text.startswith(hole.before + hole.expected)
        if hole.place == "eof":
            assert hole.after == ""
        else:
            # The rest of the line (trailing blanks too) is all that is missing.
            missing = text[len(hole.before):len(text) - len(hole.after)]
            assert text.endswith(hole.after) and missing.rstrip() == hole.expected and "\n" not in missing


def test_the_holes_are_seeded_and_a_limit_takes_the_first_of_each_language():
    again = real_code.make_holes(real_code.load_files(), real_code.PER_LANGUAGE)
    assert [h.task_id for h in again] == [h.task_id for h in HOLES]
    few = real_code.make_holes(FILES, 10)
    for language in real_code.LANGUAGES:
        mine = [h.task_id for h in HOLES if h.language == language]
        assert [h.task_id for h in few if h.language == language] == mine[:10]
        assert len({h.place for h in few if h.language == language}) >= 8  # a LIMIT covers the kinds


def test_a_file_that_differs_from_its_manifest_is_refused(tmp_path, monkeypatch):
    entry = real_code.manifest()[0]
    copy = tmp_path / entry["path"]
    copy.parent.mkdir(parents=True)
    copy.write_bytes((real_code.DATA / entry["path"]).read_bytes() + b"\n# changed\n")
    (tmp_path / "MANIFEST.json").write_text('{"files": [%s]}' % __import__("json").dumps(entry), encoding="utf-8")
    monkeypatch.setattr(real_code, "DATA", tmp_path)
    with pytest.raises(SystemExit, match="sha256"):
        real_code.load_files()


def test_scores_count_the_first_line_only_and_empty_answers():
    hole = HOLES[0]
    score = real_code.Score()
    score.add(hole, hole.expected + "\nmore", 0.1)
    score.add(hole, "", 0.3)
    assert (score.n, score.exact, score.empty) == (2, 1, 1)
    assert score.similarity == [100.0, 0.0]


def test_a_hole_resumed_for_another_system_counts_once_in_the_tables(tmp_path):
    """A baseline-only run resumed to add ghostwright's answers appends a second record of the
    hole: the tables must count the hole once, with both answers."""
    import json

    hole = HOLES[0]
    first = {"id": hole.task_id, "language": hole.language, "place": hole.place, "expected": hole.expected,
             "baseline": hole.expected, "baseline_s": 2.0}
    both = dict(first, ghostwright="", ghostwright_s=1.0)
    trace = tmp_path / "trace.jsonl"
    trace.write_text(json.dumps(first) + "\n" + json.dumps(both) + "\n", encoding="utf-8")
    assert real_code.read_trace(trace) == [both]
    table = real_code.table_from_traces([trace], real_code.PER_LANGUAGE, real_code.LANGUAGES)
    rows = [line for line in table.splitlines() if line.startswith(f"| {hole.language} |")]
    assert [row.split(" | ")[2] for row in rows] == ["1", "1"], rows  # n = 1 for each system
