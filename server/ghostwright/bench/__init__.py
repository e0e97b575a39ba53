"""Benchmarks that drive the real server and model: `make bench-latency`."""
