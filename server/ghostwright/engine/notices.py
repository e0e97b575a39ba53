"""Problems said once each: a key per problem, remembered until the problem is forgotten."""

from __future__ import annotations


class OncePer:
    """Remembers which keys were already told about, so each problem is said once."""

    def __init__(self) -> None:
        self._told: set = set()

    def first(self, key: object) -> bool:
        if key in self._told:
            return False
        self._told.add(key)
        return True

    def forget(self, key: object) -> None:
        self._told.discard(key)
