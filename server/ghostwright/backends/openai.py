"""An OpenAI-style completions server (OpenVINO Model Server, vLLM, llama.cpp): /v1/completions over SSE."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Callable

import httpx

from ghostwright.trust import network
from ghostwright.backends.base import Backend, BackendError, Generation, GenerationRequest, StreamGeneration
from ghostwright.config import OpenAIConfig
from ghostwright.context.prompts import detect_template

log = logging.getLogger(__name__)


class ServerError(Exception):
    """The server answered with an error object."""


def describe_error(exc: BaseException, base_url: str) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"the completions server at {base_url} is not reachable ({exc or 'connection refused'})"
    if isinstance(exc, httpx.TimeoutException):
        return f"the completions server at {base_url} did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return f"the connection to {base_url} broke ({type(exc).__name__}: {exc or 'closed'})"
    return f"the completions server at {base_url} reported: {exc}"


def _error_text(body: bytes, status: int) -> str:
    try:
        err = json.loads(body).get("error")
        text = err.get("message") if isinstance(err, dict) else err
    except (ValueError, AttributeError):
        text = None
    text = text or body.decode("utf-8", "replace").strip()[:200] or "no details"
    hint = " (check openai.apiKeyEnv and that variable)" if status in (401, 403) else ""
    return f"HTTP {status}: {text}{hint}"


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, config: OpenAIConfig, allow_remote: bool = False) -> None:
        super().__init__()
        self.config = config
        self.allow_remote = allow_remote
        self.base_url = config.base_url.rstrip("/")
        self.model_name = config.model
        self.device = "server"
        headers = {"Accept": "text/event-stream"}
        if config.api_key_env:
            key = os.environ.get(config.api_key_env, "")
            if key:
                headers["Authorization"] = f"Bearer {key}"
        self.key_missing = bool(config.api_key_env) and "Authorization" not in headers
        target, extra = network.connect_target(self.base_url, allow_remote)
        self.client = httpx.AsyncClient(base_url=target, headers={**headers, **extra}, timeout=httpx.Timeout(
            config.first_token_timeout_s, connect=config.connect_timeout_s))

    async def load(self, report: Callable[[str], None]) -> None:
        if not self.base_url or not self.config.model:
            raise BackendError("openai.baseUrl and openai.model must both be set")
        network.require(self.base_url, self.allow_remote)
        if self.key_missing:
            self.notify(f"openai.apiKeyEnv names ${self.config.api_key_env}, which is not set: "
                        "requests go without a key")
        self.template = detect_template(self.config.model)
        report(f"checking {self.config.model} at {self.base_url}")
        await self.probe()
        report(f"{self.config.model} ready at {self.base_url}")

    async def probe(self) -> None:
        """GET /models: cheap, and every one of these servers answers it."""
        try:
            r = await self.client.get("/models")
        except httpx.HTTPError as exc:
            raise BackendError(describe_error(exc, self.base_url)) from exc
        if r.status_code >= 400:
            raise BackendError(describe_error(ServerError(_error_text(r.content, r.status_code)), self.base_url))

    def body(self, request: GenerationRequest) -> dict[str, Any]:
        stops = list(self.template.stop_tokens) if self.template else []
        body: dict[str, Any] = {"model": self.config.model, "max_tokens": request.max_tokens,
                                "temperature": request.temperature, "top_p": self.config.top_p,
                                "stream": True}
        if request.prefix is None:
            body["prompt"] = request.prompt
        elif self.template is not None and self.template.has_fim:
            # Our own FIM template works on every server; `suffix` support varies between them.
            body["prompt"] = self.template.render(request.prefix, request.suffix or "", request.files)
        else:
            header = request.files.header() if request.files is not None and request.files.files else ""
            body["prompt"], body["suffix"] = header + request.prefix, request.suffix or ""
        if stops:
            body["stop"] = stops[:4]  # the API allows at most four
        if request.seed is not None:
            body["seed"] = request.seed
        return body

    def start(self, request: GenerationRequest) -> Generation:
        gen = StreamGeneration(asyncio.get_running_loop())
        gen.task = asyncio.create_task(self._read(request, gen))
        self.counters.begin(gen, gen.task.add_done_callback)
        return gen

    async def _read(self, request: GenerationRequest, gen: Generation) -> None:
        error: BaseException | None = None
        try:
            async with self.client.stream("POST", "/completions", json=self.body(request)) as r:
                if r.status_code >= 400:
                    raise ServerError(_error_text(await r.aread(), r.status_code))
                async for line in r.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, comments, event names
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    if chunk.get("error"):
                        err = chunk["error"]
                        raise ServerError(err.get("message", err) if isinstance(err, dict) else err)
                    choice = (chunk.get("choices") or [{}])[0]
                    text = choice.get("text") or ""
                    if text:
                        if not gen.count_token():
                            break
                        gen.feed(text)
                    if choice.get("finish_reason"):
                        break
        except asyncio.CancelledError:
            pass  # leaving `async with` closes the connection, which stops the server's generation
        except (httpx.HTTPError, ServerError, ValueError) as exc:
            error = BackendError(describe_error(exc, self.base_url))
        finally:
            gen.finish(error)

    async def close(self) -> None:
        await self.client.aclose()

    def describe(self) -> dict:
        return {**super().describe(), "baseUrl": self.base_url}
