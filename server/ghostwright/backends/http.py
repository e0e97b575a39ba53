"""What the backends over HTTP share: their settings, whether they may leave the loopback, the client's target and timeouts."""

from __future__ import annotations

from typing import Any

import httpx

from ghostwright.backends.base import NO_HOOKS, Backend, Hooks
from ghostwright.trust import network


class HttpBackend(Backend):
    """A backend that reaches its model over HTTP at `url` (Ollama, an OpenAI-style server)."""

    def __init__(self, config: Any, url: str, allow_remote: bool, device: str, hooks: Hooks = NO_HOOKS) -> None:
        super().__init__(hooks)
        self.config = config
        self.allow_remote = allow_remote
        self.model_name = config.model
        self.device = device
        # No name resolution and no redirects: a redirect could lead anywhere, by any name.
        self.target, self.target_headers = network.connect_target(url, allow_remote)
        self.timeout = httpx.Timeout(config.first_token_timeout_s, connect=config.connect_timeout_s)
