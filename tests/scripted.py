"""A deterministic stand-in backend for tests whose subject is what ghostwright does with a stream."""

from __future__ import annotations

import asyncio
from typing import Callable

from ghostwright.context import prompts
from ghostwright.backends.base import Backend, GenerationRequest, StreamGeneration


class Scripted(Backend):
    """Streams the same pieces for every prompt, one every `gap` seconds; `count` replaces the
    base estimate of tokens where a test wants windows of another size."""

    name = "scripted"

    def __init__(self, pieces: list[str], gap: float = 0.0, count: Callable[[str], int] | None = None) -> None:
        super().__init__()
        self.pieces, self.gap, self.count = pieces, gap, count
        self.template = prompts.TEMPLATES["qwen2.5-coder"]
        self.model_name, self.device = "scripted", "test"
        self.generations: list[StreamGeneration] = []

    @property
    def gen(self) -> StreamGeneration | None:
        """The last generation started."""
        return self.generations[-1] if self.generations else None

    async def load(self, report) -> None:
        report("ready")

    def count_tokens(self, text: str) -> int:
        return self.count(text) if self.count is not None else super().count_tokens(text)

    def start(self, request: GenerationRequest) -> StreamGeneration:
        gen = StreamGeneration(asyncio.get_running_loop())

        async def produce() -> None:
            try:
                for piece in self.pieces:
                    await asyncio.sleep(self.gap)
                    if not gen.count_token() or not gen.feed(piece):
                        break
            finally:
                gen.finish()

        gen.task = asyncio.create_task(produce())
        self.counters.begin(gen, gen.task.add_done_callback)
        self.generations.append(gen)
        return gen
