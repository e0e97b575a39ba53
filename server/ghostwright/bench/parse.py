"""Parse cost: one keystroke into a 5,000-line document, applied as a tree edit and reparsed."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from ghostwright.bench import machine
from ghostwright.text.documents import DocumentStore

LINES = 5000
TARGET_MS = 2.0

_UNITS = {
    "python": (
        "def handler_{n}(request, limit=10):\n"
        "    \"\"\"Answer request {n}.\"\"\"\n"
        "    items = [x for x in request.items if x.ok]\n"
        "    if len(items) > limit:\n"
        "        items = items[:limit]\n"
        "    total = sum(item.size for item in items)\n"
        "    return {{\"id\": {n}, \"total\": total}}\n"
        "\n\n"
    ),
    "javascript": (
        "export function handler{n}(request, limit = 10) {{\n"
        "  const items = request.items.filter((x) => x.ok);\n"
        "  if (items.length > limit) {{\n"
        "    items.length = limit;\n"
        "  }}\n"
        "  const total = items.reduce((a, x) => a + x.size, 0);\n"
        "  return {{ id: {n}, total }};\n"
        "}}\n\n"
    ),
    "c": (
        "int handler_{n}(const struct request *r, int limit) {{\n"
        "  int total = 0;\n"
        "  for (int i = 0; i < r->count && i < limit; i++) {{\n"
        "    if (r->items[i].ok)\n"
        "      total += r->items[i].size;\n"
        "  }}\n"
        "  return total + {n};\n"
        "}}\n\n"
    ),
}


def document(language: str) -> str:
    unit = _UNITS[language]
    per = unit.count("\n")
    return "".join(unit.format(n=n) for n in range(LINES // per + 1))


def measure(language: str, keystrokes: int = 200) -> list[float]:
    """CPU milliseconds per keystroke (this thread's time, so other busy processes on the machine
    do not inflate it): a new line in a body, then a statement typed into it."""
    text = document(language)
    doc = DocumentStore().open(f"file:///bench.{language}", text, 1, language)
    doc.syntax.tree  # the first, full parse is not what a keystroke costs
    lines = doc.text.count("\n")
    indent, typed = ("    ", "total = total + 1") if language == "python" else ("  ", "total = total + 1;")
    times = []
    k = 0
    for spot in range(keystrokes // len(typed) + 1):
        # A line inside a body, spread over the file.
        line = (spot * 997) % (lines - 10) + 5
        while not doc.line_text(line).startswith(("    total", "  const total", "  int total")):
            line += 1
        col = len(doc.line_text(line))
        doc.apply_change((line, col), (line, col), "\n" + indent, "utf-16")
        doc.syntax.tree
        for i, ch in enumerate(typed):
            started = time.thread_time()
            at = (line + 1, len(indent) + i)
            doc.apply_change(at, at, ch, "utf-16")
            doc.syntax.tree  # the reparse from the edited old tree
            times.append((time.thread_time() - started) * 1000)
            k += 1
            if k >= keystrokes:
                return times
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, default=None, help="update this benchmarks page")
    args = parser.parse_args(argv)
    rows = ["| language | lines | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for language in _UNITS:
        t = sorted(measure(language))
        p95 = t[int(0.95 * (len(t) - 1))]
        rows.append(f"| {language} | {document(language).count(chr(10))} | {statistics.median(t):.2f} | "
                    f"{p95:.2f} | {t[-1]:.2f} |")
    table = "\n".join(rows)
    head = "## Parse cost (one keystroke, 5,000-line file)"
    body = (f"{head}\n\n`make bench` (`python -m ghostwright.bench.parse`): a statement typed, one "
            f"character at a time, into a new line of a function body at a dozen places across the file; "
            f"each keystroke applied to the document and its tree as an edit, then reparsed from "
            f"the old tree. Target under {TARGET_MS:g} ms. Figures are the thread's CPU time, "
            f"because the machine is shared with other jobs. Run "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine.describe()}.\n\n{table}\n")
    print(body)
    if args.write:
        from ghostwright.bench.quality import replace_section

        replace_section(args.write, head, body)


if __name__ == "__main__":
    main()
