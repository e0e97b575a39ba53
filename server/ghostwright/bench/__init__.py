"""Benchmarks that drive the real server and model (`make bench`, `bench-quality`, `bench-latency`); not part of the server."""
