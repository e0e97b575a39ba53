"""Framing errors cost the frame they hit and no more: the server resynchronises and stays up."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings, strategies as st

from ghostwright.lsp.framing import MAX_BODY_BYTES, MAX_HEADER_BYTES, Framer, Junk
from rawlsp import RawServer


def frame(body: bytes, length: int | None = None) -> bytes:
    return f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body


def drain(framer: Framer) -> list:
    out = []
    while (item := framer.next()) is not None:
        out.append(item)
    return out


def read_all(stream: bytes, cuts: list[int]) -> list:
    framer, out, last = Framer(), [], 0
    for cut in sorted(set(cuts)) + [len(stream)]:
        framer.feed(stream[last:cut])
        last = cut
        out += drain(framer)
    return out


bodies = st.lists(st.binary(min_size=1, max_size=200).map(lambda b: b.replace(b"\r", b"")), min_size=1, max_size=6)
# Junk that holds no header of its own (a header inside junk is a message, by design).
junk = st.binary(min_size=1, max_size=300).filter(lambda b: b"ength" not in b.lower() and b"\r\n\r\n" not in b)


@settings(max_examples=200, deadline=None)
@given(bodies, st.lists(st.integers(0, 2000), max_size=8))
def test_well_framed_messages_come_out_whole_however_the_reads_cut_them(messages, cuts):
    stream = b"".join(frame(b) for b in messages)
    assert read_all(stream, cuts) == messages


@settings(max_examples=200, deadline=None)
@given(bodies, st.data())
def test_junk_between_messages_is_skipped_and_every_message_after_it_is_read(messages, data):
    stream = b""
    for body in messages:
        if data.draw(st.booleans()):
            stream += data.draw(junk)
        stream += frame(body)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    got = read_all(stream, cuts)
    assert [item for item in got if not isinstance(item, Junk)] == messages


def test_a_runaway_header_and_a_huge_declared_length_are_not_buffered():
    framer = Framer()
    framer.feed(b"X" * (MAX_HEADER_BYTES * 4) + b"\r\n")
    assert all(isinstance(item, Junk) for item in drain(framer))
    assert framer.buffered <= 16
    framer.feed(f"Content-Length: {10**12}\r\n\r\n".encode() + b"{}" + frame(b"{\"ok\": 1}"))
    got = drain(framer)
    assert isinstance(got[0], Junk) and str(MAX_BODY_BYTES) in got[0].reason
    assert got[-1] == b"{\"ok\": 1}"


# --- the real server: the cases of issue 17 ---

async def _status_ok(server: RawServer) -> bool:
    reply = await server.request("ghostwright/status", {}, timeout=10)
    return "result" in reply


async def _started() -> RawServer:
    server = await RawServer.start(log_level="WARNING")
    await server.initialize({"completion": {"debounceMs": 0}})
    return server


async def test_a_content_length_ten_too_large_loses_nothing_after_it():
    server = await _started()
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 9001, "method": "ghostwright/status", "params": {}}).encode()
        waiter = server._waiters[9001] = asyncio.get_running_loop().create_future()
        server.write_raw(body, length=len(body) + 10)
        answers = [await _status_ok(server) for _ in range(4)]
        assert answers == [True] * 4, server.log()[-2000:]
        assert "result" in await asyncio.wait_for(waiter, 10)  # the long-framed request itself is answered
    finally:
        assert await server.close() == 0


async def test_a_body_that_is_not_json_gets_a_parse_error_and_the_stream_goes_on():
    server = await _started()
    try:
        server.write_raw(b"{not json")
        assert await _status_ok(server)
        errors = [m for m in server.unclaimed if m.get("error", {}).get("code") == -32700]
        assert len(errors) == 1 and errors[0]["id"] is None, server.unclaimed
    finally:
        assert await server.close() == 0


@pytest.mark.parametrize("poison", [
    pytest.param(b"X" * (2 << 20) + b"\r\n", id="2 MB header line"),
    pytest.param(frame(b"{}", 100)[:-2] + b"Y" * (2 << 20), id="2 MB of leftover body"),
    pytest.param(f"Content-Length: {10**12}\r\n\r\n".encode() + b"{\"jsonrpc\": \"2.0\"}", id="10^12 length"),
    pytest.param(b"Content-Length: 12abc\r\n\r\n{}", id="bad length"),
    pytest.param(b"\r\n\r\n\r\n", id="empty headers"),
])
async def test_nothing_on_the_wire_ends_the_server(poison):
    server = await _started()
    try:
        server.write_bytes(poison)
        assert await _status_ok(server), server.log()[-2000:]
        assert await _status_ok(server)
        assert server.alive
    finally:
        assert await server.close() == 0


class _Recorder:
    """Stands in for pygls' protocol: records what the read loop hands over and answers."""

    def __init__(self) -> None:
        self.handled: list[dict] = []
        self.sent: list[dict] = []
        self._shutdown = False

    def structure_message(self, data: dict) -> dict:
        return type("Message", (), {"jsonrpc": "2.0", "data": data})() if "jsonrpc" in data else data

    def handle_message(self, message) -> None:
        self.handled.append(message.data)

    def _send_data(self, data: dict) -> None:
        self.sent.append(data)


def _run_loop(stream: bytes, cut: int = 4096) -> _Recorder:
    import threading

    from ghostwright.lsp.wire import read_messages

    pieces = [stream[i:i + cut] for i in range(0, len(stream), cut)] + [b""]

    async def read() -> bytes:
        return pieces.pop(0)

    protocol = _Recorder()
    asyncio.run(read_messages(read, protocol, threading.Event(), lambda *_: None))
    return protocol


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "id"]), st.integers() | st.text(max_size=30), max_size=3),
                min_size=2, max_size=6), st.data())
def test_a_wrong_content_length_costs_at_most_its_own_message(payloads, data):
    messages = [{"jsonrpc": "2.0", "method": f"m{i}", "params": p} for i, p in enumerate(payloads)]
    bodies = [json.dumps(m).encode() for m in messages]
    bad = data.draw(st.integers(0, len(bodies) - 2))  # not the last: a long frame waits for more bytes
    error = data.draw(st.sampled_from([-3, -1, 1, 10, 17]))
    stream = b"".join(frame(b, len(b) + error if i == bad else None) for i, b in enumerate(bodies))
    got = _run_loop(stream, data.draw(st.integers(1, 300)))
    others = [m for i, m in enumerate(messages) if i != bad]
    assert [m for m in got.handled if m != messages[bad]] == others
    if error > 0:
        assert got.handled == messages  # a body followed by the next header's start is still read
    else:
        assert [s["error"]["code"] for s in got.sent] == [-32700]
