"""Benchmarks that drive the real server and model (`make bench*`); not installed with the server.

Run from the repository root with the tests on the path, as the Makefile does:
`PYTHONPATH=tests python -m bench.quality --limit 5`."""
