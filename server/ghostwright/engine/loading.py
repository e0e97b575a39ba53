"""The backend's lifetime: built from the configuration, vetted, loaded in the background with progress, retired on reload."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Awaitable, Callable, Protocol

from ghostwright import config as configuration
from ghostwright.text import guards
from ghostwright.trust import provenance
from ghostwright.backends.base import Backend, BackendError

log = logging.getLogger(__name__)

# (message, level): level is "error", "warning" or "info"; the front end decides how to show it.
Tell = Callable[[str, str], None]


class Progress(Protocol):
    """One piece of work the user may watch (LSP work-done progress, lines on a terminal)."""

    def report(self, message: str) -> None: ...

    def end(self, message: str) -> None: ...


# Starts a Progress titled so; None when the front end shows none.
BeginProgress = Callable[[str], Awaitable[Progress | None]]


async def no_progress(_title: str) -> Progress | None:
    return None


def make_backend(cfg: configuration.Config) -> Backend:
    from ghostwright.backends.router import make_backend as routed

    return routed(cfg)


class Loader:
    """The one backend in service and its state: loading, ready, or failed (and why)."""

    def __init__(self, tell: Tell, begin_progress: BeginProgress, told: guards.OncePer,
                 build: Callable[[configuration.Config], Backend] = make_backend) -> None:
        self._tell = tell
        self._begin_progress = begin_progress
        self._told = told
        self._build = build
        self.backend: Backend | None = None
        self.error: str | None = None
        self.vetting: provenance.Vetting | None = None
        self.remote_vettings: dict[str, provenance.Vetting] = {}  # model → verdict, for /api/show licences
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._retiring: set[asyncio.Task] = set()
        self._config = configuration.Config()

    @property
    def ready(self) -> bool:
        """Loaded and serving (not loading, not failed)."""
        return self._ready.is_set() and not self.error

    @property
    def settled(self) -> bool:
        """The load has ended, either way."""
        return self._ready.is_set()

    async def wait(self) -> Backend | None:
        """The backend once its load has ended; None when it failed."""
        await self._ready.wait()
        return None if self.error else self.backend

    def start(self, config: configuration.Config) -> None:
        """Build and load the backend `config` names, retiring the one before (whose generations
        the caller has cancelled)."""
        self._config = config
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._ready.clear()
        self.error = None
        self.vetting = None
        self.remote_vettings = {}
        if self.backend is not None:
            self._retire(self.backend)
            self.backend = None
        try:
            self.backend = self._build(config)
        except BackendError as exc:  # the configuration cannot serve: say which keys, answer empty
            self.error = str(exc)
            self._tell(self.error, "error")
            self._ready.set()
            return
        self.backend.notify = lambda message: self._tell(message, "warning")
        self.backend.vet_licence = self._vet_licence
        self._task = asyncio.create_task(self._load(self.backend))

    def _retire(self, backend: Backend) -> None:
        """A replaced backend lets go of its connections, worker thread and model."""
        async def close() -> None:
            try:
                await backend.close()
            except Exception:  # the new backend is what matters now
                log.exception("closing the replaced %s backend failed", backend.name)

        task = asyncio.create_task(close())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _load(self, backend: Backend) -> None:
        progress = await self._begin_progress("Loading model")
        try:
            limit = self._config.openvino.load_timeout_s
            try:  # reads that cannot block are the defence; this bounds what is left (a slow disk)
                await asyncio.wait_for(self._vet(backend), limit)
            except asyncio.TimeoutError:
                raise BackendError(f"checking the model did not finish within {limit:g} s "
                                   "(openvino.loadTimeoutS)") from None

            def report(message: str) -> None:
                log.info(message)
                if progress is not None:
                    progress.report(message)

            await backend.load(report)
            # What exists once the model is loaded lives as long as the process: out of the
            # cyclic collector's sight, a full collection no longer walks it (pauses in a request).
            gc.collect()
            gc.freeze()
        except BackendError as exc:
            self.error = str(exc) or f"{backend.name} could not load its model"
            self._tell(self.error, "error")
        except Exception as exc:  # a load must never take the process down
            log.exception("model load failed")
            self.error = f"model load failed: {exc}"
            self._tell(self.error, "error")
        finally:
            if progress is not None:
                progress.end(self.error or f"{backend.model_name} on {backend.device}")
            self._ready.set()

    async def _vet(self, backend: Backend) -> None:
        """Format, licence and changed files: said once per load; a denied licence stops it."""
        self.vetting = vetting = await asyncio.to_thread(provenance.vet_backend, backend, self._config.licence)
        if vetting is None:
            return
        if vetting.action == "deny":
            raise BackendError(vetting.message)
        if vetting.action == "warn":  # an allowed licence is in status and doctor, not the echo area
            self._tell(vetting.message, "warning")
        for line in vetting.changed:
            self._tell(line, "warning")

    def _vet_licence(self, model: str, licence: provenance.Licence) -> None:
        """A licence a backend read while loading (Ollama): the same policy and message as a local model's.

        Said once per model and licence, however often a router reloads the backend."""
        vetting = provenance.Vetting(model, licence, provenance.policy_for(licence, self._config.licence))
        self.remote_vettings[model] = vetting
        if vetting.action == "deny":
            raise BackendError(vetting.message)
        if vetting.action == "warn" and self._told.first(("licence", model, licence.name, vetting.action)):
            self._tell(vetting.message, "warning")

    async def close(self) -> None:
        """Let go of the backend for good (the command line, at its end)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.backend is not None:
            await self.backend.close()
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
