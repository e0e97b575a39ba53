"""Every setting in one typed, fully defaulted schema, read from TOML and from the editor."""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from ghostwright import paths


def _choice(default: str, *choices: str) -> Any:
    return field(default=default, metadata={"choices": choices})


def _range(default: float, lo: float, hi: float) -> Any:
    return field(default=default, metadata={"min": lo, "max": hi})


@dataclass
class OpenVinoConfig:
    # "" means the embedded model; otherwise a .gguf file or an OpenVINO IR folder.
    model: str = ""
    # AUTO means the NPU when present, else the CPU. The GPU is Ollama's: only when named.
    device: str = _choice("AUTO", "AUTO", "NPU", "CPU", "GPU")


@dataclass
class CompletionConfig:
    max_tokens: int = _range(64, 1, 1024)
    temperature: float = _range(0.0, 0.0, 2.0)  # 0 is greedy
    debounce_ms: int = _range(200, 0, 2000)  # 0 turns debounce off
    # The adaptive debounce moves within this range: shorter after delimiters, longer mid-word.
    debounce_min_ms: int = _range(150, 0, 2000)
    debounce_max_ms: int = _range(300, 0, 2000)
    cache_entries: int = _range(256, 0, 100000)  # finished completions kept by exact prompt; 0 = none


@dataclass
class ContextConfig:
    max_prefix_tokens: int = _range(512, 16, 8192)
    max_suffix_tokens: int = _range(128, 0, 4096)


@dataclass
class Config:
    backend: str = _choice("openvino", "openvino")
    openvino: OpenVinoConfig = field(default_factory=OpenVinoConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    context: ContextConfig = field(default_factory=ContextConfig)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _check(value: Any, default: Any, meta: Any) -> str | None:
    """Why `value` does not fit a field with this default and metadata, or None."""
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return f"expected {kind.__name__}, got {type(value).__name__} {value!r}"
    if "choices" in meta and value not in meta["choices"]:
        return f"{value!r} is not one of {', '.join(map(repr, meta['choices']))}"
    if "min" in meta and not meta["min"] <= value <= meta["max"]:
        return f"{value!r} is outside {meta['min']}..{meta['max']}"
    return None


def apply_settings(target: Any, settings: Any, source: str, prefix: str = "") -> list[str]:
    """Overlay a (camelCase or snake_case) mapping onto a config in place; return problems.

    A bad value leaves the field as it was, so one typo never takes the server down.
    """
    problems: list[str] = []
    if not isinstance(settings, dict):
        return [f"{source}: {prefix or 'settings'} must be a table/object, got {type(settings).__name__}"]
    by_name = {f.name: f for f in fields(target)}
    for key, value in settings.items():
        name = snake(str(key))
        wire = f"{prefix}{camel(name)}"
        f = by_name.get(name)
        if f is None:
            known = ", ".join(camel(n) for n in by_name)
            problems.append(f"{source}: unknown key {wire!r} (known: {known})")
            continue
        current = getattr(target, name)
        if is_dataclass(current):
            problems += apply_settings(current, value, source, f"{wire}.")
            continue
        kind = type(current)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        why = _check(value, current, f.metadata)
        if why:
            problems.append(f"{source}: {wire}: {why}; keeping {current!r}")
            continue
        setattr(target, name, value)
    return problems


def load_toml(path: Path | None = None) -> tuple[dict, list[str]]:
    path = path or paths.config_file()
    if not path.is_file():
        return {}, []
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path}: cannot read ({exc}); using defaults"]


def load(
    init_options: Any = None, path: Path | None = None
) -> tuple[Config, dict, list[str]]:
    """Defaults, then the TOML file, then initializationOptions; returns (config, toml, problems)."""
    config = Config()
    toml, problems = load_toml(path)
    problems += apply_settings(config, toml, str(path or paths.config_file()))
    if init_options:
        problems += apply_settings(config, init_options, "initializationOptions")
    return config, toml, problems


def with_settings(base: Config, settings: Any, source: str) -> tuple[Config, list[str]]:
    """A copy of `base` with `settings` laid over it (for workspace/didChangeConfiguration)."""
    config = copy.deepcopy(base)
    return config, apply_settings(config, settings, source)


def to_wire(config: Any) -> dict:
    """The config as the editor would write it (camelCase)."""
    return {
        camel(f.name): to_wire(getattr(config, f.name)) if is_dataclass(getattr(config, f.name))
        else getattr(config, f.name)
        for f in fields(config)
    }
