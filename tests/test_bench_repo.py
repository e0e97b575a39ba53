"""The repository-level bench's holes: pinned packages, the CrossCodeEval criterion on every hole,
seeded, and the hole's line taken out in the workspace on disk too (no model needed)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bench import repo_code

PACKAGES = repo_code.load_packages()
HOLES = repo_code.make_holes(PACKAGES, repo_code.PER_LANGUAGE)
IMPORTS = {"python": re.compile(r"^\s*(from\s+\S+\s+import\s+\([^)]*\)|from\s+\S+\s+import\s+[^\n(]*|import\s+[^\n]*)$",
                                re.M),
           "javascript": re.compile(r"^\s*(import\s[^;]*?from\s*['\"][^'\"]+['\"];?|"
                                    r"(const|let|var)\s+[^;=]*?=\s*require\([^)]*\)[^\n]*)", re.M)}


def _lines_with(language: str, text: str, pattern: str) -> list[str]:
    """The lines of `text` that match, its import statements aside."""
    lines = IMPORTS[language].sub(lambda m: "\n" * m.group(0).count("\n"), text).split("\n")
    return [line for line in lines if re.search(pattern, line)]


def test_at_least_100_holes_of_both_kinds_in_python_and_javascript_from_every_package():
    per_language = Counter(h.language for h in HOLES)
    assert per_language["python"] >= 100 and per_language["javascript"] >= 100
    for language in repo_code.LANGUAGES:
        assert {h.kind for h in HOLES if h.language == language} == set(repo_code.KINDS)
    assert {h.package for h in HOLES} == {p["root"] for p in repo_code.manifest()}


def test_each_hole_needs_a_name_its_file_shows_only_in_imports_and_another_file_defines():
    for hole in HOLES:
        original = PACKAGES[hole.package][hole.path].split("\n")
        head = hole.before.split("\n")[-1]
        assert original[hole.line].rstrip() == head + hole.expected
        assert hole.holed.split("\n") == original[:hole.line] + [head] + original[hole.line + 1:]
        assert hole.defined_in != hole.path and hole.defined_in in PACKAGES[hole.package]
        name = re.escape(hole.name)
        if hole.kind == "attribute":
            assert re.match(rf"{name}\b", hole.expected), hole.task_id
            assert re.search(r"[\w$]\.$", hole.before), hole.task_id
            # Taken out of the file, the name is nowhere in it but in import statements.
            shown = _lines_with(hole.language, hole.holed, name)
            assert shown == [], (hole.task_id, shown)
        else:
            assert re.search(rf"(?<![\w$.]){name}\($", hole.before), hole.task_id
            assert hole.expected.strip() and not hole.expected.lstrip().startswith(")")
            # Called nowhere else: the name shows only in import statements and the hole's line.
            others = _lines_with(hole.language, hole.holed, rf"(?<![\w$]){name}(?![\w$])")
            assert others == [hole.before.split("\n")[-1]], (hole.task_id, others)
        defining = PACKAGES[hole.package][hole.defined_in]
        if hole.kind == "call-args" and hole.language == "javascript" and re.search(
                rf"(import\s+{name}\s+from|{name}\s*=\s*require\()", hole.holed):
            assert re.search(r"export default|module\.exports\s*=", defining), hole.task_id  # what it imports
            continue
        assert re.search(rf"(def|class|function\*?|const|let|var)\s+{name}\b|^\s*{name}\s*[=:(]|\.{name}\s*=|"
                         rf"^\s*(static\s+|async\s+)*{name}\s*\(|\b{name}\s*:|^\s*{name}\s*[,}}]",
                         defining, re.M), hole.task_id


def test_a_file_imports_what_the_hole_names():
    nodes = next(h for h in HOLES if h.package.startswith("python/jinja2") and h.kind == "attribute"
                 and h.defined_in.endswith("nodes.py"))
    assert re.search(r"^from \. import nodes", PACKAGES[nodes.package][nodes.path], re.M)
    imports = repo_code.python_imports("src/requests/cookies.py", PACKAGES["python/requests-2.32.3"]["src/requests/cookies.py"],
                                       PACKAGES["python/requests-2.32.3"])
    assert imports["to_native_string"] == ("name", "src/requests/_internal_utils.py")
    semver = PACKAGES["javascript/semver-7.6.3"]
    imports = repo_code.javascript_imports("ranges/ltr.js", semver["ranges/ltr.js"], semver)
    assert imports["outside"] == ("module", "ranges/outside.js")


def test_holes_are_drawn_by_the_seed_and_a_limit_covers_both_kinds():
    again = repo_code.make_holes(repo_code.load_packages(), repo_code.PER_LANGUAGE)
    assert [h.task_id for h in again] == [h.task_id for h in HOLES]
    other = repo_code.make_holes(PACKAGES, repo_code.PER_LANGUAGE, seed=1)
    assert [h.task_id for h in other] != [h.task_id for h in HOLES]
    few = repo_code.make_holes(PACKAGES, 8)
    for language in repo_code.LANGUAGES:
        picked = [h for h in few if h.language == language]
        assert len(picked) == 8 and {h.kind for h in picked} == set(repo_code.KINDS)
        assert len({h.package for h in picked}) >= 2


def test_the_workspace_on_disk_has_the_rest_of_the_line_taken_out_then_put_back(tmp_path):
    folders = repo_code.make_workspace(PACKAGES, tmp_path)
    hole = next(h for h in HOLES if h.kind == "call-args")
    path = folders[hole.package] / hole.path
    original = path.read_bytes()
    assert repo_code.take_out(hole, folders) == path
    on_disk = path.read_text(encoding="utf-8")
    assert on_disk == hole.holed and hole.before + hole.expected not in on_disk
    assert on_disk.split("\n")[hole.line] == hole.before.split("\n")[-1]
    repo_code.put_back(hole, folders, PACKAGES)
    entry = next(f for p in repo_code.manifest() if p["root"] == hole.package for f in p["files"]
                 if f["path"] == hole.path)
    assert path.read_bytes() == original and hashlib.sha256(original).hexdigest() == entry["sha256"]


def test_the_in_file_setting_turns_every_source_off_and_the_others_keep_the_budgets():
    options = repo_code.settings_options(repo_code.BUDGETS)
    assert set(options) == set(repo_code.SETTINGS)
    assert set(repo_code.BUDGETS) == {"definitionsTokens", "usageExamplesTokens", "openDocumentsTokens",
                                      "recentEditsTokens", "otherFilesTokens"}
    # Known names after `module.` come from other files too: off in-file, on (the default) in the others.
    assert options["in-file"] == {**dict.fromkeys(repo_code.BUDGETS, 0), "knownNames": False}
    assert options["workspace"] == options["workspace+open"] == repo_code.BUDGETS
    assert all(v > 0 for v in repo_code.BUDGETS.values())
    assert set(repo_code.default_budgets()) == set(repo_code.BUDGETS)
    assert all(v > 0 for v in repo_code.default_budgets().values())


def test_a_file_that_differs_from_its_manifest_is_refused(tmp_path, monkeypatch):
    package = dict(repo_code.manifest()[0])
    entry = package["files"][0]
    package["files"] = [entry]
    copy = tmp_path / package["root"] / entry["path"]
    copy.parent.mkdir(parents=True)
    copy.write_bytes((repo_code.DATA / package["root"] / entry["path"]).read_bytes() + b"\n# changed\n")
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"packages": [package]}), encoding="utf-8")
    monkeypatch.setattr(repo_code, "DATA", tmp_path)
    with pytest.raises(SystemExit, match="sha256"):
        repo_code.load_packages()


def test_the_table_puts_each_workspace_setting_beside_in_file_only():
    from collections import defaultdict

    hole = HOLES[0]
    defining = f"/tmp/ws/{hole.defined_in}"
    record = {"in-file": "", "in-file_s": 1.0, "in-file_context": {},
              "workspace": hole.expected, "workspace_s": 1.5,
              "workspace_context": {"definitions": {"tokens": 40, "files": ["/tmp/ws/other.py"]}},
              "workspace+open": hole.expected + "\nmore", "workspace+open_s": 2.0,
              "workspace+open_context": {"definitions": {"tokens": 60, "files": [defining]},
                                         "openDocuments": {"tokens": 20, "files": [defining]}}}
    scores, shown = defaultdict(repo_code.Score), defaultdict(repo_code.Shown)
    repo_code.score_record(scores, shown, hole, record)
    table = repo_code.render(scores, shown, 64, 1, repo_code.BUDGETS)
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): [c.strip() for c in line.split("|")[3:-1]]
            for line in table.split("\n") if line.startswith(f"| {hole.language} |")}
    assert rows[(hole.language, "in-file")][1:4] == ["0.0", "0.0", "100.0"]
    assert rows[(hole.language, "in-file")][-2:] == ["0", "0"]
    assert rows[(hole.language, "workspace")][6:] == ["+100.0", "+100.0", "1.50×", "40", "0"]
    assert rows[(hole.language, "workspace+open")][6:] == ["+100.0", "+100.0", "2.00×", "80", "100"]


def test_a_larger_limit_asks_the_same_holes_first():
    more = repo_code.make_holes(PACKAGES, 40)
    for language in repo_code.LANGUAGES:
        assert [h.task_id for h in repo_code.make_holes(PACKAGES, 8) if h.language == language] == \
            [h.task_id for h in more if h.language == language][:8]


def test_writing_a_run_keeps_the_earlier_runs_of_the_section(tmp_path):
    page = tmp_path / "benchmarks.md"
    head = "## Repository-level (names defined in another file of the package)"
    page.write_text(f"# Benchmarks\n\n{head}\n\nOld description.\n\nRun 1 table\n\nA note on run 1.\n\n"
                    "## Next section\n\nkept\n", encoding="utf-8")
    repo_code.write_section(page, "Run 2 table")
    text = page.read_text(encoding="utf-8")
    assert "Old description." not in text and "`make bench-repo`" in text
    assert text.index("Run 1 table") < text.index("A note on run 1.") < text.index("Run 2 table") \
        < text.index("## Next section\n\nkept")
