"""Ollama over its HTTP API, the only way ghostwright reaches the GPU: FIM by `suffix` or `raw`."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable

import httpx
import ollama

from ghostwright.trust import network, provenance
from ghostwright.backends.base import Backend, BackendError, Generation, GenerationRequest, StreamGeneration
from ghostwright.config import OllamaConfig
from ghostwright.context.prompts import detect_template

log = logging.getLogger(__name__)

DEFAULT_HOST = "http://127.0.0.1:11434"
GB = 1e9


def resolve_host(configured: str) -> str:
    """ollama.host, else $OLLAMA_HOST, else the local default."""
    host = configured or os.environ.get("OLLAMA_HOST", "") or DEFAULT_HOST
    return host if "://" in host else f"http://{host}"


@dataclass(frozen=True)
class VramVerdict:
    ok: bool
    message: str
    size: int = 0
    size_vram: int = 0


def vram_verdict(model: str, size: int, size_vram: int, budget_gb: float, num_ctx: int) -> VramVerdict:
    """Whether the loaded model sits wholly in VRAM and inside the budget, and the fix when not."""
    budget = budget_gb * GB
    on_gpu = f"{size_vram / GB:.1f} of {size / GB:.1f} GB in VRAM"
    fix = (f"use a smaller quantization (Q4_K_M) or a smaller model, or lower ollama.numCtx "
           f"(now {num_ctx})")
    if size_vram < size:
        share = 100 * (size - size_vram) / size if size else 0
        return VramVerdict(False, f"{model} spilled {share:.0f}% to the CPU ({on_gpu}), so it runs slowly: {fix}",
                           size, size_vram)
    if size > budget:
        return VramVerdict(False, f"{model} takes {size / GB:.1f} GB, over the VRAM budget of {budget_gb:.1f} GB "
                           f"(ollama.vramBudgetGb) that leaves the GPU room for other work: {fix}", size, size_vram)
    return VramVerdict(True, f"{model}: {on_gpu}, within the {budget_gb:.1f} GB budget", size, size_vram)


def describe_error(exc: BaseException, host: str, model: str) -> str:
    """One sentence for the user: what went wrong with Ollama and what to do."""
    if isinstance(exc, (httpx.ConnectError, ConnectionError)):
        return f"Ollama is not reachable at {host}: start it (`ollama serve`) or set ollama.host"
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code == 404:
            return f"Ollama has no model {model!r}: run `ollama pull {model}`"
        where = f" (HTTP {exc.status_code})" if exc.status_code > 0 else " mid-answer"
        return f"Ollama reported an error{where}: {exc.error}"
    if isinstance(exc, httpx.TimeoutException):
        return f"Ollama at {host} did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return f"the connection to Ollama at {host} broke mid-answer ({type(exc).__name__}): is Ollama still running?"
    return f"Ollama request failed: {type(exc).__name__}: {exc}"


_ERRORS = (ollama.ResponseError, httpx.HTTPError, ConnectionError)


class OllamaBackend(Backend):
    name = "ollama"

    def __init__(self, config: OllamaConfig, allow_remote: bool = False) -> None:
        super().__init__()
        self.config = config
        self.allow_remote = allow_remote
        self.host = resolve_host(config.host)
        self.model_name = config.model
        self.device = "GPU (Ollama)"
        self.mode = "raw"
        self.capabilities: list[str] = []
        self.licence_text = ""
        self.vram: VramVerdict | None = None
        # No name resolution and no redirects: a redirect could lead anywhere, by any name.
        target, headers = network.connect_target(self.host, allow_remote)
        self.client = ollama.AsyncClient(host=target, headers=headers, follow_redirects=False, timeout=httpx.Timeout(
            config.first_token_timeout_s, connect=config.connect_timeout_s))
        # The options that decide how Ollama loads the model: built once, sent unchanged every time.
        fixed: dict[str, Any] = {"num_ctx": config.num_ctx, "top_p": config.top_p}
        if config.num_batch:
            fixed["num_batch"] = config.num_batch
        if config.num_gpu >= 0:
            fixed["num_gpu"] = config.num_gpu
        self.fixed_options = fixed

    def options(self, request: GenerationRequest) -> dict[str, Any]:
        stops = list(self.template.stop_tokens) if self.template else []
        options = {**self.fixed_options, "num_predict": request.max_tokens,
                   "temperature": request.temperature, "stop": stops}
        if request.seed is not None:
            options["seed"] = request.seed
        return options

    async def load(self, report: Callable[[str], None]) -> None:
        if not self.config.model:
            raise BackendError("ollama.model is not set: name a model from `ollama list`")
        network.require(self.host, self.allow_remote)
        try:
            show = await self.client.show(self.config.model)
        except _ERRORS as exc:
            raise BackendError(describe_error(exc, self.host, self.config.model)) from exc
        self.capabilities = list(show.capabilities or [])
        self.licence_text = (show.license or "").strip()
        # Before the model is loaded into VRAM: a denied licence stops here.
        self.vet_licence(f"{self.config.model} (Ollama)",
                         provenance.from_text(self.licence_text, f"Ollama /api/show of {self.config.model}"))
        family = show.details.family if show.details and show.details.family else ""
        self.template = detect_template(self.config.model, family, show.template or "")
        insert = "insert" in self.capabilities
        if self.config.fim == "suffix" or (self.config.fim == "auto" and insert):
            self.mode = "suffix"
        else:
            self.mode = "raw"
        report(f"loading {self.config.model} in Ollama ({self.mode} fill-in-the-middle)")
        try:
            # An empty prompt loads the model, with the same options every later request sends.
            await self.client.generate(model=self.config.model, prompt="", options=self.fixed_options,
                                       keep_alive=self.config.keep_alive)
        except _ERRORS as exc:
            raise BackendError(describe_error(exc, self.host, self.config.model)) from exc
        await self.check_vram()
        report(f"{self.config.model} ready in Ollama")

    async def check_vram(self) -> VramVerdict | None:
        """Read /api/ps; warn once when the model spilled to the CPU or exceeds the budget."""
        try:
            running = await self.client.ps()
        except _ERRORS as exc:
            log.warning("cannot read /api/ps: %s", exc)
            return None
        wanted = {self.config.model, f"{self.config.model}:latest"}
        for m in running.models:
            if m.model in wanted or m.name in wanted:
                self.vram = vram_verdict(self.config.model, int(m.size or 0), int(m.size_vram or 0),
                                         self.config.vram_budget_gb, self.config.num_ctx)
                if not self.vram.ok:
                    self.notify(self.vram.message)
                return self.vram
        return None

    async def probe(self) -> None:
        try:
            await self.client.ps()
        except _ERRORS as exc:
            raise BackendError(describe_error(exc, self.host, self.config.model)) from exc

    def start(self, request: GenerationRequest) -> Generation:
        gen = StreamGeneration(asyncio.get_running_loop())
        gen.task = asyncio.create_task(self._read(request, gen))
        self.counters.begin(gen, gen.task.add_done_callback)
        return gen

    def _arguments(self, request: GenerationRequest) -> dict[str, Any]:
        args: dict[str, Any] = {"model": self.config.model, "options": self.options(request),
                                "keep_alive": self.config.keep_alive}
        if request.prefix is None:
            return {**args, "prompt": request.prompt, "raw": True}
        files = request.files if request.files is not None and request.files.files else None
        # Ollama treats an empty suffix as none and would drop FIM: then our template keeps it. Its
        # own template has no place for other files: a family with a repository format goes raw,
        # others get them as comments ahead of the prefix.
        if self.mode == "suffix" and request.suffix and (files is None or self.template is None or not self.template.file_sep):
            header = files.header() if files is not None else ""
            return {**args, "prompt": header + request.prefix, "suffix": request.suffix}
        assert self.template is not None
        return {**args, "prompt": self.template.render(request.prefix, request.suffix or "", request.files),
                "raw": True}

    async def _read(self, request: GenerationRequest, gen: Generation) -> None:
        error: BaseException | None = None
        stream = None
        try:
            try:
                stream = await self.client.generate(**self._arguments(request), stream=True)
                part = await anext(stream)
            except ollama.ResponseError as exc:
                if self.mode != "suffix" or "does not support insert" not in exc.error:
                    raise
                # The capabilities said insert, the server disagrees: keep FIM with our own template.
                log.warning("%s: %s; switching to raw prompts", self.config.model, exc.error)
                self.mode = "raw"
                stream = await self.client.generate(**self._arguments(request), stream=True)
                part = await anext(stream)
            while True:
                if part.response:
                    if not gen.count_token():
                        break
                    gen.feed(part.response)
                if part.done:
                    break
                part = await anext(stream)
        except asyncio.CancelledError:
            pass  # leaving the stream's context closes the connection: Ollama stops generating
        except StopAsyncIteration:
            error = BackendError(f"Ollama ended the stream of {self.config.model} without `done`")
        except _ERRORS as exc:
            error = BackendError(describe_error(exc, self.host, self.config.model))
        finally:
            if stream is not None:
                try:
                    await stream.aclose()
                except (Exception, asyncio.CancelledError):  # closing a broken stream may fail again
                    pass
            gen.finish(error)

    async def close(self) -> None:
        await self.client.close()

    def describe(self) -> dict:
        return {**super().describe(), "host": self.host, "fim": self.mode,
                "capabilities": self.capabilities, "options": self.fixed_options,
                "vram": self.vram.message if self.vram else None,
                "vramOk": self.vram.ok if self.vram else None}
