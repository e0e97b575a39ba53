"""Holes punched in real code, answered by a backend and scored: `make bench-real` and `ghostwright eval`."""

# Holes in a run when none are asked for: the embedded model answers them on this project's own
# repository in minutes on a busy 2-core machine, model load included (docs/evaluation.md).
DEFAULT_SAMPLE = 60
