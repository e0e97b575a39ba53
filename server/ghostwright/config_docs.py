"""docs/configuration.md, rendered from the schema in config.py: `python -m ghostwright.config_docs`."""

from __future__ import annotations

import json
import sys
from dataclasses import fields, is_dataclass
from typing import Any

from ghostwright import config

COMMAND = "make docs"

_INTRO = """\
# Configuration

<!-- Generated from server/ghostwright/config.py by `{command}`: edit the schema (or the prose in
     server/ghostwright/config_docs.py), not this page. tests/test_config.py fails when they differ. -->

One typed, fully defaulted schema (`server/ghostwright/config.py`), read from three places;
later ones win:

1. `~/.config/ghostwright/config.toml` (`$XDG_CONFIG_HOME` respected), snake_case keys;
2. LSP `initializationOptions`, camelCase;
3. `workspace/didChangeConfiguration`, camelCase, under the section `ghostwright` (or the
   settings object itself). Each notification is laid over 1 + 2, so removing a key there
   returns it to the file's or the default value, and an empty section (`"ghostwright": {{}}`)
   returns every key to them. A `null` settings object changes nothing.

A bad value is reported with a message naming the key and the allowed values
(`window/showMessage` for the editor, stderr for the command line), and the server goes on with
the value it had. Unknown keys are reported too, all in one message (naming the first
{unknown_shown} and counting the rest). A minimum set over its maximum is one message naming
both keys, and both keep the values they had; the pairs are {pairs}.

Keys below are given as on the wire (camelCase); in TOML write them in snake_case
(`completion.maxTokens` → `[completion]` `max_tokens`). Types are JSON's (TOML's integer,
float, string and boolean).
"""

_OUTRO = """\
Example `~/.config/ghostwright/config.toml`:

```toml
[openvino]
device = "NPU"
model = "~/models/qwen2.5-coder-1.5b-int4-ov"

[completion]
max_tokens = 48
debounce_ms = 180
```

The same from Emacs (eglot):

```elisp
(setq-default eglot-workspace-configuration
              '(:ghostwright (:completion (:maxTokens 48 :debounceMs 180))))
```

`ghostwright doctor` prints the file it read, any problems with it, and the effective choice of
device and model.
"""

_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array of strings"}


def _allowed(value: Any, meta: Any) -> str:
    if "choices" in meta:
        return ", ".join(f"`{json.dumps(c)}`" if c == "" else f"`{c}`" for c in meta["choices"])
    if "min" in meta:
        return f"{json.dumps(meta['min'])}–{json.dumps(meta['max'])}"
    if isinstance(value, bool):
        return "`true`, `false`"
    return meta.get("shape", "")


def _table(section: Any, prefix: str) -> list[str]:
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for f in fields(section):
        value = getattr(section, f.name)
        if is_dataclass(value):
            continue
        cells = [f"`{prefix}{config.camel(f.name)}`", _TYPES[type(value)], f"`{json.dumps(value)}`",
                 _allowed(value, f.metadata), f.metadata["doc"]]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return rows


def _heading(section: Any, name: str | None) -> str:
    what = (type(section).__doc__ or "").strip().rstrip(".")
    if name is None:
        return f"### {what}"
    return f"### `{name}` — {what[:1].lower()}{what[1:]}"


def render() -> str:
    """The whole page: the prose, then one table per section of the schema, in the schema's order."""
    pairs = ", ".join(f"`{table}.{config.camel(low)}` ≤ `{table}.{config.camel(high)}`"
                      for table, low, high in config.ORDERED_PAIRS)
    parts = [_INTRO.format(command=COMMAND, unknown_shown=config.UNKNOWN_SHOWN, pairs=pairs)]
    root = config.Config()
    sections = [(root, None, "")] + [
        (getattr(root, f.name), f.name, f"{f.name}.") for f in fields(root) if is_dataclass(getattr(root, f.name))
    ]
    for section, name, prefix in sections:
        parts.append("\n".join([_heading(section, name), "", *_table(section, prefix)]) + "\n")
    parts.append(_OUTRO)
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
