"""Acceptance feedback and local statistics: the protocol over the real server, the counts file, `ghostwright stats`.

A scripted backend stands in for the model (tests/elisp/scripted_server.py): the subject is what
the server counts of what the editor says, not what the model writes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from conftest import ROOT, Session, session
from rawlsp import RawServer
from ghostwright import stats
from ghostwright.backends.router import Router
from ghostwright.bench import plain
from ghostwright.config import Config
from ghostwright.engine import feedback as fb, usage_stats
from ghostwright.engine.engine import Engine
from scripted import Scripted

SCRIPTED_SERVER = ROOT / "tests" / "elisp" / "scripted_server.py"
URI = "file:///tmp/feedback.py"
TEXT = "def area(r):\n    \n"
ANSWER = "return 3.14 * r * r"


# --- the pieces, as plain functions ---

def test_an_accepted_region_follows_edits_before_inside_and_after_it():
    assert fb.moved(10, 20, 0, 0, 5) == (15, 25)  # typed before: moves
    assert fb.moved(10, 20, 10, 10, 1) == (11, 21)  # typed at its start: before it
    assert fb.moved(10, 20, 20, 20, 3) == (10, 20)  # typed at its end: after it
    assert fb.moved(10, 20, 12, 15, 0) == (10, 17)  # deleted inside
    assert fb.moved(10, 20, 5, 25, 0) == (5, 5)  # deleted whole
    assert fb.moved(10, 20, 15, 25, 3) == (10, 18)  # its tail replaced
    # An anchor (nothing accepted yet) stays before what is typed through at it.
    assert fb.moved(10, 10, 10, 10, 1) == (10, 10)
    assert fb.moved(10, 10, 8, 10, 0) == (8, 8)


def test_retained_counts_the_accepted_characters_still_there_in_order():
    assert fb.retained("return x", "return x") == 8
    assert fb.retained("return x", "return y") == 7
    assert fb.retained("return x", "") == 0


def test_the_counts_file_is_bounded_to_the_newest_days(tmp_path):
    store = usage_stats.Store(tmp_path / "usage.json", keep_days=2)
    k = usage_stats.key("python", "openvino", "/home/me/models/secret-project/qwen.gguf", False)
    assert k.model == "qwen.gguf"  # a path keeps its last part only
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        store.add(k, day, shown=2, accepted=1)
    store.save(force=True)
    data = json.loads((tmp_path / "usage.json").read_text())
    assert sorted(data["days"]) == ["2026-01-02", "2026-01-03"]
    assert data["days"]["2026-01-03"] == [{"language": "python", "backend": "openvino", "model": "qwen.gguf",
                                           "kind": "single", "shown": 2, "accepted": 1}]
    # A second session adds to the file, it does not replace it.
    other = usage_stats.Store(tmp_path / "usage.json", keep_days=2)
    other.add(k, "2026-01-03", shown=1)
    other.save(force=True)
    assert usage_stats.load(tmp_path / "usage.json")["2026-01-03"][k]["shown"] == 3


def test_a_damaged_counts_file_is_read_as_empty_and_replaced_whole(tmp_path):
    path = tmp_path / "usage.json"
    path.write_text("{not json")
    store = usage_stats.Store(path)
    store.add(usage_stats.key("c", "ollama", "m", True), shown=1)
    store.save(force=True)
    assert usage_stats.summarize(usage_stats.load(path))[0].counts["shown"] == 1


def test_adaptive_escalation_reads_single_line_acceptance_per_language():
    k = usage_stats.key("python", "openvino", "m", False)
    days = {"2026-01-01": {k: {"shown": 40, "accepted": 1, "partial": 1}}}
    assert usage_stats.rarely_taken(days, "python", "openvino", 30, 0.1)
    assert not usage_stats.rarely_taken(days, "python", "openvino", 50, 0.1)  # not shown often enough
    assert not usage_stats.rarely_taken(days, "rust", "openvino", 30, 0.1)
    assert usage_stats.escalated(days, 30, 0.1) == [("python", "openvino")]


# --- over the real server ---

@asynccontextmanager
async def scripted_session(pieces: list[str], data_home: Path, init: dict | None = None):
    env = {"GHOSTWRIGHT_SCRIPTED": json.dumps(pieces), "XDG_DATA_HOME": str(data_home)}
    async with session({"completion": {"debounceMs": 0}, **(init or {})}, progress=False, env=env,
                       command=[sys.executable, str(SCRIPTED_SERVER)]) as s:
        await s.wait_ready(30)
        yield s


async def execute(s: Session, command: str, *arguments) -> dict:
    return plain(await s.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=list(arguments))))


def counts(status: dict) -> dict:
    rows = status["feedback"]
    assert len(rows) == 1, rows
    return rows[0]


async def test_items_carry_the_accept_command_and_the_server_counts_each_fate(tmp_path):
    async with scripted_session(["return ", "3.14", " * r", " * r\n"], tmp_path,
                                {"feedback": {"retentionFirstS": 0.3, "retentionSecondS": 0.6}}) as s:
        commands = s.result.capabilities.execute_command_provider.commands
        assert set(fb.COMMANDS) <= set(commands)
        s.open(URI, TEXT)
        result = await s.complete_async(URI, 1, 4)
        item = result.items[0]
        assert item.insert_text == ANSWER
        assert item.command.command == "ghostwright.accepted"
        sid = item.command.arguments[0]["id"]
        assert s.partials and all(p["id"] == sid for p in s.partials)  # the id is known while it streams
        # The client inserts the text, then runs the item's command.
        s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=1, character=4), end=lsp.Position(line=1, character=4)),
                text=ANSWER)]))
        assert (await execute(s, item.command.command, *item.command.arguments))["counted"]
        row = counts(await s.status())
        assert row["language"] == "python" and row["backend"] == "scripted" and row["kind"] == "multi"  # an empty body: a block is wanted
        assert (row["shown"], row["accepted"], row["acceptedChars"]) == (1, 1, len(ANSWER))
        assert row["latencyMs"] is not None and row["latencyMs"] > 0
        await asyncio.sleep(0.45)
        assert counts(await s.status())["retainedCharsFirst"] == len(ANSWER)
        # The accepted text is deleted before the second check: nothing of it is retained.
        s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=3),
            content_changes=[lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=1, character=4),
                                end=lsp.Position(line=1, character=4 + len(ANSWER))), text="")]))
        await asyncio.sleep(0.4)
        row = counts(await s.status())
        assert (row["checkedCharsSecond"], row["retainedCharsSecond"]) == (len(ANSWER), 0)

        # A second suggestion dismissed, a third one taken in part; a stale id is refused politely.
        second = (await s.complete_async(URI, 1, 4)).items[0].command.arguments[0]["id"]
        assert (await execute(s, fb.DISMISSED, {"id": second}))["fate"] == "dismissed"
        third = (await s.complete_async(URI, 1, 4)).items[0].command.arguments[0]["id"]
        assert (await execute(s, fb.PARTIALLY_ACCEPTED, {"id": third, "kind": "word", "chars": 6}))["counted"]
        assert not (await execute(s, fb.ACCEPTED, {"id": "nobody-1"}))["counted"]
        assert not (await execute(s, fb.PARTIALLY_ACCEPTED, {"id": third}))["counted"]  # no chars: refused
        assert not (await execute(s, fb.ACCEPTED))["counted"]  # no arguments at all
        row = counts(await s.status())
        assert (row["shown"], row["accepted"], row["partial"], row["dismissed"]) == (3, 1, 1, 1)
        assert row["acceptedChars"] == len(ANSWER) + 6
    data = (tmp_path / "ghostwright" / "usage-stats.json").read_text()
    assert "3.14" not in data and "feedback.py" not in data and "/tmp" not in data
    (row,) = usage_stats.summarize(usage_stats.load(tmp_path / "ghostwright" / "usage-stats.json"))
    assert (row.counts["shown"], row.counts["accepted"], row.counts["dismissed"]) == (3, 1, 1)


async def test_feedback_off_counts_nothing_and_writes_no_file(tmp_path):
    async with scripted_session(["return 1\n"], tmp_path, {"feedback": {"enabled": False}}) as s:
        s.open(URI, TEXT)
        item = (await s.complete_async(URI, 1, 4)).items[0]
        assert not (await execute(s, item.command.command, *item.command.arguments))["counted"]
        assert (await s.status())["feedback"] == []
    assert not (tmp_path / "ghostwright" / "usage-stats.json").exists()


def test_stats_command_prints_the_counts_and_json(tmp_path):
    store = usage_stats.Store(tmp_path / "ghostwright" / "usage-stats.json")
    k = usage_stats.key("python", "openvino", "qwen", False)
    store.add(k, usage_stats.today(), shown=4, accepted=1, partial=1, dismissed=2, acceptedChars=30,
              checkedCharsFirst=30, retainedCharsFirst=24, latencyMsSum=400, latencyCount=4)
    store.save(force=True)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "ghostwright", "stats"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "python" in run.stdout and "50%" in run.stdout and "80%" in run.stdout, run.stdout
    assert str(tmp_path / "ghostwright" / "usage-stats.json") in run.stdout
    run = subprocess.run([sys.executable, "-m", "ghostwright", "stats", "--json"], env=env,
                         capture_output=True, text=True)
    data = json.loads(run.stdout)
    assert data["rows"][0]["shown"] == 4 and data["rows"][0]["acceptance"] == 0.5
    assert data["days"][0]["shown"] == 4
    run = subprocess.run([sys.executable, "-m", "ghostwright", "doctor"], env=env, capture_output=True, text=True)
    assert "feedback: 4 suggestions shown over 1 day(s), 50% taken" in run.stdout, run.stdout


@pytest.mark.parametrize("adaptive", [False, True])
async def test_adaptive_routing_sends_a_rarely_taken_language_past_the_first_backend(tmp_path, adaptive):
    first, second = Scripted(["first_answer()\n"]), Scripted(["second_answer()\n"])
    first.name, second.name = "first", "second"
    config = Config()
    config.completion.debounce_ms = 0
    config.feedback.adaptive, config.feedback.adaptive_min_shown = adaptive, 5
    engine = Engine(config, build=lambda cfg: Router(cfg.router, "npu-first", first, second))
    engine.feedback.store = usage_stats.Store(tmp_path / "usage.json")
    # Python single-line answers of the first backend: shown 10 times, never taken.
    engine.feedback.store.add(usage_stats.key("python", "first", "scripted", False), shown=10, dismissed=10)
    engine.feedback.store.save(force=True)
    engine.start()
    await engine.loader.wait()
    engine.open(URI, "total = \n", 1, "python")
    answer = await engine.complete(URI, 0, 8)
    assert answer.multiline is False
    assert answer.text == ("second_answer()" if adaptive else "first_answer()")
    assert answer.stats.backend == ("second" if adaptive else "first")
    await engine.shutdown()
    text = stats.render(usage_stats.load(tmp_path / "usage.json"), config)
    verb = "sends" if adaptive else "would send"
    assert f"{verb} single-line python requests past first to the second backend" in text, text


async def test_a_document_closed_before_the_checks_is_checked_on_its_last_text(tmp_path):
    async with scripted_session(["return ", "3.14", " * r", " * r\n"], tmp_path) as s:  # checks at 30 s, 120 s
        s.open(URI, TEXT)
        item = (await s.complete_async(URI, 1, 4)).items[0]
        s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=1, character=4), end=lsp.Position(line=1, character=4)),
                text=ANSWER)]))
        await execute(s, item.command.command, *item.command.arguments)
        # One identifier renamed inside the accepted text: the rest of it is retained.
        s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=3),
            content_changes=[lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=1, character=11), end=lsp.Position(line=1, character=15)),
                text="math.pi")]))
        s.client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            text_document=lsp.TextDocumentIdentifier(uri=URI)))
        row = counts(await s.status())
        assert row["checkedCharsFirst"] == row["checkedCharsSecond"] == len(ANSWER)
        assert row["retainedCharsFirst"] == row["retainedCharsSecond"]
        # ("3.14" and "math.pi" share a ".": characters matched in order, not words)
        assert len(ANSWER) - len("3.14") <= row["retainedCharsFirst"] < len(ANSWER)


async def test_bad_feedback_messages_get_a_clear_answer_and_no_pop_up(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPTED_SERVER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "XDG_DATA_HOME": str(tmp_path)})
    server = RawServer(proc)
    try:
        await server.initialize({"feedback": {"enabled": True}})
        unknown = await server.request("workspace/executeCommand", {"command": "ghostwright.nonsense"})
        assert "ghostwright.nonsense" in unknown["error"]["message"]
        for arguments in ("not a list", [1, 2], [{"id": 3}], [{"id": "x", "chars": "many"}]):
            answer = await server.request("workspace/executeCommand",
                                          {"command": fb.PARTIALLY_ACCEPTED, "arguments": arguments})
            assert answer["result"]["counted"] is False and answer["result"]["reason"]
        await server.request("ghostwright/status", {})
        assert server.notifications("window/showMessage") == []
    finally:
        await server.close()


async def test_counts_are_saved_when_the_editor_goes_without_shutdown(tmp_path):
    """Emacs killed: no shutdown, only the end of stdin. What was counted is in the file all the same."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPTED_SERVER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "GHOSTWRIGHT_SCRIPTED": json.dumps(["return 1\n"]), "XDG_DATA_HOME": str(tmp_path)})
    server = RawServer(proc)
    await server.initialize({"completion": {"debounceMs": 0}, "feedback": {"enabled": True}})
    server.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "python", "version": 1,
                                                            "text": TEXT}})
    answer = await server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": URI}, "position": {"line": 1, "character": 4}, "context": {"triggerKind": 1}})
    command = answer["result"]["items"][0]["command"]
    assert (await server.request("workspace/executeCommand", command))["result"]["counted"]
    proc.stdin.close()
    assert await asyncio.wait_for(proc.wait(), 15) is not None
    server._reader.cancel()
    server._err_reader.cancel()
    (row,) = usage_stats.summarize(usage_stats.load(tmp_path / "ghostwright" / "usage-stats.json"))
    assert (row.counts["shown"], row.counts["accepted"]) == (1, 1)
