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
    # NPU only: prompts are compiled to a fixed shape, and a longer prompt raises, so it is cut to fit.
    max_prompt_len: int = _range(1024, 64, 8192)
    min_response_len: int = _range(128, 1, 1024)
    # NPU only: BEST_PERF or FAST_COMPILE (the latter trades token speed for a shorter first load).
    generate_hint: str = _choice("BEST_PERF", "BEST_PERF", "FAST_COMPILE")
    # CPU: compiled kernels kept per input shape; bounds memory (32 and 128 ran at the same speed;
    # 32 held 20-37 MB less: docs/robustness.md).
    kernel_cache_entries: int = _range(32, 0, 100000)
    # A model is first loaded in a child process (once per model hash) and the load in the server
    # then waits this long too: a load that hangs is a refusal, not a server that never answers.
    load_timeout_s: float = _range(600.0, 1.0, 7200.0)


@dataclass
class OllamaConfig:
    # "" means not configured. A model tag as `ollama list` shows it, e.g. "qwen2.5-coder:7b-base-q4_K_M".
    model: str = ""
    # "" means $OLLAMA_HOST, else http://127.0.0.1:11434.
    host: str = ""
    # Fixed for every request: a change of num_ctx, num_batch or num_gpu makes Ollama reload the model.
    num_ctx: int = _range(1536, 256, 32768)
    num_batch: int = _range(0, 0, 4096)  # 0 leaves Ollama's default
    num_gpu: int = _range(-1, -1, 999)  # -1 leaves the layer split to Ollama
    top_p: float = _range(0.9, 0.0, 1.0)
    keep_alive: str = "30m"
    # auto: `suffix` when /api/show lists the insert capability, else `raw` with our own FIM template.
    fim: str = _choice("auto", "auto", "suffix", "raw")
    vram_budget_gb: float = _range(7.4, 0.5, 1024.0)
    connect_timeout_s: float = _range(2.0, 0.1, 60.0)
    # How long a request may wait for its first token (a cold load of a 7B model takes seconds).
    first_token_timeout_s: float = _range(30.0, 1.0, 600.0)


@dataclass
class OpenAIConfig:
    # "" means not configured; e.g. http://127.0.0.1:8000/v3 (OpenVINO Model Server), http://host:8000/v1 (vLLM).
    base_url: str = ""
    model: str = ""
    # The NAME of an environment variable holding the API key: the key itself is never in a config file.
    api_key_env: str = ""
    top_p: float = _range(0.95, 0.0, 1.0)
    connect_timeout_s: float = _range(2.0, 0.1, 60.0)
    first_token_timeout_s: float = _range(30.0, 1.0, 600.0)


@dataclass
class RouterConfig:
    # auto: npu-first when an escalation backend (ollama, or openai) is configured, else npu-only.
    policy: str = _choice("auto", "auto", "npu-first", "npu-only", "gpu-only")
    escalate_multiline: bool = True
    escalate_invoked: bool = True
    escalate_empty: bool = True
    # Mean log-probability per token below which an NPU answer counts as weak (-20 turns this off).
    min_mean_logprob: float = _range(-1.5, -20.0, 0.0)
    # A failed backend is probed again after this, doubling up to retry_max_s.
    retry_min_s: float = _range(2.0, 0.1, 600.0)
    retry_max_s: float = _range(60.0, 0.1, 3600.0)


@dataclass
class CompletionConfig:
    max_tokens: int = _range(64, 1, 1024)
    temperature: float = _range(0.0, 0.0, 2.0)  # 0 is greedy
    debounce_ms: int = _range(200, 0, 2000)  # 0 turns debounce off
    # A bigger document gets no completion (and one message): its prompt would be cut anyway.
    max_document_bytes: int = _range(2 * 1024 * 1024, 1024, 1 << 30)
    # A longer cursor line gets no completion (and one message): generated or minified code,
    # where a completion helps nobody and the line would only be cut to the windows anyway.
    max_line_bytes: int = _range(20_000, 256, 1 << 30)
    # The prompt template; "" detects it from the model's metadata and name.
    template: str = _choice("", "", "qwen2.5-coder", "deepseek-coder", "deepseek-coder-v2", "starcoder",
                            "codellama", "codestral", "codegemma", "plain")
    # The adaptive debounce moves within this range: shorter after delimiters, longer mid-word.
    debounce_min_ms: int = _range(150, 0, 2000)
    debounce_max_ms: int = _range(300, 0, 2000)
    cache_entries: int = _range(256, 0, 100000)  # finished completions kept by exact prompt; 0 = none


@dataclass
class ContextConfig:
    max_prefix_tokens: int = _range(512, 16, 8192)
    max_suffix_tokens: int = _range(128, 0, 4096)


@dataclass
class LicenceConfig:
    """What to do with a model by the class of its licence: allow, warn (load, say so) or deny."""

    permissive: str = _choice("allow", "allow", "warn", "deny")
    restricted: str = _choice("warn", "allow", "warn", "deny")  # use-restricted: DeepSeek, Llama, Gemma, OpenRAIL…
    unknown: str = _choice("warn", "allow", "warn", "deny")


@dataclass
class Config:
    # The everyday backend; the router escalates from it to Ollama (or an OpenAI-style server).
    backend: str = _choice("openvino", "openvino", "ollama", "openai")
    # Backend addresses must be loopback unless this is true (network.check_address).
    allow_remote: bool = False
    openvino: OpenVinoConfig = field(default_factory=OpenVinoConfig)
    ollama: OllamaConfig = field(default_factory=OllamaConfig)
    openai: OpenAIConfig = field(default_factory=OpenAIConfig)
    router: RouterConfig = field(default_factory=RouterConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    context: ContextConfig = field(default_factory=ContextConfig)
    licence: LicenceConfig = field(default_factory=LicenceConfig)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _check(value: Any, default: Any, meta: Any) -> str | None:
    """Why `value` does not fit a field with this default and metadata, or None."""
    kind = type(default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return f"expected {kind.__name__}, got {type(value).__name__} {value!r}"
    if "choices" in meta and value not in meta["choices"]:
        return f"{value!r} is not one of {', '.join(map(repr, meta['choices']))}"
    if "min" in meta and not meta["min"] <= value <= meta["max"]:
        return f"{value!r} is outside {meta['min']}..{meta['max']}"
    return None


# Unknown keys named in one message, up to this many: a settings object of thousands of keys
# (a client sending another server's section) is one short message, not thousands.
UNKNOWN_SHOWN = 10

# Pairs whose first member must not exceed the second: (table, low, high).
ORDERED_PAIRS = (
    ("completion", "debounce_min_ms", "debounce_max_ms"),
    ("router", "retry_min_s", "retry_max_s"),
    ("ollama", "connect_timeout_s", "first_token_timeout_s"),
    ("openai", "connect_timeout_s", "first_token_timeout_s"),
)


def apply_settings(target: Any, settings: Any, source: str, prefix: str = "") -> list[str]:
    """Overlay a (camelCase or snake_case) mapping onto a config in place; return problems.

    A bad value leaves the field as it was, so one typo never takes the server down; all unknown
    keys are named in one problem, and a pair set the wrong way round (a minimum over its
    maximum) keeps both old values.
    """
    before = copy.deepcopy(target) if isinstance(target, Config) else None
    unknown: list[str] = []
    problems = _apply(target, settings, source, prefix, unknown)
    if unknown:
        problems.insert(0, _unknown_problem(target, source, prefix, unknown))
    if before is not None:
        problems += _check_pairs(target, before, source)
    return problems


def _apply(target: Any, settings: Any, source: str, prefix: str, unknown: list[str]) -> list[str]:
    problems: list[str] = []
    if not isinstance(settings, dict):
        return [f"{source}: {prefix or 'settings'} must be a table/object, got {type(settings).__name__}"]
    by_name = {f.name: f for f in fields(target)}
    for key, value in settings.items():
        name = snake(str(key))
        wire = f"{prefix}{camel(name)}"
        f = by_name.get(name)
        if f is None:
            unknown.append(wire)
            continue
        current = getattr(target, name)
        if is_dataclass(current):
            problems += _apply(current, value, source, f"{wire}.", unknown)
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


def _unknown_problem(target: Any, source: str, prefix: str, unknown: list[str]) -> str:
    if len(unknown) == 1:
        table = unknown[0].rpartition(".")[0]
        node = target
        for part in filter(None, table.removeprefix(prefix.rstrip(".")).split(".")):
            node = getattr(node, snake(part), None)
        known = ", ".join(camel(f.name) for f in fields(node)) if is_dataclass(node) else ""
        return f"{source}: unknown key {unknown[0]!r}" + (f" (known: {known})" if known else "")
    shown = ", ".join(repr(k[:80]) for k in unknown[:UNKNOWN_SHOWN])
    more = f" and {len(unknown) - UNKNOWN_SHOWN} more" if len(unknown) > UNKNOWN_SHOWN else ""
    return f"{source}: {len(unknown)} unknown keys: {shown}{more} (ignored; see docs/configuration.md)"


def _check_pairs(config: Config, before: Config, source: str) -> list[str]:
    """A minimum set above its maximum: both keep the values they had, one message names both."""
    problems = []
    for table, low, high in ORDERED_PAIRS:
        now, was = getattr(config, table), getattr(before, table)
        if getattr(now, low) <= getattr(now, high):
            continue
        lo_key, hi_key = f"{table}.{camel(low)}", f"{table}.{camel(high)}"
        problems.append(f"{source}: {lo_key} ({getattr(now, low)!r}) is over {hi_key} ({getattr(now, high)!r}); "
                        f"keeping {getattr(was, low)!r} and {getattr(was, high)!r}")
        setattr(now, low, getattr(was, low))
        setattr(now, high, getattr(was, high))
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
