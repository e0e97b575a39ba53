"""Benchmarks that drive the real server and model (`make bench`, `bench-quality`, `bench-latency`); not part of the server."""

from typing import Any


def plain(value: Any) -> Any:
    """pygls hands unknown-method params and results over as attribute objects: make them plain data."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return [plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    return {k: plain(v) for k, v in vars(value).items()}
