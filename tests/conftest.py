"""Shared test set-up: a real ghostwright server process driven over stdio like an editor would."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from ghostwright.models import store as model_store
from ghostwright import paths
from ghostwright.bench import plain

ROOT = Path(__file__).resolve().parent.parent
PARTIAL = "ghostwright/partialCompletion"
AUDIT_DIR = Path(__file__).resolve().parent / "audit"
AUDIT_ENV = "GHOSTWRIGHT_NET_AUDIT"
TEST_CACHE_ENV = "GHOSTWRIGHT_TEST_CACHE"


def pytest_configure(config: pytest.Config) -> None:
    """Run this process and every Python process it starts under the network audit hook."""
    if not os.environ.get(AUDIT_ENV):
        fd, log = tempfile.mkstemp(prefix="ghostwright-net-audit-", suffix=".log")
        os.close(fd)
        os.environ[AUDIT_ENV] = log
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(AUDIT_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    # Servers started by the tests write their statistics (last-session.json) to the cache dir: a
    # temporary one, so a test run never overwrites what `ghostwright doctor` shows the user.
    # The models stay where they are installed.
    os.environ.setdefault("GHOSTWRIGHT_MODELS_DIR", str(paths.models_dir()))
    if not os.environ.get(TEST_CACHE_ENV):
        os.environ[TEST_CACHE_ENV] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="ghostwright-test-cache-")
        # Likewise the usage counts (usage-stats.json, in the data dir): never the user's.
        os.environ["XDG_DATA_HOME"] = os.path.join(os.environ[TEST_CACHE_ENV], "data")
    if getattr(sys.modules.get("sitecustomize"), "ENV", None) != AUDIT_ENV:  # not installed at start-up
        spec = importlib.util.spec_from_file_location("ghostwright_net_audit", AUDIT_DIR / "sitecustomize.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # installs the hook: the environment variable is set


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any process tried to reach a non-loopback address."""
    if os.environ.get(TEST_CACHE_ENV):
        shutil.rmtree(os.environ[TEST_CACHE_ENV], ignore_errors=True)
    try:
        attempts = Path(os.environ[AUDIT_ENV]).read_text()
    except (KeyError, OSError):
        return
    if attempts.strip():
        sys.stderr.write("\nNETWORK AUDIT: non-loopback network use during the tests:\n" + attempts)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

@pytest.fixture
def embedded_model() -> None:
    # A failure, not a skip: a missing model is a broken install that a skip would hide.
    if not model_store.is_installed():
        pytest.fail("the embedded model is not installed: run `make install` (make test does)")


requires_model = pytest.mark.usefixtures("embedded_model")


class Session:
    """A client session plus what the server streamed to it."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.partials: list[dict] = []
        self.result: lsp.InitializeResult | None = None

    async def status(self) -> dict:
        return plain(await self.client.protocol.send_request_async("ghostwright/status", {}))

    async def text_of(self, uri: str) -> dict:
        return plain(await self.client.protocol.send_request_async(
            "ghostwright/documentText", {"textDocument": {"uri": uri}}))

    def open(self, uri: str, text: str, language: str = "python", version: int = 1) -> None:
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))

    def complete_async(self, uri: str, line: int, character: int, invoked: bool = True):
        kind = lsp.InlineCompletionTriggerKind.Invoked if invoked else lsp.InlineCompletionTriggerKind.Automatic
        return self.client.text_document_inline_completion_async(lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=line, character=character),
            context=lsp.InlineCompletionContext(trigger_kind=kind)))

    async def wait_ready(self, timeout: float = 120) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            status = await self.status()
            if status["backendReady"] or status["backendError"]:
                return status
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the model did not load in time")
            await asyncio.sleep(0.1)




@asynccontextmanager
async def session(
    init_options: dict | None = None,
    encodings: list[str] | None = None,
    progress: bool = True,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
    root: Path | None = None,
):
    """A client session with the server `command` (by default ghostwright's own); `root`: the
    workspace folder the editor names (rootUri and workspaceFolders)."""
    config = ClientServerConfig(
        server_command=command or [sys.executable, "-m", "ghostwright", "serve"],
        # pygls replaces the environment with server_env: keep ours (PATH, HOME, the audit hook).
        server_env={**os.environ, **env} if env else None,
    )
    client = await config.start()
    s = Session(client)

    @client.feature(PARTIAL)
    def on_partial(params: Any) -> None:
        s.partials.append(plain(params))

    caps = lsp.ClientCapabilities(
        window=lsp.WindowClientCapabilities(work_done_progress=progress),
        general=lsp.GeneralClientCapabilities(position_encodings=encodings) if encodings else None,
    )
    folders = [lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root is not None else None
    s.result = await client.initialize_session(
        lsp.InitializeParams(capabilities=caps, initialization_options=init_options,
                             root_uri=root.as_uri() if root is not None else None, workspace_folders=folders))
    try:
        yield s
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), 30)
        finally:
            await client.stop()


@asynccontextmanager
async def ready_session(init_options: dict | None = None):
    """A session whose model has loaded (a module's shared server, for tests that all need it)."""
    async with session(init_options) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        yield s


FAST = {"completion": {"debounceMs": 0}}
