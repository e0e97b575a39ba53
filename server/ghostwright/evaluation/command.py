"""`ghostwright eval [PATH]`: a seeded sample of holes in the user's own code, each configured backend's figures."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO

from ghostwright import config as configuration
from ghostwright.evaluation import holes as holes_of, run, sources

class Bar:
    """A progress bar on a terminal's stderr; nothing when stderr is not a terminal (a log, a pipe)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.shown = stream.isatty()
        self.label = ""
        self.started = time.monotonic()

    def step(self) -> None:
        self.done += 1
        if not self.shown:
            return
        filled = self.WIDTH * self.done // max(1, self.total)
        spent = time.monotonic() - self.started
        left = spent / self.done * (self.total - self.done)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                          f"{self.done}/{self.total}  {int(left) // 60}m{int(left) % 60:02d}s left ")
        self.stream.flush()

    def clear(self) -> None:
        """Wipe the bar's line, so a message starts on a clean one (the next step draws it again)."""
        if self.shown and self.done:
            self.stream.write("\r" + " " * (self.WIDTH + len(self.label) + 40) + "\r")

    def end(self) -> None:
        if self.shown and self.done:
            self.stream.write("\n")
            self.stream.flush()


def say(message: str, _level: str = "warning") -> None:
    print(f"ghostwright: {message}", file=sys.stderr)


async def main(path: Path, sample: int, seed: int, as_json: bool, config_file: Path | None,
               only: tuple[str, ...], exclude: tuple[str, ...]) -> int:
    if not path.is_dir():
        say(f"eval: {path} is not a folder")
        return 2
    if config_file is not None and not config_file.is_file():
        say(f"eval: no configuration file at {config_file}")
        return 2
    cfg, _toml, problems = configuration.load(path=config_file)
    for problem in problems:
        say(problem)
    files = sources.code_files(path.resolve(), exclude)
    holes = holes_of.sample(files, sample, seed)
    if not holes:
        say(f"eval: no code under {path} to punch holes in (languages: {', '.join(sorted(holes_of.COMMENT))})")
        return 1
    systems = run.systems(cfg, only)
    if not systems:
        say(f"eval: none of {', '.join(only)} is configured")
        return 2
    bar = Bar(len(holes) * len(systems))

    def tell(message: str, level: str = "warning") -> None:
        bar.clear()
        say(message, level)

    results = []
    for system in systems:
        bar.label = system.backend
        try:
            results.append(await run.evaluate(system, holes, tell, bar.step))
        finally:
            bar.end()
    counts = {language: len(found) for language, found in sorted(files.items())}
    if as_json:
        print(json.dumps({"path": str(path.resolve()), "seed": seed, "sample": sample, "holes": len(holes),
                          "files": counts, "results": run.to_json(results)}, indent=2))
    else:
        print(f"{len(holes)} holes (seed {seed}) in {sum(counts.values())} files under {path}: "
              + ", ".join(f"{language} {n}" for language, n in counts.items()) + "\n")
        print(run.table(results))
    return 0 if all(r.error is None for r in results) else 1
