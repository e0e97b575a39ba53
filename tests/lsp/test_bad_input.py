"""Bad input never loses the server: hypothesis drives the real server with hostile LSP traffic.

Every request gets an answer (a result or a JSON-RPC error), every unusable notification is a
logged no-op, the process stays up, and the documents stay identical to a reference model that
applies edits the way the LSP specification says (UTF-16 positions, clamped to the text).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import threading
from concurrent.futures import Future

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from conftest import requires_model
from rawlsp import RawServer

URIS = ["file:///fuzz/a.py", "file:///fuzz/b.js", "file:///fuzz/c%20d.py"]
OPTIONS = {"completion": {"debounceMs": 0, "maxTokens": 6}}


# --- the reference model: LSP semantics written out plainly ---

def _ref_offset(text: str, line: int, character: int) -> int:
    """Code-point offset of a UTF-16 position; past the end of a line or the text clamps."""
    lines = text.split("\n")
    if line >= len(lines):
        return len(text)
    start = sum(len(l) + 1 for l in lines[:line])
    units = 0
    for i, ch in enumerate(lines[line]):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > character:
            return start + i  # inside a surrogate pair snaps to its start
        units += width
    return start + len(lines[line])


def ref_apply(text: str, rng: tuple[int, int, int, int] | None, new: str) -> str:
    if rng is None:
        return new
    a, b = _ref_offset(text, rng[0], rng[1]), _ref_offset(text, rng[2], rng[3])
    a, b = min(a, b), max(a, b)
    return text[:a] + new + text[b:]


# --- strategies ---

_chars = st.one_of(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\u2028\u2029\x85"),
    st.sampled_from(["\n", "\n", "\t", "\x00", "é", "😀", "\ud800", "\udfff", "𝄞", " "]),
)
texts = st.text(_chars, max_size=60)
positions = st.tuples(st.integers(0, 12), st.integers(0, 90))
ranges = st.tuples(positions, positions).map(lambda p: (*p[0], *p[1]))
INVALID_UTF8 = [b"\xff", b"\xc3(", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\x80\x80"]


class _Loop:
    """An event loop in a thread, so hypothesis (synchronous) can drive the async raw client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 60):
        future: Future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call(self, fn, *args):
        async def wrapped():
            return fn(*args)
        return self.run(wrapped())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def fuzz_server():
    loop = _Loop()
    server = loop.run(RawServer.start(log_level="WARNING"))
    loop.run(server.initialize(OPTIONS))
    status = loop.run(_wait_ready(server), timeout=180)
    assert status["backendReady"], status
    yield loop, server
    code = loop.run(server.close())
    loop.close()
    assert code == 0, server.log()[-3000:]


async def _wait_ready(server: RawServer) -> dict:
    while True:
        status = (await server.request("ghostwright/status", {}))["result"]
        if status["backendReady"] or status["backendError"]:
            return status
        await asyncio.sleep(0.1)


class LspTraffic(RuleBasedStateMachine):
    """Hostile but well-framed traffic; the model of what the documents must be."""

    loop: _Loop
    server: RawServer
    tried: collections.Counter = collections.Counter()

    def __init__(self) -> None:
        super().__init__()
        self.docs: dict[str, tuple[int, str]] = {}
        self.pending: list[int] = []

    @initialize()
    def close_everything(self) -> None:
        for uri in URIS:  # each example starts from no open documents
            self.loop.call(self.server.notify, "textDocument/didClose", {"textDocument": {"uri": uri}})

    @rule(uri=st.sampled_from(URIS), text=texts, version=st.integers(-5, 10**6))
    def open(self, uri, text, version):
        self.tried['open'] += 1
        self.loop.call(self.server.notify, "textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": text}})
        self.docs[uri] = (version, text)

    @precondition(lambda self: self.docs)
    @rule(data=st.data(), edits=st.lists(st.tuples(st.one_of(st.none(), ranges), texts), min_size=1, max_size=4),
          version_step=st.integers(-3, 3))
    def change(self, data, edits, version_step):
        """Overlapping, inverted, out-of-range and whole-document edits; stale and future versions."""
        self.tried['change'] += 1
        uri = data.draw(st.sampled_from(sorted(self.docs)))
        version, text = self.docs[uri]
        changes = []
        for rng, new in edits:
            if rng is None:
                changes.append({"text": new})
            else:
                changes.append({"range": {"start": {"line": rng[0], "character": rng[1]},
                                          "end": {"line": rng[2], "character": rng[3]}}, "text": new})
            text = ref_apply(text, rng, new)
        self.loop.call(self.server.notify, "textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version + version_step}, "contentChanges": changes})
        self.docs[uri] = (version + version_step, text)

    @precondition(lambda self: self.docs)
    @rule(data=st.data(), bad=st.sampled_from(INVALID_UTF8), pos=positions, before=texts)
    def change_with_invalid_utf8(self, data, bad, pos, before):
        """Raw bytes that are not UTF-8 inside the JSON: read as U+FFFD, the edit still lands."""
        self.tried['change_with_invalid_utf8'] += 1
        uri = data.draw(st.sampled_from(sorted(self.docs)))
        version, text = self.docs[uri]
        marker = "@@BAD@@"
        body = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version + 1},
            "contentChanges": [{"range": {"start": {"line": pos[0], "character": pos[1]},
                                          "end": {"line": pos[0], "character": pos[1]}},
                                "text": before + marker}]}}).encode()
        self.loop.call(self.server.write_raw, body.replace(marker.encode(), bad))
        inserted = json.loads(json.dumps(before)) + bad.decode("utf-8", "replace")
        self.docs[uri] = (version + 1, ref_apply(text, (*pos, *pos), inserted))

    @precondition(lambda self: self.docs)
    @rule(data=st.data(), negative=st.sampled_from(["line", "character"]))
    def change_with_negative_position(self, data, negative):
        """Invalid per the protocol (uinteger): dropped with a log line, the document unchanged."""
        self.tried['change_with_negative_position'] += 1
        uri = data.draw(st.sampled_from(sorted(self.docs)))
        start = {"line": 0, "character": 0, negative: -1}
        self.loop.call(self.server.notify, "textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 1},
            "contentChanges": [{"range": {"start": start, "end": {"line": 0, "character": 0}}, "text": "X"}]})

    @precondition(lambda self: self.docs)
    @rule(data=st.data(), pos=st.tuples(st.integers(-2, 50), st.integers(-2, 200)),
          cancel=st.booleans(), automatic=st.booleans())
    def complete(self, data, pos, cancel, automatic):
        uri = data.draw(st.sampled_from(sorted(self.docs) + URIS[:1]))  # mostly open documents
        self.tried['complete'] += 1
        params = {"textDocument": {"uri": uri}, "position": {"line": pos[0], "character": pos[1]},
                  "context": {"triggerKind": 2 if automatic else 1}}
        request_id = self.loop.call(self.server.send, "textDocument/inlineCompletion", params)
        if cancel:
            self.loop.call(self.server.notify, "$/cancelRequest", {"id": request_id})
        reply = self.loop.run(self.server.reply(request_id, timeout=60))
        if pos[0] < 0 or pos[1] < 0:
            assert reply["error"]["code"] == -32602, reply
        elif "error" in reply:
            assert cancel and reply["error"]["code"] == -32800, reply  # RequestCancelled
        else:
            assert isinstance(reply["result"]["items"], list)

    @precondition(lambda self: self.docs)
    @rule(uri=st.sampled_from(URIS))
    def close(self, uri):
        self.tried['close'] += 1
        self.loop.call(self.server.notify, "textDocument/didClose", {"textDocument": {"uri": uri}})
        self.docs.pop(uri, None)

    @rule(method=st.sampled_from(["ghostwright/nonsense", "textDocument/hover", "$/unknown"]),
          params=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)))
    def unknown_method(self, method, params):
        self.tried['unknown_method'] += 1
        reply = self.loop.run(self.server.request(method, params))
        assert "error" in reply, reply
        self.loop.call(self.server.notify, method, params)  # an unknown notification is ignored

    @rule(junk=st.sampled_from([b"{", b"{\"jsonrpc\": \"2.0\", \"method\": ", b"[1, 2", b"null", b"\"x\"",
                                b"{\"jsonrpc\": \"2.0\", \"id\": 1e999}", b"\xff\xfe{}", b"{}"]))
    def malformed(self, junk):
        self.tried['malformed'] += 1
        self.loop.call(self.server.write_raw, junk)

    @rule(error=st.sampled_from([-40, -7, -1, 1, 5, 10, 30]), junk=st.sampled_from([b"", b"\r\n", b"x" * 70_000]))
    def misframed(self, error, junk):
        """A Content-Length off by `error` (and junk between frames): only that frame may be lost."""
        self.tried['misframed'] += 1
        body = json.dumps({"jsonrpc": "2.0", "method": "$/misframed", "params": {"pad": "x" * 40}}).encode()
        self.loop.call(self.server.write_bytes, junk)
        self.loop.call(self.server.write_raw, body, len(body) + error)

    @invariant()
    def documents_match_the_reference(self) -> None:
        assert self.server.alive, self.server.log()[-3000:]
        for uri in URIS:
            reply = self.loop.run(self.server.request("ghostwright/documentText", {"textDocument": {"uri": uri}}))
            got = reply["result"]
            if uri not in self.docs:
                assert got is None
                continue
            version, text = self.docs[uri]
            assert got == {"version": version, "text": text}


@requires_model
def test_hostile_lsp_traffic_never_loses_the_server_or_a_document(fuzz_server):
    loop, server = fuzz_server
    LspTraffic.loop, LspTraffic.server = loop, server
    examples = int(os.environ.get("GHOSTWRIGHT_FUZZ_EXAMPLES", "50"))
    run_state_machine_as_test(LspTraffic, settings=settings(
        max_examples=examples, stateful_step_count=15, deadline=None, suppress_health_check=list(HealthCheck)))
    status = loop.run(server.request("ghostwright/status", {}))["result"]
    assert status["backendReady"] and server.alive
    print(f"\nfuzz: {sum(LspTraffic.tried.values())} hostile messages: {dict(LspTraffic.tried)}; "
          f"completions generated: {status['backends'][0]['requests']}")
    log = server.log()
    assert "ignored textDocument/didChange: its params do not validate" in log
    assert "invalid UTF-8" in log


def _complete(loop: _Loop, server: RawServer, uri: str, line: int, character: int) -> dict:
    return loop.run(server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": character},
        "context": {"triggerKind": 1}}, timeout=120))


def _open(loop: _Loop, server: RawServer, uri: str, text: str) -> None:
    loop.call(server.notify, "textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})


@requires_model
def test_a_document_over_the_size_limit_gets_no_completion_and_one_message(fuzz_server):
    loop, server = fuzz_server
    uri = "file:///fuzz/huge.py"
    text = "x = 1\n" * 400_000  # 2.4 MB, over the 2 MiB default
    _open(loop, server, uri, text)
    for _ in range(3):
        assert _complete(loop, server, uri, 1000, 0)["result"]["items"] == []
    told = [m for m in server.notifications("window/showMessage") if uri in m["params"]["message"]]
    assert len(told) == 1 and "maxDocumentBytes" in told[0]["params"]["message"]
    loop.call(server.notify, "textDocument/didClose", {"textDocument": {"uri": uri}})
    small = "file:///fuzz/small.py"
    _open(loop, server, small, "def add(a, b):\n    return ")
    assert _complete(loop, server, small, 1, 11)["result"]["items"], "a normal document still completes"


@requires_model
def test_a_huge_line_nul_bytes_and_lone_surrogates_still_complete(fuzz_server):
    loop, server = fuzz_server
    uri = "file:///fuzz/odd.py"
    text = "s = '" + "ab\x00" * 60_000 + "'\nname = '\ud800'\ndef add(a, b):\n    return "
    _open(loop, server, uri, text)
    reply = _complete(loop, server, uri, 3, 11)
    assert "result" in reply, reply
    reply = _complete(loop, server, uri, 0, 100_000)  # in the middle of the huge line
    assert "result" in reply, reply
    got = loop.run(server.request("ghostwright/documentText", {"textDocument": {"uri": uri}}))["result"]
    assert got["text"] == text


@requires_model
def test_a_request_with_invalid_params_is_answered_and_junk_is_logged(fuzz_server):
    loop, server = fuzz_server
    reply = _complete(loop, server, "file:///fuzz/a.py", -1, 0)
    assert reply["error"]["code"] == -32602 and "position" in reply["error"]["message"]
    loop.call(server.write_raw, b"{not json")
    assert loop.run(server.request("ghostwright/status", {}))["result"]["backendReady"]
    assert "ignored a message that is not JSON" in server.log()
    assert "answered textDocument/inlineCompletion" in server.log()


@requires_model
def test_a_minified_line_gets_no_completion_one_message_and_a_status_reason(fuzz_server):
    loop, server = fuzz_server
    uri = "file:///fuzz/bundle.js"
    minified = "".join(f"function f{i}(a,b){{return a*{i}+b}};" for i in range(8000))  # ~250 KB, one line
    text = "const x = 1;\n" + minified + "\nfunction add(a, b) {\n  return \n}\n"
    loop.call(server.notify, "textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "javascript", "version": 1, "text": text}})
    for column in (100_000, 100_020, 5):
        assert _complete(loop, server, uri, 1, column)["result"]["items"] == []
    told = [m["params"]["message"] for m in server.notifications("window/showMessage") if uri in m["params"]["message"]]
    assert len(told) == 1 and "completion.maxLineBytes" in told[0], told
    status = loop.run(server.request("ghostwright/status", {}))["result"]
    assert "maxLineBytes" in status["refused"][uri]
    reply = _complete(loop, server, uri, 3, 9)  # a normal line of the same file
    assert "result" in reply and uri not in loop.run(server.request("ghostwright/status", {}))["result"]["refused"]
    loop.call(server.notify, "textDocument/didClose", {"textDocument": {"uri": uri}})


@requires_model
def test_edits_to_a_document_over_the_limit_land_and_other_requests_are_answered(fuzz_server):
    loop, server = fuzz_server
    uri = "file:///fuzz/big.py"
    line = "result = transform(values, scale=2.0)  # keep the pipeline honest\n"
    text = line * 100_000  # 6.6 MB, three times the default limit
    _open(loop, server, uri, text)
    for i in range(30):
        rng = {"start": {"line": 50_000 + i, "character": 0}, "end": {"line": 50_000 + i, "character": 6}}
        loop.call(server.notify, "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2 + i},
                                                          "contentChanges": [{"range": rng, "text": "out"}]})
        text = ref_apply(text, (50_000 + i, 0, 50_000 + i, 6), "out")
        assert "result" in loop.run(server.request("ghostwright/status", {}))
    assert _complete(loop, server, uri, 50_000, 3)["result"]["items"] == []
    got = loop.run(server.request("ghostwright/documentText", {"textDocument": {"uri": uri}}))["result"]
    assert got == {"version": 31, "text": text}
    loop.call(server.notify, "textDocument/didClose", {"textDocument": {"uri": uri}})
