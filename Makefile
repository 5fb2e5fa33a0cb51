# Two commands a newcomer needs (see README):
#   make demo   set up (once) and open JupyterLab on the quickstart notebook with the bundled demo model
#   make test   set up (once) and run everything: ruff, mypy, tsc, vitest, pytest with the browser tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make-stamps
# torch first and pinned: the CPU wheel, so that no resolver pulls a multi-GB CUDA build
TORCH := torch==2.13.0

.PHONY: setup build demo test lint typecheck jstest pytest bench clean

setup: $(STAMPS)/python build

$(STAMPS)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

build: $(STAMPS)/node
	npm run --silent build

$(STAMPS)/python: pyproject.toml $(STAMPS)/node
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q $(TORCH) hatchling hatch-jupyter-builder editables
	$(BIN)/python -m pip install -q $(TORCH) --no-build-isolation -e ".[torch,dev]"
	@mkdir -p $(STAMPS) && touch $@

# as root (containers, CI boxes) JupyterLab refuses to start without --allow-root
demo: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) example_notebooks/01_quickstart.ipynb

lint: setup
	$(BIN)/ruff check src tests bench scripts

typecheck: setup
	$(BIN)/mypy
	npm run --silent typecheck

jstest: setup
	$(BIN)/python tests/contract/write_fixtures.py tests/fixtures/contract
	npm test --silent

pytest: setup
	$(BIN)/python -m pytest

test: lint typecheck jstest pytest

bench: setup
	$(BIN)/python bench/capture.py

clean:
	rm -rf $(STAMPS) node_modules src/interplay/static tests/fixtures/contract tests/e2e/artifacts
