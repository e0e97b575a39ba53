"""A raw stdio LSP client for the tests that need bytes no well-behaved client would send."""

from __future__ import annotations

from ghostwright.bench.jsonrpc import StdioServer


class RawServer(StdioServer):
    """The real server process, spoken to frame by frame, with its log at hand."""

    def write_bytes(self, data: bytes) -> None:
        self.proc.stdin.write(data)

    def log(self) -> str:
        return self.stderr.decode("utf-8", "replace")
