"""Context beyond the file over LSP, with the real server and model: a name defined only in a sibling
file reaches the prompt through the import; a secret never does, whatever the editor has open."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from conftest import requires_model, session
from fake_ollama import FakeProcess
from test_context_sources import GEOMETRY, MARKER, UTIL_JS, write

pytestmark = requires_model

MAIN = "from .geometry import polygon_area\nfrom .credentials import API_TOKEN\n\n\ndef report(shape):\n" \
       "    pts = shape.points\n    area = \n    return area\n"
HOLE = (6, 11)  # after "    area = "
APP_JS = "import { formatPrice } from './util'\n\nexport function receipt(cents) {\n  return \n}\n"
JS_HOLE = (3, 9)
SIGNATURE = "def polygon_area(points: list[tuple[float, float]], absolute: bool = True) -> float:"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write(tmp_path / "ws", {
        "pkg/__init__.py": "", "pkg/geometry.py": GEOMETRY, "pkg/main.py": MAIN,
        "pkg/credentials.py": f"API_TOKEN = '{MARKER}'\n", ".env": f"API_TOKEN={MARKER}\n",
        "id_rsa": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{MARKER}\n", "web/util.js": UTIL_JS, "web/app.js": APP_JS,
    })


@pytest.fixture
def fake():
    server = FakeProcess().start()
    yield server
    server.kill()


async def indexed(s, timeout: float = 30) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await s.status()
        if status["context"]["indexReady"]:
            return status
        assert asyncio.get_running_loop().time() < deadline, status["context"]
        await asyncio.sleep(0.05)


def edit(s, uri: str, version: int, line: int, text: str) -> None:
    where = lsp.Position(line=line, character=0)
    s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=where, end=where), text=text)]))


async def test_the_prompt_carries_the_sibling_definition_and_never_a_secret(workspace, fake, tmp_path):
    options = {"backend": "ollama", "ollama": {"model": "qwen2.5-coder:7b", "host": fake.url},
               "completion": {"debounceMs": 0, "cacheEntries": 0, "maxTokens": 16}}
    async with session(options, env={"XDG_CONFIG_HOME": str(tmp_path)}, root=workspace) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        await indexed(s)
        # The editor has the secrets open too, and edits one of them.
        for name in (".env", "id_rsa", "pkg/credentials.py"):
            s.open((workspace / name).as_uri(), (workspace / name).read_text(), "python")
        edit(s, (workspace / ".env").as_uri(), 2, 0, f"OTHER={MARKER}\n")
        main = (workspace / "pkg/main.py").as_uri()
        s.open(main, MAIN)
        answer = await s.complete_async(main, *HOLE)
        assert answer.items and answer.items[0].insert_text.strip()
        used = (await s.status())["context"]["lastUsed"]
        assert used["definitions"]["files"] == ["pkg/geometry.py"] and used["definitions"]["tokens"] > 0, used
        app = (workspace / "web/app.js").as_uri()
        s.open(app, APP_JS, "javascript")
        await s.complete_async(app, *JS_HOLE)

        prompts = [r["prompt"] for r in fake.log() if r["path"] == "/api/generate" and r["prompt"]]
        assert len(prompts) == 2, prompts
        python, javascript = prompts
        assert python.startswith("<|repo_name|>ws\n") and f"<|file_sep|>pkg/geometry.py\n{SIGNATURE}" in python
        assert python.index("<|file_sep|>pkg/main.py\n<|fim_prefix|>") > python.index(SIGNATURE)
        assert '<|file_sep|>web/util.js\nexport function formatPrice(amountCents, currency = "EUR")' in javascript
        for prompt in prompts:
            assert MARKER not in prompt


async def test_in_process_model_gets_the_definitions_and_budgets_zero_turn_them_off(workspace, tmp_path):
    async with session({"completion": {"debounceMs": 0, "maxTokens": 16}},
                       env={"XDG_CONFIG_HOME": str(tmp_path)}, root=workspace) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        status = await indexed(s)
        assert status["context"]["workspaceFolders"] == [str(workspace)] and status["context"]["indexedFiles"] >= 5
        main = (workspace / "pkg/main.py").as_uri()
        s.open(main, MAIN)
        answer = await s.complete_async(main, *HOLE)
        assert answer.items and answer.items[0].insert_text.strip()
        assert (await s.status())["context"]["lastUsed"]["definitions"]["files"] == ["pkg/geometry.py"]

        off = {"context": {"definitionsTokens": 0, "openDocumentsTokens": 0, "recentEditsTokens": 0}}
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"ghostwright": off}))
        edit(s, main, 2, 0, "# edited\n")
        await s.complete_async(main, HOLE[0] + 1, HOLE[1])
        assert (await s.status())["context"]["lastUsed"] == {}


def test_ghostwright_complete_says_which_context_it_used(workspace, tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "ghostwright", "complete", "--json",
                          f"{workspace / 'pkg/main.py'}:{HOLE[0] + 1}:{HOLE[1] + 1}", "--workspace", str(workspace)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    item = json.loads(out.stdout)
    assert item["context"]["definitions"]["files"] == ["pkg/geometry.py"], item
    plain = subprocess.run([sys.executable, "-m", "ghostwright", "complete",
                            f"{workspace / 'pkg/main.py'}:{HOLE[0] + 1}:{HOLE[1] + 1}"],
                           capture_output=True, text=True, timeout=300, cwd=workspace, env=env)
    assert plain.returncode == 0, plain.stderr
    # Without --workspace, the folder of the file (no git root above it here).
    assert "context: definitions" in plain.stderr and "(geometry.py)" in plain.stderr, plain.stderr
