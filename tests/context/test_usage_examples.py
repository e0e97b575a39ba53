"""Usage examples: other files' calls of the name whose arguments the cursor is in, on real packages."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from ghostwright.config import ContextConfig
from ghostwright.context import prompts, sources, usage_examples
from ghostwright.text.documents import Document
from ghostwright.text.languages import language_of
from ghostwright.text.syntax import tree_for

REPO = Path(__file__).resolve().parents[1] / "bench" / "data" / "repo"
PACKAGING = REPO / "python" / "packaging-24.1"
SEMVER = REPO / "javascript" / "semver-7.6.3"
JINJA2 = REPO / "python" / "jinja2-3.1.4"
QWEN = prompts.TEMPLATES["qwen2.5-coder"]
MARKER = "SECRET-MARKER-5e07a1"


def document(path: Path, text: str, version: int = 1) -> Document:
    language = language_of("", path.as_uri())
    return Document(path.as_uri(), text, version, language, tree_for(language, text))


def around(root: Path, config: ContextConfig | None = None) -> sources.Surroundings:
    """The workspace `root` listed and its calls scanned (as `ghostwright complete` does)."""
    s = sources.Surroundings()
    s.set_folders([root], config or ContextConfig(), wait=True)
    return s


def cut(text: str, marker: str) -> tuple[str, int]:
    """The text with the rest of the line after `marker`'s first occurrence taken out, and the cursor there."""
    at = text.index(marker) + len(marker)
    end = text.index("\n", at)
    return text[:at] + text[end:], at


def gather(s: sources.Surroundings, doc: Document, offset: int,
           config: ContextConfig | None = None) -> sources.CrossFile | None:
    s.used(doc)
    return sources.gather(doc, offset, config or ContextConfig(), s, lambda t: len(t) // 3 + 1)


def examples(cross: sources.CrossFile | None) -> dict[str, str]:
    return {sn.path: sn.text for sn in (cross.snippets if cross else ()) if sn.source == "usageExamples"}


@pytest.fixture
def packaging(tmp_path: Path) -> Path:
    root = tmp_path / "packaging"
    shutil.copytree(PACKAGING, root)
    return root


@pytest.fixture
def semver(tmp_path: Path) -> Path:
    root = tmp_path / "semver"
    shutil.copytree(SEMVER, root)
    return root


def test_python_a_call_to_an_imported_class_shows_how_other_files_call_it(packaging):
    path = packaging / "src/packaging/requirements.py"
    text, offset = cut(path.read_text(encoding="utf-8"), "self.specifier: SpecifierSet = SpecifierSet(")
    cross = gather(around(packaging), document(path, text), offset)
    shown = examples(cross)
    # Its own module calls it bare, as requirements.py does (metadata.py as `specifiers.SpecifierSet(`).
    assert "other = SpecifierSet(other)" in shown.get("src/packaging/specifiers.py", ""), shown
    assert "src/packaging/requirements.py" not in shown  # the file's own lines are in the window already
    prompt = QWEN.render("PREFIX", "SUFFIX", cross.files())
    assert "<|file_sep|>src/packaging/specifiers.py\nspecifier = SpecifierSet()" in prompt
    assert cross.summary()["usageExamples"]["tokens"] <= ContextConfig().usage_examples_tokens


def test_javascript_a_new_of_a_required_class_shows_the_siblings_calls(semver):
    path = semver / "functions/patch.js"
    text, offset = cut(path.read_text(encoding="utf-8"), "new SemVer(")
    shown = examples(gather(around(semver), document(path, text), offset))
    # functions/major.js and minor.js call it exactly as patch.js has to.
    assert "const minor = (a, loose) => new SemVer(a, loose).minor" in shown.get("functions/minor.js", ""), shown
    assert all("SemVer(" in t for t in shown.values())


def test_a_member_call_of_an_imported_module_finds_member_calls_only(tmp_path):
    root = tmp_path / "jinja2"
    shutil.copytree(JINJA2, root)
    path = root / "src/jinja2/ext.py"  # `from . import nodes`
    text, offset = cut(path.read_text(encoding="utf-8"), "func_args.insert(0, nodes.Const(")
    shown = examples(gather(around(root), document(path, text), offset))
    assert "nodes.Const(" in shown.get("src/jinja2/parser.py", ""), shown
    assert all(".Const(" in t for t in shown.values()), shown


def test_typing_the_arguments_keeps_the_examples_and_the_prompts_head_the_same(semver):
    path = semver / "functions/patch.js"
    text, offset = cut(path.read_text(encoding="utf-8"), "new SemVer(")
    s = around(semver)
    first = gather(s, document(path, text), offset)
    for typed in ("a", "a, ", "a, loose"):
        later = gather(s, document(path, text[:offset] + typed + text[offset:], 2), offset + len(typed))
        assert later.snippets == first.snippets, typed


def test_nothing_outside_the_arguments_of_a_workspace_call(semver):
    path = semver / "functions/patch.js"
    original = path.read_text(encoding="utf-8")
    s = around(semver)
    for marker in ("const patch = (a, loose) => ", "new SemVer(a, loose).patch", "module.exports = "):
        text, offset = cut(original, marker)
        assert examples(gather(s, document(path, text), offset)) == {}, marker
    # A call to a name nothing in the workspace defines (a global) shows none either.
    text = original + "console.log(\n"
    assert examples(gather(s, document(path, text), len(text) - 1)) == {}


def test_budget_zero_turns_it_off_and_the_prompt_is_as_before(semver):
    path = semver / "functions/patch.js"
    text, offset = cut(path.read_text(encoding="utf-8"), "new SemVer(")
    s = around(semver)
    off = ContextConfig(usage_examples_tokens=0)
    assert examples(gather(s, document(path, text), offset, off)) == {}
    without = ContextConfig(usage_examples_tokens=0, definitions_tokens=0, open_documents_tokens=0,
                            recent_edits_tokens=0)
    assert gather(s, document(path, text), offset, without) is None


def test_open_documents_count_before_the_scan_and_over_the_disk(semver, monkeypatch):
    path = semver / "functions/patch.js"
    text, offset = cut(path.read_text(encoding="utf-8"), "new SemVer(")
    monkeypatch.setattr(usage_examples.CallSites, "scan", lambda self: None)  # still busy
    monkeypatch.setattr(usage_examples.CallSites, "wanted", lambda self: None)
    s = around(semver)
    minor = semver / "functions/minor.js"
    edited = minor.read_text(encoding="utf-8").replace("new SemVer(a, loose)", "new SemVer(a, loose, 'edited')")
    s.used(document(minor, edited))
    shown = examples(gather(s, document(path, text), offset))
    assert list(shown) == ["functions/minor.js"], shown  # nothing of the disk yet
    assert "new SemVer(a, loose, 'edited')" in shown["functions/minor.js"]


def test_a_secret_looking_files_calls_never_reach_the_prompt(semver):
    for name in ("functions/secrets.js", ".env.js", "functions/id_rsa.js"):
        (semver / name).write_text(f"const SemVer = require('../classes/semver')\n"
                                   f"const x = new SemVer('{MARKER}', true)\n", encoding="utf-8")
    s = around(semver)
    secret = semver / "functions/secrets.js"
    s.used(document(secret, secret.read_text(encoding="utf-8")))  # open in the editor too
    path = semver / "functions/patch.js"
    text, offset = cut(path.read_text(encoding="utf-8"), "new SemVer(")
    cross = gather(s, document(path, text), offset)
    assert examples(cross), "the other files' calls are shown"
    assert MARKER not in QWEN.render("P", "S", cross.files())
    assert MARKER not in prompts.TEMPLATES["codellama"].render("P", "S", cross.files())


def test_scan_keeps_calls_not_definitions():
    text = ("class Range {\n  parse (range) {\n    this.parse(range)\n  }\n}\n"
            "def parse(value):\n    return parse_version(value,\n        strict=True)\n"
            "    self.write(\"(await parse(\")  # parse(x)\n// parse(y)\n")
    found = usage_examples.scan("/w/m.py", text)
    assert "parse" not in found  # `parse (range) {` and `def parse(` define it; strings and comments call nothing
    assert [s.text for s in found[".parse"]] == ["this.parse(range)"]
    assert [s.text for s in found["parse_version"]] == ["return parse_version(value,\n    strict=True)"]


def test_the_server_scans_in_the_background_and_a_later_request_finds_the_calls(semver):
    path = semver / "functions/patch.js"
    text, offset = cut(path.read_text(encoding="utf-8"), "new SemVer(")
    s = sources.Surroundings()
    s.set_folders([semver], ContextConfig())  # listed on the index's thread, as the server does
    try:
        deadline = time.monotonic() + 20
        while not examples(gather(s, document(path, text), offset)):
            assert time.monotonic() < deadline, "the calls were never scanned"
            time.sleep(0.05)
        assert usage_examples.call_sites(s.index).ready
    finally:
        s.close()
