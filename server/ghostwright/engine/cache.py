"""Finished completions by exact prompt (LRU): the same prompt twice never reaches the model twice."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class PromptCache:
    """Maps a generation key (prompt and sampling settings) to the raw text the model produced."""

    capacity: int = 256
    _items: OrderedDict[tuple, str] = field(default_factory=OrderedDict)
    hits: int = 0
    misses: int = 0

    def get(self, key: tuple) -> str | None:
        raw = self._items.get(key)
        if raw is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return raw

    def put(self, key: tuple, raw: str) -> None:
        if self.capacity <= 0:
            return
        self._items[key] = raw
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
