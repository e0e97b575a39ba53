"""Context beyond the file: definitions through imports, similar open documents, recent edits — within
budgets, from the workspace only, never a secret, and no change at all with every budget at 0."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from conftest import requires_model
from ghostwright.config import Config, ContextConfig
from ghostwright.context import cleanup, prompts, sources
from ghostwright.context.workspace_index import WorkspaceIndex
from ghostwright.engine import preparation
from ghostwright.models import store as model_store
from ghostwright.text.documents import Document, DocumentStore
from ghostwright.text.languages import language_of
from ghostwright.text.syntax import tree_for
from scripted import Scripted

MARKER = "SECRET-MARKER-91c4e2"
QWEN = prompts.TEMPLATES["qwen2.5-coder"]

GEOMETRY = '''"""Shapes."""


def polygon_area(points: list[tuple[float, float]], absolute: bool = True) -> float:
    """Area of a simple polygon by the shoelace formula."""
    s = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2 if absolute else s / 2


class Canvas:
    """Where shapes are drawn."""

    width: int = 640

    def draw_polygon(self, points, colour="black"):
        return None
'''
MAIN = "from .geometry import polygon_area, Canvas\nfrom pkg.credentials import TOKEN\n\n\ndef report(shape):\n" \
       "    pts = shape.points\n    area = \n"
UTIL_JS = 'export function formatPrice(amountCents, currency = "EUR") {\n  return (amountCents / 100).toFixed(2)\n}\n' \
          "export const TAX_RATE = 0.2\n"
APP_JS = "import { formatPrice } from './util'\nconst { roundUp } = require('./numbers')\nconst total = 1234\n" \
         "console.log()\n"
DRAW = "def draw(shape, canvas):\n    pts = shape.points\n    width = canvas.width\n    return pts, width\n"
NUMBERS_JS = "function roundUp(x, step) {\n  return Math.ceil(x / step) * step\n}\nmodule.exports = { roundUp }\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def document(path: Path, text: str | None = None, version: int = 1) -> Document:
    text = path.read_text(encoding="utf-8") if text is None else text
    language = language_of("", path.as_uri())
    return Document(path.as_uri(), text, version, language, tree_for(language, text))


def chars(text: str) -> int:
    return len(text) // 3 + 1


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = write(tmp_path / "ws", {
        "pkg/__init__.py": "", "pkg/geometry.py": GEOMETRY, "pkg/main.py": MAIN,
        "pkg/credentials.py": f"TOKEN = '{MARKER}'\n", ".env": f"KEY={MARKER}\n",
        "web/util.js": UTIL_JS, "web/app.js": APP_JS, "web/numbers.js": NUMBERS_JS,
    })
    write(tmp_path, {"outside.py": f"def leaked():\n    return '{MARKER}'\n"})
    return root


def around(root: Path, config: ContextConfig | None = None, wait: bool = True,
           monkeypatch: pytest.MonkeyPatch | None = None) -> sources.Surroundings:
    """Surroundings of the workspace `root`; `wait`: its files listed first; else, with `monkeypatch`,
    never listed (the index is still busy)."""
    s = sources.Surroundings()
    if not wait and monkeypatch is not None:
        monkeypatch.setattr(WorkspaceIndex, "start", lambda self: None)
    s.set_folders([root], config or ContextConfig(), wait=wait)
    return s


def gather(s: sources.Surroundings, doc: Document, offset: int | None = None,
           config: ContextConfig | None = None) -> sources.CrossFile | None:
    s.used(doc)
    return sources.gather(doc, len(doc.text) - 1 if offset is None else offset, config or ContextConfig(), s, chars)


def prompt_of(cross: sources.CrossFile | None) -> str:
    return QWEN.render("PREFIX", "SUFFIX", cross.files() if cross else None)


def test_a_python_import_brings_the_sibling_files_signatures(workspace):
    cross = gather(around(workspace), document(workspace / "pkg/main.py"))
    assert cross is not None and cross.summary()["definitions"]["files"] == ["pkg/geometry.py"]
    text = prompt_of(cross)
    assert "<|file_sep|>pkg/geometry.py\ndef polygon_area(points: list[tuple[float, float]], absolute: bool = True)" \
        " -> float:\n    \"\"\"Area of a simple polygon by the shoelace formula.\"\"\"" in text
    assert "class Canvas:" in text and "width: int = 640" in text and "def draw_polygon(self, points" in text
    assert "s += x1 * y2" not in text  # an outline, not the file
    assert text.startswith("<|repo_name|>ws\n<|file_sep|>") and "<|file_sep|>pkg/main.py\n<|fim_prefix|>PREFIX" in text


def test_an_absolute_import_resolves_too_also_before_the_index_is_listed(workspace, monkeypatch):
    main = "from pkg.geometry import polygon_area\n\nx = polygon_area(\n"
    for wait in (True, False):
        s = around(workspace, wait=wait, monkeypatch=monkeypatch)
        if not wait:
            assert not s.index.ready
        cross = gather(s, document(workspace / "pkg/other.py", main))
        assert cross is not None and "def polygon_area(" in prompt_of(cross), wait
        s.close()


def test_javascript_imports_and_requires_bring_the_sibling_functions(workspace):
    cross = gather(around(workspace), document(workspace / "web/app.js"))
    text = prompt_of(cross)
    assert '<|file_sep|>web/util.js\nexport function formatPrice(amountCents, currency = "EUR") { … }' in text
    assert "function roundUp(x, step) { … }" in text
    assert "TAX_RATE" not in text  # not imported


def test_a_typescript_import_of_a_js_name_finds_the_ts_file(tmp_path):
    root = write(tmp_path / "ts", {"src/clock.ts": "export function tick(now: Date, every: number): Date {\n"
                                                   "  return now\n}\n",
                                   "src/app.ts": "import { tick } from './clock.js'\nconst t = tick(\n"})
    cross = gather(around(root), document(root / "src/app.ts"))
    assert "export function tick(now: Date, every: number): Date { … }" in prompt_of(cross)


def test_an_open_document_is_read_before_the_disk(workspace):
    s = around(workspace)
    edited = GEOMETRY.replace("def polygon_area(", "def polygon_area_v2(")
    s.used(document(workspace / "pkg/geometry.py", edited))
    main = MAIN.replace("polygon_area,", "polygon_area_v2,")
    assert "def polygon_area_v2(" in prompt_of(gather(s, document(workspace / "pkg/main.py", main)))


def test_secret_looking_files_never_reach_a_prompt_open_edited_or_imported(workspace):
    s = around(workspace)
    # The editor has the secrets open and edits them, and the code imports one of them.
    for name in (".env", "pkg/credentials.py"):
        secret = document(workspace / name)
        s.used(secret)
        secret.apply_change((0, 0), (0, 0), f"MORE={MARKER}\n", "utf-32")
        s.edited(secret)
    doc = document(workspace / "pkg/main.py", MAIN + f"\n# {'TOKEN'} {'KEY'}\n")
    for offset in range(0, len(doc.text), 7):
        cross = gather(s, doc, offset)
        assert MARKER not in prompt_of(cross)
        assert MARKER not in prompts.TEMPLATES["codellama"].render("P", "S", cross.files() if cross else None)


def test_nothing_outside_the_workspace_is_read(workspace, tmp_path, monkeypatch):
    outside = tmp_path / "outside.py"
    (workspace / "pkg/linked.py").symlink_to(outside)
    (workspace / "pkg/linkdir").symlink_to(tmp_path, target_is_directory=True)
    main = ("from .linked import leaked\nfrom ..outside import leaked\nfrom .linkdir.outside import leaked\n"
            "import outside\nfrom ...etc import passwd\n\nx = leaked(\n")
    opened: list[str] = []

    def audit(event: str, args: tuple) -> None:
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(audit)
    for wait in (True, False):
        s = around(workspace, wait=wait, monkeypatch=monkeypatch)
        opened.clear()
        cross = gather(s, document(workspace / "pkg/main.py", main))
        assert cross is None or MARKER not in prompt_of(cross)
        read = [p for p in opened if not Path(p).resolve().is_relative_to(workspace.resolve())]
        assert read == [], read
        s.close()
    opened.clear()
    sys.addaudithook(lambda *_: None)


def test_with_every_budget_zero_the_prompt_is_the_one_of_the_file_alone(workspace):
    config = Config()
    backend = Scripted([])
    doc = document(workspace / "pkg/main.py")
    alone = preparation.prepare(doc, len(doc.text) - 1, config, backend)
    assert alone is not None
    assert alone.request.prompt == QWEN.render(prompts.at_token_boundary(alone.ctx.prefix), alone.ctx.suffix)
    s = around(workspace)
    s.used(document(workspace / "pkg/geometry.py"))
    with_all = preparation.prepare(doc, len(doc.text) - 1, config, backend, around=s)
    assert with_all.request.prompt != alone.request.prompt  # the sources are on by default
    config.context.definitions_tokens = config.context.open_documents_tokens = config.context.recent_edits_tokens = 0
    config.context.usage_examples_tokens = 0
    off = preparation.prepare(doc, len(doc.text) - 1, config, backend, around=s)
    assert off.request.prompt == alone.request.prompt and off.request.files is None and off.cross is None


@requires_model
def test_each_source_keeps_to_its_budget_in_model_tokens(workspace):
    import openvino_genai

    tok = openvino_genai.Tokenizer(str(model_store.default_model_path()))

    def count(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).input_ids.data[0])

    big = "".join(f"def helper_{i}(alpha, beta, gamma=None):\n    \"\"\"Helper number {i}.\"\"\"\n    return {i}\n\n"
                  for i in range(200))
    write(workspace, {"pkg/helpers.py": big})
    s = around(workspace)
    other = document(workspace / "pkg/user.py", "from . import helpers\n" + "".join(
        f"y{i} = helpers.helper_{i}(1, 2)\n" for i in range(0, 200, 5)))
    s.used(other)
    other.apply_change((5, 0), (5, 0), "z = 0\n", "utf-32")
    s.edited(other)
    main = "from .helpers import *\n\n" + "".join(f"x{i} = helper_{i}(1, 2)\n" for i in range(0, 200, 5))
    doc = document(workspace / "pkg/main2.py", main)
    for budget in (40, 100, 300):
        config = ContextConfig(definitions_tokens=budget, open_documents_tokens=budget, recent_edits_tokens=budget,
                               other_files_tokens=3 * budget)
        s.used(doc)
        cross = sources.gather(doc, len(main), config, s, count)
        used = cross.summary()
        assert set(used) == {"definitions", "openDocuments", "recentEdits"}, used
        for source, info in used.items():
            assert 0 < info["tokens"] <= budget, (source, info)
            assert sum(count(sn.text) for sn in cross.snippets if sn.source == source) <= budget + 8


def test_the_most_similar_open_document_snippet_comes_in_most_recently_used_first(tmp_path):
    root = write(tmp_path / "ws", {
        "a.py": "import os\n\n" + "\n".join(f"unrelated_{i} = {i}" for i in range(40)) + "\n",
        "b.py": "\n".join(f"filler_{i} = {i}" for i in range(30)) + "\n"
                "def load_orders(session, customer_id):\n    rows = session.query(Order).filter_by(customer_id=customer_id)\n"
                "    return [order_total(r) for r in rows]\n",
        "c.py": "def load_orders_again(session, customer_id):\n    rows = session.query(Order).all()\n"
                "    return rows\n",
    })
    s = around(root)
    for name in ("a.py", "b.py", "c.py"):
        s.used(document(root / name))
    here = "def report(session, customer_id):\n    rows = session.query(Order).filter_by(customer_id=customer_id)\n" \
           "    total = sum(order_total(r) for r in rows)\n    \n"
    cross = gather(s, document(root / "d.py", here), config=ContextConfig(definitions_tokens=0))
    snippets = [sn for sn in cross.snippets if sn.source == "openDocuments"]
    assert [sn.path for sn in snippets] == ["c.py", "b.py"]  # c was used last; a shares nothing
    assert "filter_by(customer_id=customer_id)" in snippets[1].text and "unrelated" not in prompt_of(cross)


def test_recent_edits_elsewhere_come_in_newest_first(tmp_path):
    root = write(tmp_path / "ws", {"a.py": "\n".join(f"line_a{i} = {i}" for i in range(50)) + "\n",
                                   "b.py": "\n".join(f"line_b{i} = {i}" for i in range(50)) + "\n"})
    s = around(root)
    a, b = document(root / "a.py"), document(root / "b.py")
    for doc, line in ((a, 10), (b, 30)):
        s.used(doc)
        doc.apply_change((line, 0), (line, 0), "edited_here = 1\n", "utf-32")
        s.edited(doc)
    cross = gather(s, document(root / "c.py", "x = 1\n"), config=ContextConfig(definitions_tokens=0))
    edits = [sn for sn in cross.snippets if sn.source == "recentEdits"]
    assert [sn.path for sn in edits] == ["b.py", "a.py"]
    assert "line_b29 = 29\nedited_here = 1\nline_b30 = 30" in edits[0].text


def test_the_index_sees_a_new_file_after_a_save_without_blocking(workspace):
    s = around(workspace, wait=False)
    deadline = time.monotonic() + 20
    while not s.index.ready:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    main = "from lib.newmod import fresh_function\n\nfresh_function(\n"
    doc = document(workspace / "pkg/n.py", main)
    assert gather(s, doc) is None
    write(workspace, {"deep/lib/newmod.py": "def fresh_function(a, b):\n    return a\n"})
    files = s.index.files
    s.refresh()
    while s.index.files == files:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert "def fresh_function(a, b):" in prompt_of(gather(s, doc))
    s.close()


def test_imports_are_read_through_the_syntax_error_of_the_line_being_written(tmp_path):
    root = write(tmp_path / "ws", {"pkg/urls.py": "def enforce_url(value, *, name: str) -> 'URL':\n    return value\n"})
    text = ("from .urls import enforce_url\n\n\nclass Proxy:\n    def __init__(self, proxy_url):\n"
            "        self._proxy_url = \n        if (\n            self._proxy_url.scheme == b\"http\" and proxy_url\n"
            "        ):\n            raise RuntimeError(\"no\")\n")
    doc = document(root / "pkg/proxy.py", text)
    assert doc.syntax.tree.root_node.children[0].type == "ERROR"  # the whole file, imports included
    cross = gather(s := around(root), doc, text.index("_proxy_url = ") + len("_proxy_url = "))
    assert "def enforce_url(value, *, name: str) -> 'URL':" in prompt_of(cross)
    s.close()


def test_a_name_a_package_re_exports_and_one_defined_under_type_checking_are_found(tmp_path):
    root = write(tmp_path / "ws", {
        "lib/__init__.py": "from ._core import open_channel as open_channel\n",
        "lib/_core.py": "def open_channel(capacity: int = 0) -> 'Channel':\n    return Channel(capacity)\n",
        "lib/_util.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                        "    def lazy_value(name: str, get) -> int: ...\nelse:\n    class lazy_value:\n"
                        "        pass\n",
    })
    text = "from lib import open_channel\nfrom lib._util import lazy_value\n\nch = \n"
    text = gather(s := around(root), document(root / "app.py", text))
    shown = prompt_of(text)
    assert "<|file_sep|>lib/_core.py\ndef open_channel(capacity: int = 0) -> 'Channel':" in shown
    assert "def lazy_value(name: str, get) -> int:" in shown
    s.close()


def used_helpers(root: Path, more: str, imported: str, last_line: str) -> str:
    """A module of twelve helpers the file uses near the cursor, and `more`; the file's text."""
    many = "".join(f"def used_{i}(value, other=None):\n    \"\"\"Used helper {i}.\"\"\"\n    return value\n\n"
                   for i in range(12))
    write(root, {"pkg/helpers.py": many + more})
    names = ", ".join(f"used_{i}" for i in range(12))
    return f"from .helpers import {names}, {imported}\n\n" + "".join(f"x{i} = used_{i}(1)\n" for i in range(12)) \
        + last_line


def test_an_import_not_used_yet_wins_a_small_budget_over_those_in_use(tmp_path):
    root = tmp_path / "ws"
    text = used_helpers(root, "def compute_total(orders, tax_rate):\n    return 0\n", "compute_total", "total = \n")
    config = ContextConfig(definitions_tokens=60, open_documents_tokens=0, recent_edits_tokens=0)
    cross = gather(s := around(root), document(root / "pkg/app.py", text), config=config)
    assert "def compute_total(orders, tax_rate):" in prompt_of(cross)
    s.close()


def test_an_import_whose_last_use_is_deleted_is_the_one_not_used_yet_again(tmp_path):
    """The counts of the file's names follow its edits: they are kept between versions (a count
    of a large file at every keystroke took most of the preparation's time), never stale."""
    root = tmp_path / "ws"
    text = used_helpers(root, "def compute_total(orders, tax_rate):\n    return 0\n", "compute_total",
                        "total = compute_total([], 0.2)\nrest = \n")
    config = ContextConfig(definitions_tokens=60, open_documents_tokens=0, recent_edits_tokens=0)
    s = around(root)
    doc = document(root / "pkg/app.py", text)
    assert "def compute_total(orders, tax_rate):" not in prompt_of(gather(s, doc, config=config))
    line = text.count("\n", 0, text.index("total = compute_total"))
    for version, (change, typed) in enumerate([("compute_total([], 0.2)", ""), ("", "1")], start=2):
        start = len("total = ")
        doc.apply_change((line, start), (line, start + len(change)), typed, "utf-32")
        doc.version = version
        assert "def compute_total(orders, tax_rate):" in prompt_of(gather(s, doc, len(doc.text) - 1, config))
    s.close()


def test_typing_on_a_line_keeps_the_other_files_block_identical(workspace):
    s = around(workspace)
    s.used(document(workspace / "web/util.js"))  # another open document, another language: not shown
    s.used(document(workspace / "pkg/draw.py", DRAW))
    other = document(workspace / "pkg/geometry.py")
    s.used(other)
    other.apply_change((3, 0), (3, 0), "# note\n", "utf-32")
    s.edited(other)
    blocks = set()
    for typed in ("", "p", "po", "polygon_", "polygon_area(p"):
        text = MAIN.replace("    area = \n", f"    area = {typed}\n")
        doc = document(workspace / "pkg/main.py", text, version=len(typed) + 1)
        cross = gather(s, doc, text.index("area = ") + len("area = ") + len(typed))
        used = cross.summary()
        assert set(used) == {"definitions", "recentEdits", "openDocuments"}, used
        assert used["openDocuments"]["files"] == ["pkg/draw.py"]
        blocks.add(QWEN.render("", "", cross.files()).split("<|fim_prefix|>")[0])
    assert len(blocks) == 1, blocks


def test_right_after_module_dot_that_modules_unused_public_names_come_first_whole(tmp_path):
    # A module longer than the budget: in file order, a name defined near its end never fit.
    many = "".join(f"def helper_{i}(value, other=None):\n    \"\"\"Helper number {i}.\"\"\"\n    return value\n\n"
                   for i in range(30))
    root = write(tmp_path / "ws", {"pkg/__init__.py": "", "pkg/helpers.py": many + "def _hidden():\n    pass\n\n"
                                   "def compute_total(orders, tax_rate):\n    return 0\n"})
    text = "from . import helpers\n\nx = helpers.helper_0(1)\ny = helpers.helper_1(2)\ntotal = helpers.\n"
    config = ContextConfig(definitions_tokens=120, open_documents_tokens=0, recent_edits_tokens=0)
    s = around(root)
    cross = gather(s, document(root / "pkg/app.py", text), len(text) - 1, config)
    shown = cross.files().files[0][1]
    assert "compute_total" in shown and "helper_29" in shown
    names = shown.split("\n")[0]
    assert names.startswith("# helper_2, helper_3,"), shown  # those the file uses already are in its text
    assert "_hidden" not in shown
    # Elsewhere on the line the list is not shown: the outline in file order, as before.
    elsewhere = gather(s, document(root / "pkg/app.py", text.replace("helpers.\n", "1\n")), len(text) - 10, config)
    assert "compute_total" not in elsewhere.files().files[0][1]
    s.close()


def test_right_after_module_dot_the_list_stays_while_the_name_is_typed(tmp_path):
    root = write(tmp_path / "ws", {"lib/util.js": "export function formatPrice(cents) {\n  return cents\n}\n"
                                   "export function parsePrice(text) {\n  return 0\n}\n"})
    blocks = set()
    for typed in ("", "p", "pa", "parseP"):
        text = f"import * as util from './util.js'\nconst a = util.formatPrice(1)\nconst b = util.{typed}\n"
        cross = gather(s := around(root), document(root / "lib/app.js", text), len(text) - 1)
        blocks.add(cross.files().files[0][1])
        s.close()
    assert len(blocks) == 1 and next(iter(blocks)).startswith("// parsePrice\n"), blocks


def test_the_function_called_at_the_cursor_wins_a_small_budget(tmp_path):
    root = tmp_path / "ws"
    text = used_helpers(root, "def not_yet(a):\n    return a\n\ndef compute_total(orders, tax_rate):\n    return 0\n",
                        "not_yet, compute_total", "total = compute_total(\n")
    config = ContextConfig(definitions_tokens=30, open_documents_tokens=0, recent_edits_tokens=0)
    cross = gather(s := around(root), document(root / "pkg/app.py", text), len(text) - 1, config)
    assert "def compute_total(orders, tax_rate):" in prompt_of(cross)
    s.close()


def test_all_sources_together_keep_to_the_other_files_budget_definitions_first(workspace):
    s = around(workspace)
    s.used(document(workspace / "pkg/draw.py", DRAW))
    other = document(workspace / "pkg/geometry.py")
    s.used(other)
    other.apply_change((3, 0), (3, 0), "# note\n", "utf-32")
    s.edited(other)
    doc = document(workspace / "pkg/main.py")
    wide = ContextConfig(definitions_tokens=300, open_documents_tokens=300, recent_edits_tokens=300,
                         other_files_tokens=4000)
    assert set(gather(s, doc, config=wide).summary()) == {"definitions", "recentEdits", "openDocuments"}
    defs = gather(s, doc, config=wide).summary()["definitions"]["tokens"]
    for total in (defs + 20, defs + 60, 200):
        config = ContextConfig(definitions_tokens=300, open_documents_tokens=300, recent_edits_tokens=300,
                               other_files_tokens=total)
        cross = gather(s, doc, config=config)
        assert cross.summary()["definitions"]["tokens"] == defs and cross.tokens <= total, (total, cross.summary())
    assert gather(s, doc, config=ContextConfig(other_files_tokens=0)) is None


def test_other_files_take_the_room_of_the_far_end_of_the_prefix(workspace):
    backend = Scripted([])
    body = "".join(f"def step_{i}(shape):\n    return shape.points[{i}]\n\n\n" for i in range(120))
    text = MAIN.replace("def report(shape):", body + "def report(shape):")
    offset = len(text) - 1
    alone = preparation.prepare(document(workspace / "pkg/main.py", text), offset, Config(), backend)
    s = around(workspace)
    doc = document(workspace / "pkg/main.py", text)  # a window of its own, not the one above's start
    s.used(doc)
    with_files = preparation.prepare(doc, offset, Config(), backend, around=s)
    assert with_files.cross is not None and with_files.cross.tokens > 60
    assert alone.ctx.prefix.endswith(with_files.ctx.prefix[-200:])  # the lines next to the cursor stay
    count = backend.count_tokens
    assert count(with_files.ctx.prefix) <= Config().context.max_prefix_tokens - with_files.cross.tokens
    assert count(with_files.ctx.prefix) <= count(alone.ctx.prefix) - with_files.cross.tokens + 40
    assert count(with_files.request.prompt) <= count(alone.request.prompt) + 40


def test_a_module_imported_under_another_name_is_followed_under_that_name(tmp_path):
    root = write(tmp_path / "ws", {"pkg/__init__.py": "", "pkg/version.py":
                                   "class InvalidVersion(ValueError):\n    \"\"\"Not a version.\"\"\"\n\n\n"
                                   "def parse(text):\n    return text\n"})
    text = "from . import version as version_module\n\ntry:\n    v = version_module.parse(s)\nexcept version_module.\n"
    config = ContextConfig(definitions_tokens=40, open_documents_tokens=0, recent_edits_tokens=0)
    cross = gather(s := around(root), document(root / "pkg/meta.py", text), len(text) - 1, config)
    shown = cross.files().files[0][1]
    assert shown.startswith("# InvalidVersion\nclass InvalidVersion(ValueError):"), shown
    s.close()


def test_an_open_file_the_definitions_outline_gives_no_similar_snippet_of_it_too(workspace):
    s = around(workspace)
    s.used(document(workspace / "pkg/geometry.py"))
    doc = document(workspace / "pkg/main.py")
    used = gather(s, doc).summary()
    assert used["definitions"]["files"] == ["pkg/geometry.py"] and "openDocuments" not in used, used
    s.used(document(workspace / "pkg/draw.py", DRAW))  # one the definitions do not show still comes
    used = gather(s, doc).summary()
    assert used["openDocuments"]["files"] == ["pkg/draw.py"], used



@pytest.mark.parametrize("language, text, typed, answer", [
    ("python", "def area(r):\n    ", "    ", "return r * r"),  # at the indentation
    ("python", "def area(r):\n    total =  ", "  ", "r * r"),
    ("python", "def area(r):\n    total = ", " ", "r * r"),  # after an operator
    ("go", "package m\n\nfunc area(r int) int {\n\tx := ", " ", "r * r"),
    ("go", "package m\n\nfunc area(r int) int {\n\t", "\t", "return r * r"),
])
def test_the_prompt_ends_before_the_blanks_typed_and_they_are_not_shown_twice(language, text, typed, answer):
    """A tokenizer keeps a blank with the word after it: the prompt ends before the last blank and
    the model writes it again (or all of them); the user, whose cursor is after them, sees them once."""
    doc = DocumentStore().open(f"file:///w/a.{language[:2]}", text, 1, language)
    prepared = preparation.prepare(doc, len(text), Config(), Scripted([]))
    assert prepared is not None
    assert prepared.request.prefix == text[:-1]
    assert prepared.request.prompt.split("<|fim_suffix|>")[0].endswith(text[:-1])
    assert cleanup.clean(text[-1] + answer + "\n", prepared.ctx, prepared.stops).text == answer
    assert cleanup.clean(typed + answer + "\n", prepared.ctx, prepared.stops).text == answer
    # A model that does not write them again loses nothing either.
    assert cleanup.clean(answer + "\n", prepared.ctx, prepared.stops).text == answer


def test_a_file_that_requires_itself_is_not_shown_as_another_file():
    """rust-mode.el has `(require 'rust-mode)` in it: its own definitions came back as "another
    file", the line being written among them without what the cursor lacks, and the model, shown
    `(defcustom rust-cargo-bin` with nothing after, answered nothing."""
    path = Path(__file__).parents[1] / "bench/data/real/emacs-lisp/rust-mode-0.4.0/rust-mode.el"
    text = path.read_text(encoding="utf-8")
    line = '(defcustom rust-cargo-bin "cargo"'
    offset = text.index(line) + len("(defcustom rust-cargo-bin ")
    doc = DocumentStore().open("file:///w/rust-mode.el", text, 1, "emacs-lisp")
    s = sources.Surroundings()
    s.used(doc)
    prepared = preparation.prepare(doc, offset, Config(), Scripted([]), around=s)
    assert prepared is not None
    assert prepared.cross is None or all(sn.path != "rust-mode.el" for sn in prepared.cross.snippets)
    assert "<|file_sep|>rust-mode.el\n(defcustom" not in prepared.request.prompt


@pytest.mark.parametrize("language, text, after", [
    ("python", "def area(r):\n    # Return the ", "\n    return r\n"),
    ("go", "package m\n\n// Use ", "\nfunc f() {}\n"),
    ("python", 'def area(r):\n    """Return the ', '\n    """\n    return r\n'),
])
def test_in_prose_the_prompt_keeps_the_blank(language, text, after):
    """After `// ` or `, ` in a comment, a model not shown the blank often ends the line: there the
    blank separates words, and it stays in the prompt (the clean-up still shows it once)."""
    doc = DocumentStore().open(f"file:///w/a.{language[:2]}", text + after, 1, language)
    prepared = preparation.prepare(doc, len(text), Config(), Scripted([]))
    assert prepared is not None and prepared.ctx.in_string
    assert prepared.request.prefix == text
    assert cleanup.clean(" area of a circle\n", prepared.ctx, prepared.stops).text == "area of a circle"
