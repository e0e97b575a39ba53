"""Input the model should never see: documents over the size limit, text that is not valid Unicode."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8 (a lone surrogate counts as the 3 bytes of its replacement)."""
    n = len(text)
    if text.isascii():
        return n
    return len(text.encode("utf-8", "surrogatepass"))


def over_limit(text: str, limit: int) -> int | None:
    """The document's size in bytes when it is over `limit`, else None (cheap for most documents)."""
    if len(text) * 4 <= limit:
        return None
    size = len(text) if len(text) > limit else utf8_size(text)
    return size if size > limit else None


def scrub(text: str) -> str:
    """`text` with lone surrogates (which no tokenizer can encode) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def release_memory() -> None:
    """Give freed memory back to the system now: a closed large document leaves its chunks in
    malloc's heap, which glibc keeps for reuse unless asked (elsewhere: only the collection)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


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


# What loading a model costs beyond its weights file, per byte of weights, as measured with the
# embedded model on the CPU plugin (docs/robustness.md): address space grows by mappings, arenas
# and compiled kernels; resident memory by less, since weights are mapped, not copied. OpenVINO
# crashes (SIGSEGV) rather than raising when an allocation fails, so a load that cannot fit is
# refused before it starts.
ADDRESS_SPACE_PER_WEIGHT_BYTE = 2.2
RESIDENT_PER_WEIGHT_BYTE = 0.6


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _available_bytes() -> int | None:
    """Memory this process can still get: MemAvailable, capped by its cgroup's limit."""
    available = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        limit = open("/sys/fs/cgroup/memory.max").read().strip()
        current = int(open("/sys/fs/cgroup/memory.current").read())
        if limit != "max":
            room = int(limit) - current
            available = room if available is None else min(available, room)
    except (OSError, ValueError):
        pass
    return available


def memory_shortfall(weights_bytes: int) -> str | None:
    """Why loading weights of this size would run out of memory, or None when it should fit."""
    import resource

    mb = 1 << 20
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    size_kb = _status_kb("VmSize")
    if soft != resource.RLIM_INFINITY and size_kb is not None:
        need = size_kb * 1024 + ADDRESS_SPACE_PER_WEIGHT_BYTE * weights_bytes
        if need > soft:
            return (f"not enough memory to load the model: it needs about {need / mb:.0f} MB of address "
                    f"space and this process is limited to {soft / mb:.0f} MB (ulimit -v)")
    available = _available_bytes()
    need = RESIDENT_PER_WEIGHT_BYTE * weights_bytes
    if available is not None and need > available:
        return (f"not enough memory to load the model: it needs about {need / mb:.0f} MB and only "
                f"{available / mb:.0f} MB is available; close something or pick a smaller model")
    return None
