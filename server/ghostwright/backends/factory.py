"""Which backends a configuration builds, and building them: the only module that names them."""

from __future__ import annotations

from dataclasses import dataclass

from ghostwright.backends.base import NO_HOOKS, Backend, BackendError, Hooks
from ghostwright.backends.router import Router
from ghostwright.config import Config


# The configuration sections that decide which backends serve: a change to one rebuilds them.
BACKEND_KEYS = ("backend", "openvino", "ollama", "openai", "router")


def effective_policy(cfg: Config) -> str:
    if cfg.router.policy != "auto":
        return cfg.router.policy
    return "npu-first" if escalation_name(cfg) else "npu-only"


def escalation_name(cfg: Config) -> str | None:
    """The backend blocks and weak answers go to: Ollama when configured, else an OpenAI-style server."""
    if cfg.ollama.model and cfg.backend != "ollama":
        return "ollama"
    if cfg.openai.base_url and cfg.backend != "openai":
        return "openai"
    return None


def build(name: str, cfg: Config, hooks: Hooks = NO_HOOKS) -> Backend:
    """The backend `name` with its settings from `cfg` (imported only when used: openvino is heavy)."""
    if name == "ollama":
        from ghostwright.backends.ollama import OllamaBackend

        return OllamaBackend(cfg.ollama, cfg.allow_remote, hooks)
    if name == "openai":
        from ghostwright.backends.openai import OpenAIBackend

        return OpenAIBackend(cfg.openai, cfg.allow_remote, hooks)
    from ghostwright.backends.openvino import OpenVinoBackend

    return OpenVinoBackend(cfg.openvino, hooks)


@dataclass(frozen=True)
class Plan:
    """The backends a configuration puts in each slot (None: the slot stays empty)."""

    policy: str
    npu: str | None
    gpu: str | None


def gpu_name(cfg: Config) -> str | None:
    """The backend that reaches the GPU: Ollama when configured, else an OpenAI-style server.

    Never the in-process OpenVINO model: ghostwright itself does not use the GPU."""
    if cfg.ollama.model:
        return "ollama"
    if cfg.openai.base_url:
        return "openai"
    # Named as the backend without its settings: its load then says which key to set.
    return cfg.backend if cfg.backend != "openvino" else None


def plan(cfg: Config) -> Plan:
    """Which backend serves in which slot; BackendError naming the keys to set when none can."""
    policy = effective_policy(cfg)
    if policy == "npu-only":
        return Plan(policy, cfg.backend, None)
    if policy == "npu-first":
        return Plan(policy, cfg.backend, escalation_name(cfg))
    gpu = gpu_name(cfg)
    if gpu is None:
        raise BackendError(
            'router.policy is "gpu-only" but no GPU backend is configured: set ollama.model (the GPU is '
            'reached through Ollama) or openai.baseUrl and openai.model, or set router.policy to "auto"')
    return Plan(policy, None, gpu)


def make_backend(cfg: Config, hooks: Hooks = NO_HOOKS) -> Backend:
    """One backend when only one is configured (as before), else a router over both.

    Raises BackendError when the configuration cannot serve at all."""
    p = plan(cfg)
    if p.npu is not None and p.gpu is None and escalation_name(cfg) is None:
        return build(p.npu, cfg, hooks)
    return Router(cfg.router, p.policy, build(p.npu, cfg, hooks) if p.npu else None,
                  build(p.gpu, cfg, hooks) if p.gpu else None, hooks)
