"""Right after `module.` of a workspace module, the answer may only start with a name that module holds:
found for Python, JavaScript and Go; given up wherever the module's names are not all known."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import requires_model, session
from ghostwright import cli
from ghostwright.backends.constrain import starts_with_name
from ghostwright.config import Config
from ghostwright.context import known_names, sources
from ghostwright.engine import preparation
from scripted import Scripted
from test_context_e2e import indexed
from test_context_sources import around, document, write

HELPERS = ("def compute_total(orders, tax_rate):\n    return sum(orders) * (1 + tax_rate)\n\n\n"
           "def compact_rows(rows):\n    return [r for r in rows if r]\n\n\nDEFAULT_RATE = 0.2\n")
UTILS_JS = ("function isArrayLike(thing) {\n  return thing && typeof thing.length === 'number'\n}\n\n"
            "const isBuffer = (thing) => thing instanceof Uint8Array\n\n"
            "export default {\n  isArrayLike,\n  isBuffer,\n  toArray: (thing) => Array.from(thing),\n}\n")


def names_at(root: Path, rel: str, text: str, offset: int | None = None) -> tuple[str, ...] | None:
    s = around(root)
    doc = document(root / rel, text)
    s.used(doc)
    try:
        return sources.names_after_module(doc, len(text) if offset is None else offset, s)
    finally:
        s.close()


def test_after_a_python_module_dot_the_names_are_those_its_file_holds(tmp_path):
    root = write(tmp_path / "ws", {"pkg/__init__.py": "", "pkg/helpers.py": HELPERS})
    text = "from . import helpers\n\n\ndef bill(orders):\n    return helpers."
    names = names_at(root, "pkg/app.py", text)
    assert {"compute_total", "compact_rows", "DEFAULT_RATE", "__name__"} <= set(names)
    assert "calculate_total" not in names  # what a model makes up is not among them
    # What was typed narrows them to the rest of each name that begins so.
    typed = names_at(root, "pkg/app.py", text + "comp")
    assert set(typed) == {"ute_total", "act_rows"}
    # A name none begins with: the user writes something new, nothing is constrained.
    assert names_at(root, "pkg/app.py", text + "zz") is None


def test_after_from_module_import_the_names_are_that_modules(tmp_path):
    root = write(tmp_path / "ws", {"pkg/__init__.py": "", "pkg/helpers.py": HELPERS})
    for line in ("from .helpers import ", "from pkg.helpers import compute_total, ", "from .helpers import (DEFAULT_RATE as r, "):
        names = names_at(root, "pkg/app.py", line + "comp")
        assert set(names or ()) == {"ute_total", "act_rows"}, line
    assert names_at(root, "pkg/app.py", "from . import ") is None  # a package: its modules too
    assert names_at(root, "pkg/app.py", "from .helpers import compute_total as ") is None  # a new name


def test_an_absolute_import_and_an_alias_are_followed(tmp_path):
    root = write(tmp_path / "ws", {"pkg/__init__.py": "", "pkg/helpers.py": HELPERS})
    for imp, ns in (("import pkg.helpers as h", "h"), ("from pkg import helpers as hp", "hp")):
        text = f"{imp}\n\nx = {ns}."
        assert "compute_total" in (names_at(root, "pkg/app.py", text) or ()), imp


def test_nothing_is_constrained_where_the_module_can_hold_more_than_its_text(tmp_path):
    root = write(tmp_path / "ws", {
        "pkg/__init__.py": "from .helpers import *\n", "pkg/helpers.py": HELPERS,
        "pkg/starred.py": "from .helpers import *\n\nEXTRA = 1\n",
        "pkg/lazy.py": "def __getattr__(name):\n    return name\n",
    })
    for module in ("starred", "lazy"):
        assert names_at(root, "pkg/app.py", f"from . import {module}\n\nx = {module}.") is None, module
    # A package: its submodules are members too.
    assert names_at(root, "app.py", "import pkg\n\nx = pkg.") is None
    # Not a module: an object, `self`, a name not imported from the workspace.
    for line in ("self.", "orders.", "os.path."):
        assert names_at(root, "pkg/app.py", f"import os\nfrom . import helpers\n\nx = {line}") is None, line


def test_after_a_javascript_default_import_dot_the_object_keys_are_allowed(tmp_path):
    root = write(tmp_path / "ws", {"lib/utils.js": UTILS_JS,
                                   "lib/barrel.js": "export * from './utils.js'\n"})
    text = "import utils from './utils.js'\n\nexport function wrap(v) {\n  return utils.is"
    assert set(names_at(root, "lib/app.js", text)) == {"ArrayLike", "Buffer"}
    # Its members: what it declares and exports, not a parameter or a name it only uses.
    members = set(names_at(root, "lib/app.js", text[:-2]))
    assert {"isArrayLike", "isBuffer", "toArray"} <= members and not {"thing", "Uint8Array", "from"} & members
    assert names_at(root, "lib/app.js", "const utils = require('./utils')\nutils.")
    assert names_at(root, "lib/app.js", "import * as barrel from './barrel.js'\nbarrel.") is None
    # TypeScript's declarations are members too, `./shapes.js` being `shapes.ts`.
    write(root, {"lib/shapes.ts": "export interface Shape { area(): number }\nexport type Kind = 'a'\n"
                                  "export enum Unit { Cm }\nexport function scale(s: Shape): Shape { return s }\n"})
    ts = set(names_at(root, "lib/app.ts", "import * as shapes from './shapes.js'\nconst k = shapes."))
    assert {"Shape", "Kind", "Unit", "scale"} <= ts and "area" not in ts
    # Exports of another shape (an instance given members later): every identifier of the module.
    write(root, {"lib/client.js": "const client = makeClient()\nclient.retry = retry\nexport default client\n"})
    assert "retry" in names_at(root, "lib/app.js", "import client from './client.js'\nclient.")


def test_after_a_go_package_dot_the_names_of_all_its_files_are_allowed(tmp_path):
    root = write(tmp_path / "ws", {
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "money/round.go": "package money\n\nfunc RoundCents(v float64) int64 {\n\treturn int64(v)\n}\n",
        "money/tax.go": "package money\n\nconst DefaultRate = 0.2\n",
    })
    text = ('package main\n\nimport "example.com/shop/money"\n\nfunc main() {\n\tx := money.')
    assert {"RoundCents", "DefaultRate"} <= set(names_at(root, "main.go", text))


def test_the_request_carries_them_only_in_code_and_only_when_on(tmp_path):
    root = write(tmp_path / "ws", {"pkg/__init__.py": "", "pkg/helpers.py": HELPERS})
    s = around(root)
    text = "from . import helpers\n\nx = helpers.\ny = 'see helpers.'\n"
    doc = document(root / "pkg/app.py", text)
    s.used(doc)
    config, backend = Config(), Scripted([])
    at_dot = text.index("helpers.\n") + len("helpers.")
    assert "compute_total" in preparation.prepare(doc, at_dot, config, backend, around=s).request.starts_with
    in_string = text.index("helpers.'") + len("helpers.")
    prepared = preparation.prepare(doc, in_string, config, backend, around=s)
    assert prepared is None or prepared.request.starts_with == ()
    # After `import `, the prompt ends before the blank (a token boundary): the answer writes
    # it again, then the name.
    text2 = "from .helpers import "
    doc2 = document(root / "pkg/other.py", text2)
    request = preparation.prepare(doc2, len(text2), config, backend, around=s).request
    assert " compute_total" in request.starts_with and request.prefix.endswith("import")
    assert re.compile(starts_with_name(request.starts_with)).fullmatch(" compute_total\n")
    assert not re.compile(starts_with_name(request.starts_with)).fullmatch("compute_total\n")
    config.context.known_names = False
    assert preparation.prepare(doc, at_dot, config, backend, around=s).request.starts_with == ()
    assert preparation.prepare(doc, at_dot, Config(), backend).request.starts_with == ()  # no workspace
    s.close()


@pytest.mark.parametrize("rests", [("isArrayLike", "isBuffer", "toArray"), ("", "Like"), ("a", "ab", "$x.y")])
def test_the_regex_takes_each_name_then_no_more_of_a_name(rests):
    pattern = re.compile(starts_with_name(rests))
    for rest in rests:
        assert pattern.fullmatch(rest) and pattern.fullmatch(rest + "(thing)\n  return")
    assert not pattern.fullmatch("isBrowser(thing)")
    assert not pattern.fullmatch(max(rests, key=len) + "Extra(")  # a longer name is another name


ODD = ("def zorbify_polygon(points):\n    return points\n\n\n"
       "def quantle_edges(points, wrap=True):\n    return len(points)\n")


@requires_model
async def test_the_model_over_lsp_answers_a_name_the_module_has(tmp_path):
    # The prompt shows nothing of other files (their budget 0): unconstrained, the model can only
    # guess a name; constrained, whatever it writes begins with one the module defines.
    root = write(tmp_path / "ws", {"geo/__init__.py": "", "geo/odd.py": ODD})
    text = "from . import odd\n\n\ndef measure(points):\n    return odd."
    off = {"otherFilesTokens": 0}
    async with session({"completion": {"debounceMs": 0, "maxTokens": 12}, "context": off},
                       env={"XDG_CONFIG_HOME": str(tmp_path)}, root=root) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        await indexed(s)
        uri = (root / "geo/shape.py").as_uri()
        s.open(uri, text)
        answer = await s.complete_async(uri, 4, len("    return odd."))
        assert answer.items, "no answer after `odd.`"
        first = re.match(r"[A-Za-z_]\w*", answer.items[0].insert_text)
        members = set(re.findall(r"\w+", ODD)) | set(known_names._ALWAYS["python"])  # odd.__name__ is one too
        assert first and first.group(0) in members, answer.items[0].insert_text
        # The status says why the answer knew the name.
        used = (await s.status())["context"]["lastUsed"]
        assert used["knownNames"]["names"] >= 2, used
        assert "names the module holds" in cli._context_line(used)
