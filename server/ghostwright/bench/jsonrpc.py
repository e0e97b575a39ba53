"""A lean LSP client over stdio: JSON-RPC framing and nothing else, as an editor's C JSON parser
sees the server (the benchmarks' overhead figure, and tests that send bytes no client would)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any


class StdioServer:
    """The real server process, spoken to frame by frame; its stderr is kept for log assertions."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.inbox: list[dict] = []
        self.stderr = bytearray()
        self._next_id = 0
        self._waiters: dict[Any, asyncio.Future] = {}
        self._reader = asyncio.create_task(self._read())
        self._err_reader = asyncio.create_task(self._read_stderr())

    @classmethod
    async def start(cls, env: dict[str, str] | None = None, log_level: str = "INFO"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ghostwright", "--log-level", log_level, "serve",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})})
        return cls(proc)

    # --- writing ---
    def write_raw(self, body: bytes, length: int | None = None) -> None:
        header = f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode()
        self.proc.stdin.write(header + body)

    def notify(self, method: str, params: Any) -> None:
        self.write_raw(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode())

    def send(self, method: str, params: Any) -> int:
        self._next_id += 1
        self._waiters[self._next_id] = asyncio.get_running_loop().create_future()
        self.write_raw(json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method,
                                   "params": params}).encode())
        return self._next_id

    async def reply(self, request_id: int, timeout: float = 30) -> dict:
        try:
            return await asyncio.wait_for(asyncio.shield(self._waiters[request_id]), timeout)
        finally:
            if self._waiters[request_id].done():
                del self._waiters[request_id]

    async def request(self, method: str, params: Any, timeout: float = 30) -> dict:
        return await self.reply(self.send(method, params), timeout)

    async def initialize(self, options: dict | None = None) -> dict:
        # A benchmark's suggestions are nobody's: they stay out of the user's acceptance counts.
        options = {"feedback": {"enabled": False}, **(options or {})}
        result = await self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {},
                                                   "initializationOptions": options})
        self.notify("initialized", {})
        return result

    # --- reading ---
    async def _read(self) -> None:
        out = self.proc.stdout
        while True:
            header = await out.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in header.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            self.received(json.loads(await out.readexactly(length)))

    def received(self, message: dict) -> None:
        """An answer goes to whoever asked; what the server sends of its own is kept in `inbox`."""
        if "method" in message:
            self.inbox.append(message)
            return
        waiter = self._waiters.get(message.get("id"))
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    async def _read_stderr(self) -> None:
        while chunk := await self.proc.stderr.read(65536):
            self.stderr += chunk

    def notifications(self, method: str) -> list[dict]:
        return [m for m in self.inbox if m.get("method") == method]

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def close(self) -> int:
        if self.alive:
            try:
                await self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
                await asyncio.wait_for(self.proc.wait(), 10)
            except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                self.proc.kill()
                await self.proc.wait()
        self._reader.cancel()
        self._err_reader.cancel()
        return self.proc.returncode
