"""Every setting in one typed, fully defaulted schema, read from TOML and from the editor."""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from ghostwright import paths


def _setting(default: Any, doc: str, **meta: Any) -> Any:
    """A field whose description (and allowed values) are data: docs/configuration.md is made from them."""
    return field(default=default, metadata={"doc": doc, **meta})


def _choice(default: str, choices: tuple[str, ...], doc: str) -> Any:
    return _setting(default, doc, choices=choices)


def _range(default: float, lo: float, hi: float, doc: str) -> Any:
    return _setting(default, doc, min=lo, max=hi)


@dataclass
class OpenVinoConfig:
    """In process, NPU first."""

    model: str = _setting(
        "", "a `.gguf` file or an OpenVINO IR folder; empty means the embedded model", shape="path")
    device: str = _choice(
        "AUTO", ("AUTO", "NPU", "CPU", "GPU"),
        "`AUTO` is the NPU when OpenVINO sees one, else the CPU; the GPU only when named (it belongs to Ollama)")
    max_prompt_len: int = _range(
        1024, 64, 8192,
        "NPU: the longest prompt in tokens (prompts are compiled to a fixed shape and a longer one raises, "
        "so prompts are cut to fit)")
    min_response_len: int = _range(128, 1, 1024, "NPU: tokens reserved for the answer")
    generate_hint: str = _choice(
        "BEST_PERF", ("BEST_PERF", "FAST_COMPILE"),
        "NPU compile hint: `FAST_COMPILE` trades token speed for a shorter first load")
    kernel_cache_entries: int = _range(
        32, 0, 100000,
        "CPU: compiled kernels kept per input shape (`CPU_RUNTIME_CACHE_CAPACITY`); bounds the server's memory. "
        "oneDNN's primitive cache is bounded apart, by the environment variable "
        "`ONEDNN_PRIMITIVE_CACHE_CAPACITY` (default 32, read once when OpenVINO starts) "
        "([robustness.md](robustness.md))")
    load_timeout_s: float = _range(
        600.0, 1.0, 7200.0,
        "the longest a model load may take: the trial load in a child process (once per model hash, "
        "[trust.md](trust.md#the-load-check-what-a-ggufs-numbers-claim-then-a-trial-load-in-a-child-process)) "
        "and the server's own load; past it the load is refused with this key named, so a load that hangs "
        "is a refusal, not a server that never answers")


@dataclass
class OllamaConfig:
    """The only way to the GPU ([backends.md](backends.md))."""

    model: str = _setting(
        "", "an Ollama model tag as `ollama list` shows it, e.g. `qwen2.5-coder:7b-base-q4_K_M`; "
        "empty means not configured; set it to turn the router on", shape="model name")
    host: str = _setting("", "empty means `$OLLAMA_HOST`, else `http://127.0.0.1:11434`", shape="URL")
    num_ctx: int = _range(
        1536, 256, 32768, "the context window, fixed for every request (a change reloads the model)")
    num_batch: int = _range(
        0, 0, 4096, "0 leaves Ollama's default; fixed for every request (a change reloads the model)")
    num_gpu: int = _range(
        -1, -1, 999,
        "layers on the GPU, -1 leaves the split to Ollama; fixed for every request (a change reloads the model)")
    top_p: float = _range(0.9, 0.0, 1.0, "nucleus sampling when temperature > 0")
    keep_alive: str = _setting("30m", "how long Ollama keeps the model loaded", shape="duration")
    fim: str = _choice(
        "auto", ("auto", "suffix", "raw"),
        "fill-in-the-middle through Ollama's `suffix` or a raw prompt with our template; "
        "`auto` is `suffix` when `/api/show` lists the `insert` capability, else `raw`")
    vram_budget_gb: float = _range(
        7.4, 0.5, 1024.0, "warn when the loaded model is bigger, or spilled to the CPU")
    connect_timeout_s: float = _range(2.0, 0.1, 60.0, "how long connecting to Ollama may take")
    first_token_timeout_s: float = _range(
        30.0, 1.0, 600.0, "how long a request may wait for its first token (a cold load of a 7B model takes seconds)")


@dataclass
class OpenAIConfig:
    """A shared `/v1/completions` server."""

    base_url: str = _setting(
        "", "empty means not configured; e.g. `http://127.0.0.1:8000/v3` (OpenVINO Model Server), "
        "`http://host:8000/v1` (vLLM, llama.cpp)", shape="URL")
    model: str = _setting("", "the model name the server knows", shape="model name")
    api_key_env: str = _setting(
        "", "the NAME of the environment variable that holds the API key: the key itself is never in a config file",
        shape="variable name")
    top_p: float = _range(0.95, 0.0, 1.0, "nucleus sampling when temperature > 0")
    connect_timeout_s: float = _range(2.0, 0.1, 60.0, "how long connecting to the server may take")
    first_token_timeout_s: float = _range(30.0, 1.0, 600.0, "how long a request may wait for its first token")


@dataclass
class RouterConfig:
    """Which backend answers."""

    policy: str = _choice(
        "auto", ("auto", "npu-first", "npu-only", "gpu-only"),
        "`auto` is `npu-first` when an escalation backend (`ollama`, or `openai`) is configured, else `npu-only`")
    escalate_multiline: bool = _setting(True, "blocks go to the GPU")
    escalate_invoked: bool = _setting(True, "explicit requests go to the GPU")
    escalate_empty: bool = _setting(True, "an empty NPU answer is asked again on the GPU")
    min_mean_logprob: float = _range(
        -1.5, -20.0, 0.0, "below this mean log-probability per token an NPU answer is weak (-20 turns this off)")
    retry_min_s: float = _range(
        2.0, 0.1, 600.0, "a failed backend is probed again after this, doubling up to `router.retryMaxS`")
    retry_max_s: float = _range(60.0, 0.1, 3600.0, "the longest wait between probes of a failed backend")


@dataclass
class CompletionConfig:
    """What is asked of the model, and when."""

    max_tokens: int = _range(64, 1, 1024, "new tokens at most")
    temperature: float = _range(0.0, 0.0, 2.0, "0 is greedy decoding")
    debounce_ms: int = _range(200, 0, 2000, "0 turns debounce off; Invoked requests never wait")
    max_document_bytes: int = _range(
        2 * 1024 * 1024, 1024, 1 << 30,
        "a bigger document gets no completion, and one message (its prompt would be cut anyway); "
        "it is kept as text only (never parsed or tokenized)")
    max_line_bytes: int = _range(
        20_000, 256, 1 << 30,
        "a longer cursor line (minified or generated code, where a completion helps nobody) gets no completion, "
        "one message per document, and a reason under `refused` in `ghostwright/status`")
    template: str = _choice(
        "", ("", "qwen2.5-coder", "deepseek-coder", "deepseek-coder-v2", "starcoder", "codellama", "codestral",
             "codegemma", "plain"),
        "the prompt template; empty detects it from the model's metadata and name")
    debounce_min_ms: int = _range(
        150, 0, 2000, "the adaptive debounce moves between this and `completion.debounceMaxMs`: "
        "shorter after delimiters, longer mid-word")
    debounce_max_ms: int = _range(300, 0, 2000, "the longest adaptive debounce")
    cache_entries: int = _range(256, 0, 100000, "finished completions kept by exact prompt; 0 keeps none")


def _globs(default: tuple[str, ...], doc: str) -> Any:
    """A list of glob patterns (a list is mutable: each config gets its own copy)."""
    return field(default_factory=lambda: list(default), metadata={"doc": doc, "shape": "globs"})


@dataclass
class ContextConfig:
    """How much of the document and of the workspace the prompt sees ([context.md](context.md))."""

    max_prefix_tokens: int = _range(1024, 16, 8192, "the window left of the cursor, in model tokens")
    max_suffix_tokens: int = _range(128, 0, 4096, "the window right of the cursor, in model tokens")
    definitions_tokens: int = _range(
        384, 0, 4096,
        "definitions of the names used near the cursor, found through the file's imports in the workspace "
        "(open documents first): signatures, class heads and fields, short docstrings; 0 turns this source off")
    open_documents_tokens: int = _range(
        256, 0, 4096,
        "the snippets of other open documents most like the lines above the cursor, most recently used first; "
        "0 turns this source off")
    recent_edits_tokens: int = _range(
        128, 0, 4096, "the lines last edited in other documents; 0 turns this source off")
    usage_examples_tokens: int = _range(
        96, 0, 4096,
        "inside the arguments of a call to a name the file imports from the workspace, other files' calls of "
        "it as they are written (the most like the lines above the cursor first); 0 turns this source off")
    other_files_tokens: int = _range(
        256, 0, 8192,
        "the most the four sources above show together (usage examples first, then definitions, recent edits, "
        "similar snippets); what they show is taken from the far end of the prefix window, so the prompt is no "
        "longer than with this file alone; 0 turns all four off")
    known_names: bool = _setting(
        True,
        "right after `module.` of a workspace module the file imports (Python, JavaScript/TypeScript, Go), the "
        "answer starts with a name that module's text holds: the model cannot make one up (OpenVINO on CPU or "
        "GPU; other backends and the NPU answer unconstrained)")
    exclude: list[str] = _globs(
        ("node_modules", ".venv", "venv", "__pycache__", "*.min.js"),
        "workspace paths never read, as `.gitignore` lines relative to the workspace folder (`build/`: every "
        "folder so named, `/docs`: the top one only, `*.min.js`); secret-looking files and what `.gitignore` "
        "excludes are never read whatever this says")
    max_file_bytes: int = _range(
        256 * 1024, 1024, 1 << 30, "a workspace file bigger than this is not read for context")
    max_files: int = _range(
        5000, 0, 1_000_000, "the workspace index stops after this many source files; 0 reads no workspace file")


@dataclass
class LicenceConfig:
    """What to do with a model by its licence's class: allow, warn (load, say so) or deny ([trust.md](trust.md))."""

    permissive: str = _choice(
        "allow", ("allow", "warn", "deny"), "licences that put no limit on use: MIT, Apache-2.0, BSD…")
    restricted: str = _choice(
        "warn", ("allow", "warn", "deny"),
        "licences that restrict use, users or fields, or bind to a jurisdiction: DeepSeek, Llama, Gemma, "
        "OpenRAIL, non-commercial…")
    unknown: str = _choice("warn", ("allow", "warn", "deny"), "no licence named, or one not recognised")


@dataclass
class FeedbackConfig:
    """What the editor says of each suggestion, counted on this machine only ([feedback.md](feedback.md))."""

    enabled: bool = _setting(
        True, "count shown, accepted, partially accepted, dismissed and typed-through suggestions per language, "
        "backend/model and kind of place, in the user's data directory; counts only, never code or file names")
    retention_first_s: float = _range(
        30.0, 0.05, 3600.0, "seconds after an accept at which the server first measures how much of the accepted "
        "text is still in the document (\"accepted and retained\")")
    retention_second_s: float = _range(
        120.0, 0.05, 7200.0, "seconds after an accept of the second, last measure of the text retained")
    keep_days: int = _range(90, 1, 3650, "days of counts kept in the file; older days are dropped")
    adaptive: bool = _setting(
        False, "opt in: the router sends a language's single-line requests to its second backend when the first "
        "backend's single-line answers there are rarely accepted (`ghostwright stats` shows which)")
    adaptive_min_shown: int = _range(
        30, 1, 100000, "`feedback.adaptive`: suggestions of the first backend shown in the language before it judges")
    adaptive_min_acceptance: float = _range(
        0.1, 0.0, 1.0, "`feedback.adaptive`: below this share accepted (whole or in part), the language escalates")


@dataclass
class Config:
    """General."""

    backend: str = _choice(
        "openvino", ("openvino", "ollama", "openai"),
        "the everyday backend; the router escalates from it to Ollama (or an OpenAI-style server)")
    allow_remote: bool = _setting(
        False, "backend addresses must be loopback unless this is true: a loopback IP literal or exactly "
        "`localhost` (connected at 127.0.0.1); no name is resolved ([trust.md](trust.md))")
    openvino: OpenVinoConfig = field(default_factory=OpenVinoConfig)
    ollama: OllamaConfig = field(default_factory=OllamaConfig)
    openai: OpenAIConfig = field(default_factory=OpenAIConfig)
    router: RouterConfig = field(default_factory=RouterConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    context: ContextConfig = field(default_factory=ContextConfig)
    licence: LicenceConfig = field(default_factory=LicenceConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)


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
    if kind is list and not all(isinstance(item, str) for item in value):
        return f"expected a list of strings, got {value!r}"
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
    ("feedback", "retention_first_s", "retention_second_s"),
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
