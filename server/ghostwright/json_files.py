"""JSON state files written whole or not at all: a reader, or a second writer, never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write(path: Path, data: Any) -> None:
    """Write `data` to `path` through a temporary file of its own in the same folder, then rename.

    Each writer has its own temporary file, so two processes saving at once cannot rename each
    other's half-written file; the last rename wins whole. Raises OSError (nothing is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
