# fal-queue: every target installs what it needs (make setup is idempotent).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export PATH := $(abspath $(BIN)):$(abspath node_modules/.bin):$(PATH)

GEN_PKG := generated/fal_queue_api
GEN_CMD = $(BIN)/openapi-python-client generate --path openapi.yaml --config openapi-python-client.yaml \
	--meta none --overwrite --fail-on-warning

.PHONY: help setup generate check-generated lint test test-fast demo mock bench docs ts clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PYTHON) -q
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.synced node_modules/.installed ## Create .venv and node_modules from the lock files

# The generator runs outside the repository so that its ruff post-hooks never pick up our own ruff
# settings: the output depends on openapi.yaml and the pinned tools only.
generate: setup ## Rebuild generated/ from openapi.yaml
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GEN_CMD) --output-path $$tmp/fal_queue_api >/dev/null; rm -rf $$tmp/fal_queue_api/.ruff_cache; \
	rm -rf $(GEN_PKG); mkdir -p generated; cp -r $$tmp/fal_queue_api $(GEN_PKG)
	@echo "generated $(GEN_PKG) from openapi.yaml"

check-generated: setup ## Fail when generated/ differs from what openapi.yaml makes
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GEN_CMD) --output-path $$tmp/fal_queue_api >/dev/null; rm -rf $$tmp/fal_queue_api/.ruff_cache; \
	diff -r -x __pycache__ $$tmp/fal_queue_api $(GEN_PKG) || { echo "generated/ drifted from openapi.yaml: run make generate"; exit 1; }
	@echo "generated/ matches openapi.yaml"

lint: setup ## ruff, mypy --strict, spec validation, redocly lint
	$(BIN)/ruff check overlay tests bench
	$(BIN)/ruff format --check overlay tests bench
	$(BIN)/ruff check --isolated --extend-ignore=PYI036 $(GEN_PKG)  # PYI036 autofix breaks mypy there
	$(BIN)/mypy --strict overlay/fal_queue $(GEN_PKG)
	$(BIN)/openapi-spec-validator openapi.yaml
	redocly lint openapi.yaml --format=summary 2>&1 | grep -v '[║╔╚]'

test: setup lint check-generated ## Lint, drift check and the whole test suite
	$(BIN)/python -m pytest

test-fast: setup ## Tests only, without lint and contract fuzzing
	$(BIN)/python -m pytest -m "not contract and not slow"

clean: ## Remove build products (keeps generated/)
	rm -rf $(VENV) $(TOOLS) node_modules out build dist .mypy_cache .ruff_cache .hypothesis
