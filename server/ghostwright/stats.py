"""`ghostwright stats`: the local acceptance counts as a table with a bar per day, or as JSON."""

from __future__ import annotations

import json

from ghostwright import config as configuration
from ghostwright.engine import usage_stats

BAR = 20
COLUMNS = ("language", "backend", "model", "kind", "shown", "accepted", "partial", "dismissed", "typed",
           "taken", "retained", "latency")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def bar(share: float | None, width: int = BAR) -> str:
    """A text bar (any terminal draws it): filled for the share taken."""
    filled = round((share or 0) * width)
    return "█" * filled + "░" * (width - filled)


def table(rows: list[usage_stats.Row]) -> list[str]:
    cells = [list(COLUMNS)]
    for r in rows:
        c = r.counts
        latency = r.latency_ms
        cells.append([r.group["language"], r.group["backend"], r.group["model"], r.group["kind"],
                      *(f"{c[f]:.0f}" for f in ("shown", "accepted", "partial", "dismissed", "typedThrough")),
                      _pct(r.taken), f"{_pct(r.retained('First'))} / {_pct(r.retained('Second'))}",
                      "-" if latency is None else f"{latency:.0f} ms"])
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    return ["  ".join(v.ljust(w) if i < 4 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()
            for row in cells]


def report(days: usage_stats.Days, cfg: configuration.Config) -> dict:
    """Everything `stats` shows, as data (`--json`)."""
    f = cfg.feedback
    return {
        "file": str(usage_stats.stats_file()),
        "enabled": f.enabled,
        "retentionChecksS": [f.retention_first_s, f.retention_second_s],
        "rows": [r.to_wire() for r in usage_stats.summarize(days)],
        "days": [{**r.group, "shown": r.counts["shown"], "taken": r.counts["accepted"] + r.counts["partial"],
                  "acceptance": r.taken} for r in usage_stats.per_day(days)],
        "adaptive": f.adaptive,
        # (language, backend) whose single-line requests feedback.adaptive sends (or would send) on.
        "escalated": [{"language": lang, "backend": b} for lang, b in
                      usage_stats.escalated(days, f.adaptive_min_shown, f.adaptive_min_acceptance)],
    }


def render(days: usage_stats.Days, cfg: configuration.Config) -> str:
    data = report(days, cfg)
    lines = [f"usage statistics: {data['file']} (counts only, kept on this machine; delete the file to "
             "start again)"]
    if not data["enabled"]:
        lines.append("feedback.enabled is false: nothing new is counted")
    if not data["rows"]:
        lines.append("nothing counted yet")
        return "\n".join(lines)
    first, second = data["retentionChecksS"]
    lines.append(f"taken = accepted whole or in part, of those shown; retained = accepted characters still "
                 f"there after {first:g} s / {second:g} s")
    lines += table(usage_stats.summarize(days))
    lines.append("per day (taken of shown):")
    for d in data["days"]:
        lines.append(f"  {d['day']} {bar(d['acceptance'])} {_pct(d['acceptance']):>4} of {d['shown']:.0f}")
    state = "on" if data["adaptive"] else "off (opt in with feedback.adaptive)"
    lines.append(f"adaptive routing: {state}")
    for e in data["escalated"]:
        verb = "sends" if data["adaptive"] else "would send"
        lines.append(f"  {verb} single-line {e['language']} requests past {e['backend']} to the second backend "
                     "(rarely taken there)")
    return "\n".join(lines)


def run(as_json: bool) -> int:
    cfg, _toml, _problems = configuration.load()  # `doctor` reports problems; the defaults do here
    days = usage_stats.load()
    print(json.dumps(report(days, cfg), indent=2) if as_json else render(days, cfg))
    return 0


def summary(days: usage_stats.Days) -> str:
    """One line for `ghostwright doctor`."""
    rows = usage_stats.summarize(days, ())
    if not rows or not rows[0].counts["shown"]:
        return "no suggestions counted yet (`ghostwright stats`)"
    r = rows[0]
    return (f"{r.counts['shown']:.0f} suggestions shown over {len(days)} day(s), {_pct(r.taken)} taken, "
            f"{_pct(r.retained('Second'))} of accepted characters retained (`ghostwright stats`)")
