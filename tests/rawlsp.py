"""A raw stdio LSP client for the tests that need bytes no well-behaved client would send."""

from __future__ import annotations

from ghostwright.bench.jsonrpc import StdioServer


class RawServer(StdioServer):
    """The real server process, spoken to frame by frame, with its log at hand."""

    def write_bytes(self, data: bytes) -> None:
        self.proc.stdin.write(data)

    def log(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def received(self, message: dict) -> None:
        """Answers nobody waits for (id null: a parse error) are kept in `unclaimed`."""
        if "method" not in message and message.get("id") not in self._waiters:
            self.unclaimed.append(message)
        super().received(message)

    @property
    def unclaimed(self) -> list[dict]:
        if not hasattr(self, "_unclaimed"):
            self._unclaimed: list[dict] = []
        return self._unclaimed
