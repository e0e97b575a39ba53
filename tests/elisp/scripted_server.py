"""The real ghostwright server with a deterministic stand-in backend, for tests whose subject is the editor.

Everything but the model is ghostwright's own (the LSP layer, the engine, context and clean-up);
the backend streams the pieces of the JSON list in $GHOSTWRIGHT_SCRIPTED for every prompt
(tests/scripted.py). Run: python tests/elisp/scripted_server.py (speaks LSP on stdio).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripted import Scripted  # noqa: E402

from ghostwright.lsp import server as lsp_server  # noqa: E402


def main() -> None:
    pieces = json.loads(os.environ.get("GHOSTWRIGHT_SCRIPTED", '["pass"]'))
    server = lsp_server.create_server()
    server.engine.loader._build = lambda _config: Scripted(pieces, gap=0.01)
    lsp_server.serve(server)


if __name__ == "__main__":
    main()
