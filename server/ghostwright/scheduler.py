"""When to ask the model: debounce automatic requests, and let only the newest per document run."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field


@dataclass
class Ticket:
    uri: str
    serial: int
    task: asyncio.Task | None = None
    superseded: bool = False


@dataclass
class Scheduler:
    _serials: itertools.count = field(default_factory=itertools.count)
    _newest: dict[str, Ticket] = field(default_factory=dict)

    def enter(self, uri: str) -> Ticket:
        """Register a request as the newest for `uri`; the one it replaces is cancelled."""
        ticket = Ticket(uri, next(self._serials))
        older = self._newest.get(uri)
        if older is not None:
            older.superseded = True
            if older.task is not None and not older.task.done():
                older.task.cancel()
        self._newest[uri] = ticket
        return ticket

    def leave(self, ticket: Ticket) -> None:
        if self._newest.get(ticket.uri) is ticket:
            del self._newest[ticket.uri]

    def cancel_all(self) -> None:
        for ticket in list(self._newest.values()):
            ticket.superseded = True
            if ticket.task is not None and not ticket.task.done():
                ticket.task.cancel()
        self._newest.clear()


def debounce_seconds(debounce_ms: int, invoked: bool) -> float:
    """An explicit request (trigger kind Invoked) never waits."""
    return 0.0 if invoked else debounce_ms / 1000
