"""Holes punched in real code, answered by a backend and scored: `make bench-real` and `ghostwright eval`."""
