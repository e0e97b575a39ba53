"""Benchmarks run by `make bench` and `make bench-quality` (not part of the server)."""
