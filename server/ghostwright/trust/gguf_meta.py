"""A GGUF file's header read and checked before any runtime sees it (the gguf package maps every tensor: ~8 s)."""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable

from ghostwright.trust import regular_files

MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
TYPE_NAMES = {0: "uint8", 1: "int8", 2: "uint16", 3: "int16", 4: "uint32", 5: "int32", 6: "float32", 7: "bool",
              8: "string", 9: "array", 10: "uint64", 11: "int64", 12: "float64"}
# OpenVINO reads every integer key as an int32 from the value's bytes: a narrower type makes it read
# past the value, a float is read as the bits of an int.
_WIDE_INTS = (4, 5, 10, 11)
_INTS = (0, 1, 2, 3, 4, 5, 10, 11)
# A header is metadata: anything claiming more is not a GGUF file we should trust.
_MAX_STRING = 64 << 20
_MAX_ITEMS = 16 << 20
_MAX_DIMS = 4  # GGML_MAX_DIMS
_TOKEN_IDS = ("bos", "eos", "padding", "unknown", "separator", "sep", "cls", "mask", "eot", "eom")


class GGUFError(ValueError):
    """The file is not a well-formed GGUF header, or its numbers cannot describe a loadable model."""


@dataclass
class TensorInfo:
    name: str
    shape: list[int]  # ggml order: shape[0] is the row length
    kind: int
    offset: int  # from the start of the data section
    nbytes: int


@dataclass
class Header:
    """Every key's type; scalars and the kept strings and arrays decoded; every tensor's extent."""

    path: Path
    size: int
    kinds: dict[str, int] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    lengths: dict[str, tuple[int, int]] = field(default_factory=dict)  # array key → (item type, count)
    tensors: list[TensorInfo] = field(default_factory=list)
    data_start: int = 0


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
        _skip(f, n)
        return None
    return _read(f, n).decode("utf-8", "replace")


def _skip(f: BinaryIO, n: int) -> None:
    # Past the end is allowed here: the next read comes back short and says "truncated".
    f.seek(n, 1)


def _size(f: BinaryIO) -> int:
    here = f.tell()
    size = f.seek(0, 2)
    f.seek(here)
    return size


def _value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        return _unpack(f, _SCALARS[kind])  # scalars are cheap: always decoded, so their types can be checked
    if kind == _STRING:
        return _string(f, keep)
    if kind == _ARRAY:
        item, count = _array_head(f)
        if item in _SCALARS and not keep:
            _skip(f, struct.calcsize(_SCALARS[item]) * count)
            return None
        if item == _STRING and not keep:  # a vocabulary: 150k strings, only stepped over
            length = struct.Struct("<Q")
            for _ in range(count):
                n = length.unpack(_read(f, 8))[0]
                if n > _MAX_STRING:
                    raise GGUFError(f"implausible string length {n}")
                f.seek(n, 1)
            return None
        values = [_value(f, item, keep) for _ in range(count)]
        return values if keep else None
    raise GGUFError(f"unknown GGUF value type {kind}")


def _array_head(f: BinaryIO) -> tuple[int, int]:
    item, count = _unpack(f, "<I"), _unpack(f, "<Q")
    smallest = struct.calcsize(_SCALARS[item]) if item in _SCALARS else 8 if item == _STRING else 12
    if count > _MAX_ITEMS or count * smallest > _size(f) - f.tell():
        raise GGUFError(f"implausible array length {count}")
    return item, count


def _read_kv(f: BinaryIO, path: Path, keep: Callable[[str], bool], header: Header) -> int:
    if f.read(4) != MAGIC:
        raise GGUFError(f"{path} is not a GGUF file (no GGUF magic)")
    version = _unpack(f, "<I")
    if version < 2:
        raise GGUFError(f"GGUF version {version} is too old")
    tensors, count = _unpack(f, "<Q"), _unpack(f, "<Q")
    if count > _MAX_ITEMS:
        raise GGUFError(f"implausible metadata key count {count}")
    for _ in range(count):
        key = _string(f) or ""
        kind = _unpack(f, "<I")
        header.kinds[key] = kind
        if kind == _ARRAY:
            here = f.tell()
            header.lengths[key] = _array_head(f)
            f.seek(here)
        value = _value(f, kind, keep(key) or key == "general.architecture")
        if value is not None:
            header.values[key] = value
    return tensors


def read_metadata(path: Path, prefix: str = "general.") -> dict[str, Any]:
    """The metadata keys starting with `prefix` (others are skipped, not decoded)."""
    header = Header(path, 0)
    with regular_files.open_binary(path) as f:
        _read_kv(f, path, lambda key: key.startswith(prefix), header)
    return {k: v for k, v in header.values.items() if k.startswith(prefix)}


def read_header(path: Path) -> Header:
    """The whole header: metadata (big string arrays only counted) and every tensor's place and size."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    with regular_files.open_binary(path) as f:
        header = Header(path, _size(f))
        tensors = _read_kv(f, path, lambda key: not key.startswith("tokenizer."), header)
        if tensors > _MAX_ITEMS or tensors * 24 > header.size - f.tell():
            raise GGUFError(f"implausible tensor count {tensors}")
        alignment = _alignment(header)
        for _ in range(tensors):
            name = _string(f) or ""
            dims = _unpack(f, "<I")
            if not 1 <= dims <= _MAX_DIMS:
                raise GGUFError(f"tensor {name!r} has {dims} dimensions (1 to {_MAX_DIMS} are possible)")
            shape = [_unpack(f, "<Q") for _ in range(dims)]
            kind, offset = _unpack(f, "<I"), _unpack(f, "<Q")
            try:
                block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
            except (ValueError, KeyError):
                raise GGUFError(f"tensor {name!r} has unknown type {kind}") from None
            if any(not 1 <= d < 1 << 31 for d in shape):
                raise GGUFError(f"tensor {name!r} has the implausible shape {shape}")
            if shape[0] % block:
                raise GGUFError(f"tensor {name!r}: rows of {shape[0]} values do not fill whole blocks of {block}")
            header.tensors.append(TensorInfo(name, shape, kind, offset, math.prod(shape) // block * type_size))
        header.data_start = -(-f.tell() // alignment) * alignment
    return header


def _alignment(header: Header) -> int:
    kind = header.kinds.get("general.alignment")
    if kind is None:
        return 32
    value = header.values.get("general.alignment")
    if kind != 4:
        raise GGUFError(f"general.alignment is stored as {TYPE_NAMES.get(kind, kind)}; "
                        "the GGUF format says uint32")
    if value < 1 or value & (value - 1) or value > 1 << 20:
        raise GGUFError(f"general.alignment = {value} is not a power of two up to 1 MiB")
    return value


def check_layout(header: Header) -> None:
    """Raise GGUFError unless every tensor lies inside the file, aligned, apart from the others.

    OpenVINO GenAI maps the file and trusts the header: a truncated or garbled GGUF crashes the
    process (SIGBUS/SIGSEGV) instead of raising, so the header is checked here first.
    """
    alignment = _alignment(header)
    names: set[str] = set()
    end_of_last, last = 0, ""
    for t in sorted(header.tensors, key=lambda t: t.offset):
        if t.name in names:
            raise GGUFError(f"tensor {t.name!r} is listed twice")
        names.add(t.name)
        if t.offset % alignment:
            raise GGUFError(f"tensor {t.name!r} starts at offset {t.offset}, not a multiple of "
                            f"general.alignment {alignment}")
        if t.offset < end_of_last:
            raise GGUFError(f"tensor {t.name!r} overlaps tensor {last!r}")
        end = header.data_start + t.offset + t.nbytes
        if end > header.size:
            raise GGUFError(f"tensor {t.name!r} ends at byte {end} but the file has {header.size}: "
                            "the file is truncated or corrupt")
        end_of_last, last = t.offset + t.nbytes, t.name


def _int(header: Header, key: str, low: int, high: int, required: bool = True) -> int | None:
    kind = header.kinds.get(key)
    if kind is None:
        if required:
            raise GGUFError(f"{key} is missing")
        return None
    if kind not in _WIDE_INTS:
        raise GGUFError(f"{key} is stored as {TYPE_NAMES.get(kind, kind)}; it must be a 32- or 64-bit integer")
    value = header.values[key]
    if not low <= value <= high:
        raise GGUFError(f"{key} = {value} is implausible (it must be between {low} and {high})")
    return value


def _float(header: Header, key: str, low: float, high: float, required: bool = True) -> None:
    kind = header.kinds.get(key)
    if kind is None:
        if required:
            raise GGUFError(f"{key} is missing")
        return
    if kind != 6:  # read as float32 whatever it is
        raise GGUFError(f"{key} is stored as {TYPE_NAMES.get(kind, kind)}; it must be a float32")
    value = header.values[key]
    if not (math.isfinite(value) and low < value < high):
        raise GGUFError(f"{key} = {value} is implausible (it must be between {low} and {high})")


def check_model(header: Header) -> None:
    """Raise GGUFError naming the key unless the numbers that size tensors and divide are sane and agree.

    OpenVINO builds its graph from these numbers unchecked: a head count of 0 is a division by zero
    (SIGFPE, the process dies), an embedding length that is not a multiple of the head count gives
    heads of size 0.
    """
    kind = header.kinds.get("general.architecture")
    arch = header.values.get("general.architecture")
    if kind != _STRING or not isinstance(arch, str) or not re.fullmatch(r"[a-z0-9_\-]{1,64}", arch):
        raise GGUFError("general.architecture is missing or not a short lower-case name")
    if "general.file_type" in header.kinds:
        _int(header, "general.file_type", 0, 1 << 16)
    blocks = _int(header, f"{arch}.block_count", 1, 1024)
    heads = _int(header, f"{arch}.attention.head_count", 1, 1024)
    kv_heads = _int(header, f"{arch}.attention.head_count_kv", 1, heads, required=False) or heads
    emb = _int(header, f"{arch}.embedding_length", 1, 1 << 17)
    _int(header, f"{arch}.context_length", 1, 1 << 24, required=False)
    ff = _int(header, f"{arch}.feed_forward_length", 1, 1 << 20, required=False)
    assert blocks and heads and emb
    if heads % kv_heads:
        raise GGUFError(f"{arch}.attention.head_count {heads} is not a multiple of "
                        f"{arch}.attention.head_count_kv {kv_heads}")
    # With attention.key_length (Qwen3) a head's size is its own number; without it, the runtime
    # divides the embedding among the heads.
    key_len = _int(header, f"{arch}.attention.key_length", 1, 4096, required=False)
    value_len = _int(header, f"{arch}.attention.value_length", 1, 4096, required=False)
    if emb < heads or (key_len is None and emb % heads):
        raise GGUFError(f"{arch}.embedding_length {emb} is not a multiple of {arch}.attention.head_count {heads}")
    _float(header, f"{arch}.attention.layer_norm_rms_epsilon", 0.0, 1.0)
    _float(header, f"{arch}.rope.freq_base", 0.0, 1e12, required=False)
    vocab = _vocabulary(header)
    head_dim = key_len or emb // heads
    v_dim = value_len or head_dim
    tensors = {t.name: t.shape for t in header.tensors}

    def expect(name: str, shape: list[int], required: bool = True) -> None:
        found = tensors.get(name)
        if found is None:
            if required:
                raise GGUFError(f"tensor {name!r} is missing ({arch}.block_count is {blocks})"
                                if name.startswith("blk.") else f"tensor {name!r} is missing")
            return
        if found != shape:
            raise GGUFError(f"tensor {name!r} has shape {found} but the metadata ({arch}.embedding_length {emb}, "
                            f"head_count {heads}, head_count_kv {kv_heads}, vocabulary {vocab}) makes it {shape}")

    expect("token_embd.weight", [emb, vocab])
    expect("output.weight", [emb, vocab], required=False)
    expect("output_norm.weight", [emb])
    q, k, v, out = heads * head_dim, kv_heads * head_dim, kv_heads * v_dim, heads * v_dim
    for i in range(blocks):
        p = f"blk.{i}."
        for name, shape in (("attn_norm.weight", [emb]), ("attn_q.weight", [emb, q]), ("attn_k.weight", [emb, k]),
                            ("attn_v.weight", [emb, v]), ("attn_output.weight", [out, emb])):
            expect(p + name, shape)
        # Feed-forward layouts differ (mixtures of experts name theirs apart): checked when present.
        ffn = ff or (tensors.get(p + "ffn_up.weight") or [emb, 1])[-1]
        for name, shape in (("attn_q.bias", [q]), ("attn_k.bias", [k]), ("attn_v.bias", [v]),
                            ("attn_q_norm.weight", [head_dim]), ("attn_k_norm.weight", [head_dim]),
                            ("ffn_norm.weight", [emb]), ("ffn_gate.weight", [emb, ffn]),
                            ("ffn_up.weight", [emb, ffn]), ("ffn_down.weight", [ffn, emb])):
            expect(p + name, shape, required=False)
    for name in tensors:
        m = re.match(r"blk\.(\d+)\.", name)
        if m and int(m.group(1)) >= blocks:
            raise GGUFError(f"tensor {name!r} belongs to a block past {arch}.block_count {blocks}")


def _vocabulary(header: Header) -> int:
    item, count = header.lengths.get("tokenizer.ggml.tokens", (None, 0))
    if item != _STRING or not 1 <= count <= 1 << 22:
        raise GGUFError("tokenizer.ggml.tokens is missing or is not a list of 1 to 4194304 strings")
    for key in ("tokenizer.ggml.token_type", "tokenizer.ggml.scores"):
        if key in header.lengths and header.lengths[key][1] != count:
            raise GGUFError(f"{key} has {header.lengths[key][1]} entries for {count} tokens")
    for name in _TOKEN_IDS:
        key = f"tokenizer.ggml.{name}_token_id"
        if key in header.kinds:
            if header.kinds[key] not in _INTS:
                raise GGUFError(f"{key} is stored as {TYPE_NAMES.get(header.kinds[key])}; it must be an integer")
            if not 0 <= header.values[key] < count:
                raise GGUFError(f"{key} = {header.values[key]} is not a token id (there are {count} tokens)")
    return count


def validate(path: Path) -> Header:
    """The header of a GGUF model file, or GGUFError saying which key or tensor makes it unloadable."""
    header = read_header(path)
    check_layout(header)
    check_model(header)
    return header
