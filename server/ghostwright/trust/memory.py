"""Memory: whether a model's weights would fit before loading them, and giving freed memory back."""

from __future__ import annotations


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


def shortfall(weights_bytes: int) -> str | None:
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
