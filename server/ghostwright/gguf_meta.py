"""A GGUF file's metadata, read from its header alone (the gguf package maps every tensor: ~8 s)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# A header is metadata: anything claiming more is not a GGUF file we should trust.
_MAX_STRING = 64 << 20
_MAX_ITEMS = 16 << 20


class GGUFError(ValueError):
    """The file is not a well-formed GGUF header."""


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise GGUFError("truncated GGUF header")
    return data


def _unpack(f: BinaryIO, fmt: str) -> Any:
    return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]


def _string(f: BinaryIO, keep: bool = True) -> str | None:
    n = _unpack(f, "<Q")
    if n > _MAX_STRING:
        raise GGUFError(f"implausible string length {n}")
    if not keep:
        f.seek(n, 1)
        return None
    return _read(f, n).decode("utf-8", "replace")


def _value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        value = _unpack(f, _SCALARS[kind])
        return value if keep else None
    if kind == _STRING:
        return _string(f, keep)
    if kind == _ARRAY:
        item, count = _unpack(f, "<I"), _unpack(f, "<Q")
        if count > _MAX_ITEMS:
            raise GGUFError(f"implausible array length {count}")
        if item in _SCALARS and not keep:
            f.seek(struct.calcsize(_SCALARS[item]) * count, 1)
            return None
        values = [_value(f, item, keep) for _ in range(count)]
        return values if keep else None
    raise GGUFError(f"unknown GGUF value type {kind}")


def _read_kv(f: BinaryIO, path: Path, prefix: str) -> tuple[int, dict[str, Any]]:
    if f.read(4) != MAGIC:
        raise GGUFError(f"{path} is not a GGUF file (no GGUF magic)")
    version = _unpack(f, "<I")
    if version < 2:
        raise GGUFError(f"GGUF version {version} is too old")
    tensors, count = _unpack(f, "<Q"), _unpack(f, "<Q")
    found: dict[str, Any] = {}
    for _ in range(count):
        key = _string(f) or ""
        kind = _unpack(f, "<I")
        keep = key.startswith(prefix) or key == "general.alignment"
        value = _value(f, kind, keep)
        if keep:
            found[key] = value
    return tensors, found


def read_metadata(path: Path, prefix: str = "general.") -> dict[str, Any]:
    """The metadata keys starting with `prefix` (others are skipped, not decoded)."""
    with path.open("rb") as f:
        _tensors, found = _read_kv(f, path, prefix)
    return {k: v for k, v in found.items() if k.startswith(prefix)}


def check_layout(path: Path) -> None:
    """Raise GGUFError unless every tensor the header lists lies inside the file.

    OpenVINO GenAI maps the file and trusts the header: a truncated or garbled GGUF crashes the
    process (SIGBUS/SIGSEGV) instead of raising, so the header is checked here first.
    """
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    size = path.stat().st_size
    with path.open("rb") as f:
        tensors, meta = _read_kv(f, path, "general.")
        if tensors > _MAX_ITEMS:
            raise GGUFError(f"implausible tensor count {tensors}")
        extents: list[tuple[str, int, int]] = []
        for _ in range(tensors):
            name = _string(f) or ""
            dims = _unpack(f, "<I")
            if dims > 8:
                raise GGUFError(f"tensor {name!r} has {dims} dimensions")
            shape = [_unpack(f, "<Q") for _ in range(dims)]
            kind, offset = _unpack(f, "<I"), _unpack(f, "<Q")
            try:
                block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
            except (ValueError, KeyError):
                raise GGUFError(f"tensor {name!r} has unknown type {kind}") from None
            elements = 1
            for d in shape:
                elements *= d
            extents.append((name, offset, elements // block * type_size))
        alignment = int(meta.get("general.alignment") or 32)
        data_start = -(-f.tell() // alignment) * alignment
    for name, offset, nbytes in extents:
        if data_start + offset + nbytes > size:
            raise GGUFError(f"tensor {name!r} ends at byte {data_start + offset + nbytes} but the file has "
                            f"{size}: the file is truncated or corrupt")
