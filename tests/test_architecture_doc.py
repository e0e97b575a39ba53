"""docs/architecture.md names every module of the package once, under its layer."""

from __future__ import annotations

import re

from conftest import ROOT

PACKAGE = ROOT / "server" / "ghostwright"


def test_every_module_is_named_once_under_its_layer():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    modules = doc[doc.index("## The modules, by layer"):doc.index("## Lifecycle")]
    layers = dict(re.findall(r"^### `(?:ghostwright/|(\w+)/)`.*\n((?:.*\n)*?)(?=^###|\Z)", modules, re.M))
    named = {(layer, name) for layer, table in layers.items()
             for name in re.findall(r"^\| `(\w+)\.py` \|", table, re.M)}
    on_disk = {(p.parent.name if p.parent != PACKAGE else "", p.stem) for p in PACKAGE.rglob("*.py")
               if p.name != "__init__.py" or p.parent == PACKAGE}
    assert named == on_disk, {"undocumented": sorted(on_disk - named), "gone": sorted(named - on_disk)}
