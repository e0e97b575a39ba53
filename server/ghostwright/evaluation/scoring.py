"""How an answer to a hole is judged: exact first line, edit similarity, empty; and latency percentiles."""

from __future__ import annotations

import difflib
import statistics
from dataclasses import dataclass, field

from ghostwright.evaluation.holes import Hole


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def is_exact(hole: Hole, answer: str) -> bool:
    return first_line(answer) == hole.expected.strip()


def similarity(hole: Hole, answer: str) -> float:
    return 100 * difflib.SequenceMatcher(None, first_line(answer), hole.expected.strip(), autojunk=False).ratio()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


@dataclass
class Score:
    n: int = 0
    exact: int = 0
    empty: int = 0
    similarity: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def add(self, hole: Hole, answer: str, elapsed: float) -> None:
        self.n += 1
        self.exact += is_exact(hole, answer)
        self.empty += not answer.strip()
        self.similarity.append(similarity(hole, answer))
        self.latencies.append(elapsed)

    def figures(self) -> dict[str, float | int]:
        """n, then percentages (exact first line, empty), mean edit similarity (0–100) and
        latency percentiles in seconds (None without answers)."""
        if not self.n:
            return {"n": 0, "exactPct": None, "similarity": None, "emptyPct": None, "p50S": None, "p95S": None}
        return {"n": self.n, "exactPct": 100 * self.exact / self.n, "similarity": statistics.mean(self.similarity),
                "emptyPct": 100 * self.empty / self.n, "p50S": statistics.median(self.latencies),
                "p95S": p95(self.latencies)}

    def cells(self) -> list[str]:
        if not self.n:
            return ["-"] * 6
        f = self.figures()
        return [str(self.n), f"{f['exactPct']:.1f}", f"{f['similarity']:.1f}",
                f"{f['emptyPct']:.1f}", f"{f['p50S']:.2f}", f"{f['p95S']:.2f}"]
