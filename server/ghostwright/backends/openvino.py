"""OpenVINO GenAI in process: one pipeline, one generation at a time, stopped by the streamer."""

from __future__ import annotations

import asyncio
import dataclasses
import concurrent.futures
import logging
from pathlib import Path
from typing import Any, Callable

from ghostwright.text import guards
from ghostwright.trust import memory
from ghostwright.trust import load_check, safe_formats
from ghostwright.models import store as model_store
from ghostwright import paths
from ghostwright.backends import constrain
from ghostwright.backends.base import NO_HOOKS, Backend, BackendError, Generation, GenerationRequest, Hooks
from ghostwright.config import OpenVinoConfig
from ghostwright.context.prompts import Template, detect_template

log = logging.getLogger(__name__)


def available_devices() -> list[str]:
    import openvino

    return list(openvino.Core().available_devices)


def resolve_device(requested: str, devices: list[str]) -> tuple[str, str]:
    """The device to run on and why. AUTO never picks the GPU: the GPU belongs to Ollama."""
    if requested == "AUTO":
        if any(d.startswith("NPU") for d in devices):
            return "NPU", "AUTO: an NPU is present"
        return "CPU", "AUTO: no NPU found, using the CPU"
    if not any(d.startswith(requested) for d in devices):
        raise BackendError(
            f"openvino.device is {requested!r} but OpenVINO sees only {', '.join(devices) or 'no devices'}"
        )
    return requested, f"{requested}: named in the configuration"


def device_for(path: Path, device: str, why: str) -> tuple[str, str]:
    """The device a model loads on: a .gguf file goes to the CPU even where an NPU was chosen."""
    if device == "NPU" and path.suffix == ".gguf":
        return "CPU", "a .gguf file loads on the CPU only; export an IR for the NPU"
    return device, why


def resolve_model(configured: str) -> Path:
    if not configured:
        path = model_store.default_model_path()
        if not model_store.is_installed():
            raise BackendError(
                f"the embedded model is not installed in {path}: run "
                f"`ghostwright models pull {model_store.EMBEDDED.name}` (or `make install`)"
            )
        return path
    path = Path(configured).expanduser()
    if path.is_dir():
        if not (path / "openvino_model.xml").is_file():
            _explain_unloadable(path)
            raise BackendError(f"openvino.model {path} is a folder without openvino_model.xml")
        return path
    if path.is_file() and path.suffix == ".gguf":
        return path
    if path.is_file():
        _explain_unloadable(path)
    if not path.exists():
        raise BackendError(f"openvino.model {path} does not exist")
    raise BackendError(f"openvino.model {path} is neither a .gguf file nor an OpenVINO IR folder")


def _weights_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.glob("openvino_*.bin"))


def _explain_unloadable(path: Path) -> None:
    """Raise the clearest BackendError for a model OpenVINO GenAI cannot load as it is."""
    try:
        notes = safe_formats.check_model(path)
    except safe_formats.UnsafeFormatError as exc:
        raise BackendError(str(exc)) from None
    if path.suffix == ".safetensors" or (path.is_dir() and any(path.glob("*.safetensors"))):
        raise BackendError(
            f"openvino.model {path} is safetensors: OpenVINO GenAI needs an IR made from it, once: "
            "`optimum-cli export openvino --model <folder> --weight-format int4 --sym <out>`")
    if notes:
        raise BackendError(f"openvino.model {path}: " + "; ".join(notes))


def model_identity(path: Path) -> tuple[str, Template]:
    """A display name and the prompt template, from our model info, GGUF metadata or the name."""
    folder = path if path.is_dir() else path.parent
    info = model_store.read_model_info(folder)
    names = [info.get("family", ""), info.get("name", "")]
    gguf_file = path if path.suffix == ".gguf" else None
    if gguf_file is not None:
        names += gguf_names(gguf_file)
    names.append(path.name)
    name = info.get("name") or next((n for n in names if n), path.name)
    return name, detect_template(*names)


def gguf_names(path: Path) -> list[str]:
    from ghostwright.trust import gguf_meta

    try:
        meta = gguf_meta.read_metadata(path)
    except (gguf_meta.GGUFError, OSError):  # metadata is a hint: an unreadable header falls back to the file name
        return []
    return [str(meta[k]) for k in ("general.name", "general.basename") if k in meta]


def pipeline_properties(config: OpenVinoConfig, device: str) -> dict[str, Any]:
    """What the device needs at compile time: a bounded kernel cache on the CPU, NPU settings."""
    if device == "CPU":
        # Every prompt length compiles kernels for a new shape; unbounded, the cache grows the server
        # for as long as it runs (docs/robustness.md has the soak's figures).
        return {"CPU_RUNTIME_CACHE_CAPACITY": config.kernel_cache_entries}
    if device != "NPU":
        return {}
    return {
        "MAX_PROMPT_LEN": config.max_prompt_len,
        "MIN_RESPONSE_LEN": config.min_response_len,
        # Compiling for the NPU takes long: the cache makes every start after the first quick.
        "CACHE_DIR": str(paths.cache_dir() / "npu-compiled"),
        "GENERATE_HINT": config.generate_hint,
    }


def fit_prompt(request: GenerationRequest, template: Template, count: Callable[[str], int],
               max_len: int) -> str:
    """The prompt cut to `max_len` tokens (longer raises on the NPU): drop prefix lines from the
    top, then suffix lines from the bottom, so the lines next to the cursor stay."""
    prompt = request.prompt
    if count(prompt) <= max_len:
        return prompt
    if request.prefix is None:
        # No halves to cut: keep the end, which is where generation continues.
        return prompt[-max_len * 2:]  # ~2 characters per token on the safe side
    prefix, suffix = request.prefix, request.suffix or ""
    files = request.files
    while files is not None and files.files:
        # Other files go first, the farthest from the current file first: the cursor's own lines matter most.
        files = dataclasses.replace(files, files=files.files[1:])
        prompt = template.render(prefix, suffix, files)
        if count(prompt) <= max_len:
            return prompt
    for _ in range(64):
        prompt = template.render(prefix, suffix)
        excess = count(prompt) - max_len
        if excess <= 0:
            return prompt
        # At most half of a part per step, so a poor guess of characters per token never empties it.
        chars = max(16, excess * 2)
        if len(suffix) * 3 > len(prefix):  # the suffix gets at most a quarter of the room
            keep = len(suffix) - min(chars, len(suffix) // 2 + 1)
            cut = suffix.rfind("\n", 0, keep)
            suffix = suffix[:cut + 1] if cut > 0 else suffix[:keep]
        else:
            drop = min(chars, len(prefix) // 2 + 1)
            cut = prefix.find("\n", drop)
            prefix = prefix[cut + 1:] if cut != -1 else prefix[drop:]
    return template.render(prefix[-max_len:], "")


class OpenVinoBackend(Backend):
    name = "openvino"

    def __init__(self, config: OpenVinoConfig, hooks: Hooks = NO_HOOKS) -> None:
        super().__init__(hooks)
        self.config = config
        self.device_reason = ""
        self.model_path: Path | None = None
        self._pipeline: Any = None
        self._tokenizer: Any = None
        self._stop_ids: set[int] = set()
        self._constrain = True  # false once this OpenVINO build refused a grammar
        # One worker: generate() must never run twice at once on one pipeline.
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ov-generate")

    def local_model(self) -> Path:
        """The file or folder this backend will load (provenance vets it first)."""
        return resolve_model(self.config.model)

    async def load(self, report: Callable[[str], None]) -> None:
        path = resolve_model(self.config.model)
        try:  # right before OpenVINO: it crashes, rather than raises, on a damaged GGUF
            await asyncio.to_thread(safe_formats.check_model, path)
        except safe_formats.UnsafeFormatError as exc:
            raise BackendError(str(exc)) from None
        shortfall = memory.shortfall(_weights_bytes(path))
        if shortfall:
            raise BackendError(f"{shortfall} ({path})")
        devices = await asyncio.to_thread(available_devices)
        device, why = device_for(path, *resolve_device(self.config.device, devices))
        self.model_name, self.template = model_identity(path)
        self.model_path, self.device, self.device_reason = path, device, why
        props = pipeline_properties(self.config, device)
        timeout = self.config.load_timeout_s
        verdict = await load_check.check(path, device, props, timeout)
        if not verdict.ok:
            raise BackendError(verdict.reason)
        report(f"loading {self.model_name} on {device}")
        loop = asyncio.get_running_loop()
        try:
            self._pipeline = await asyncio.wait_for(
                loop.run_in_executor(self._worker, self._load_pipeline, path, device, props), timeout)
        except asyncio.TimeoutError:
            raise BackendError(f"loading {path} did not finish within {timeout:g} s (openvino.loadTimeoutS)") from None
        except Exception as exc:  # OpenVINO raises RuntimeError for most load failures
            raise BackendError(f"OpenVINO could not load {path} on {device}: {exc}") from exc
        self._tokenizer = self._pipeline.get_tokenizer()
        self._stop_ids = self._special_ids(self.template.stop_tokens)
        report(f"{self.model_name} ready on {device}")

    @staticmethod
    def _load_pipeline(path: Path, device: str, props: dict[str, Any] | None = None) -> Any:
        import openvino_genai

        return openvino_genai.LLMPipeline(str(path), device, **(props or {}))

    def _count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).input_ids.data[0])

    def _special_ids(self, tokens: tuple[str, ...]) -> set[int]:
        ids: set[int] = set()
        eos = self._pipeline.get_generation_config().eos_token_id
        if eos is not None and eos >= 0:
            ids.add(int(eos))
        for tok in tokens:
            encoded = self._tokenizer.encode(tok, add_special_tokens=False).input_ids.data[0]
            if len(encoded) == 1:
                ids.add(int(encoded[0]))
        return ids

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is None or not text:
            return super().count_tokens(text)
        encoded = self._tokenizer.encode(guards.scrub(text), add_special_tokens=False)
        return int(encoded.input_ids.shape[1])

    def count_tokens_each(self, texts: list[str]) -> list[int]:
        if self._tokenizer is None or not all(texts):
            return super().count_tokens_each(texts)
        # One call for the batch: rows are padded, the attention mask says which tokens are real.
        encoded = self._tokenizer.encode([guards.scrub(t) for t in texts], add_special_tokens=False)
        return [int(n) for n in encoded.attention_mask.data.sum(axis=1)]

    async def close(self) -> None:
        # The model goes once a generation still on the worker returns; the thread goes then too.
        self._pipeline = self._tokenizer = None
        self._worker.shutdown(wait=False)

    def start(self, request: GenerationRequest) -> Generation:
        if self._pipeline is None:
            raise BackendError("the OpenVINO model is not loaded")
        gen = Generation(asyncio.get_running_loop())
        future = self._worker.submit(self._generate, request, gen)
        self.counters.begin(gen, future.add_done_callback)
        return gen

    def _generate(self, request: GenerationRequest, gen: Generation) -> None:
        import openvino_genai

        if gen.cancelled:  # superseded while waiting for the device
            gen.finish()
            return
        config = openvino_genai.GenerationConfig()
        config.max_new_tokens = request.max_tokens
        config.apply_chat_template = False
        config.stop_token_ids = self._stop_ids
        if request.temperature > 0:
            config.do_sample = True
            config.temperature = request.temperature
            config.top_p = 0.95
            if request.seed is not None:
                config.rng_seed = request.seed
        else:
            config.do_sample = False
        prompt = request.prompt
        if self.device == "NPU":
            assert self.template is not None
            prompt = fit_prompt(request, self.template, self._count_tokens, self.config.max_prompt_len)
        else:
            config.logprobs = 1  # the router reads the mean log-probability to spot weak answers
        # The NPU's static pipeline is not known to take a grammar: it answers unconstrained.
        constrained = bool(request.starts_with) and self.device != "NPU" and self._constrain
        if constrained:
            structured = openvino_genai.StructuredOutputConfig()
            structured.regex = constrain.starts_with_name(request.starts_with)
            config.structured_output_config = structured
        try:
            result = self._pipeline.generate([prompt], config,
                                             _Streamer(self._tokenizer, gen, self._stop_ids, request.max_tokens))
        except Exception as exc:
            if constrained and not gen.stats.tokens:
                # A build without the grammar engine: say so once, answer unconstrained from now on.
                log.warning("OpenVINO could not constrain the answer to known names (%s); "
                            "answering unconstrained from now on", exc)
                self._constrain = False
                self._generate(request, gen)
                return
            gen.finish(BackendError(f"OpenVINO generation failed: {exc}"))
            return
        gen.stats.mean_logprob = mean_logprob(result) if self.device != "NPU" else None
        gen.finish()


def mean_logprob(result: Any) -> float | None:
    """The mean log-probability per generated token of a DecodedResults, or None."""
    try:
        n = result.perf_metrics.get_num_generated_tokens()
        return float(result.scores[0]) / n if n else None
    except (AttributeError, IndexError, TypeError):
        return None


def _streamer_base() -> type:
    import openvino_genai

    return openvino_genai.StreamerBase


class _Streamer(_streamer_base()):  # type: ignore[misc]
    """Counts every token (the cancel test reads this) and forwards whole characters."""

    def __init__(self, tokenizer: Any, gen: Generation, stop_ids: set[int], max_tokens: int) -> None:
        super().__init__()
        self._tokenizer = tokenizer
        self._gen = gen
        self._stop_ids = stop_ids
        self._max_tokens = max_tokens
        self._ids: list[int] = []
        self._sent = ""

    def write(self, token: Any) -> Any:
        import openvino_genai

        ids = [int(t) for t in token] if isinstance(token, (list, tuple)) else [int(token)]
        if not self._gen.count_token(len(ids)):
            return openvino_genai.StreamingStatus.STOP
        ids = [t for t in ids if t not in self._stop_ids]
        if ids:
            self._ids.extend(ids)
            text = self._tokenizer.decode(self._ids, skip_special_tokens=False)
            # Hold back a partial UTF-8 sequence until its last byte arrives.
            if not text.endswith("\ufffd") and len(text) > len(self._sent):
                wanted = self._gen.feed(text[len(self._sent):])
                self._sent = text
                if not wanted:
                    return openvino_genai.StreamingStatus.STOP
        if self._gen.stats.tokens >= self._max_tokens:
            self._gen.end_of_text()  # the limit: no more text will come
        return openvino_genai.StreamingStatus.RUNNING

    def end(self) -> None:
        pass
