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
# openapi.yaml is OpenAPI 3.2 (the only version that can describe each event of the status stream);
# the generator and openapi-typescript read its 3.1 view, derived by spec/views.py (see spec/README.md).
VIEW31 := build/openapi-3.1.json
GEN_CMD = $(BIN)/openapi-python-client generate --path $(VIEW31) --config openapi-python-client.yaml \
	--meta none --overwrite --fail-on-warning

.PHONY: help setup view generate check-generated lint test test-fast browser demo mock bench docs ts clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines) every
# process would otherwise compile every module it imports from source, and the suite starts hundreds.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PYTHON) -q --compile-bytecode
	$(BIN)/python -m compileall -q -j 0 overlay generated >/dev/null
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.synced node_modules/.installed ## Create .venv and node_modules from the lock files

# Rebuilt on every use (a fraction of a second): a stale view could never hide drift.
view: setup ## Derive the OpenAPI 3.1 view build/openapi-3.1.json from openapi.yaml (3.2)
	@$(BIN)/python spec/views.py --output $(VIEW31)

# The generator runs outside the repository so that its ruff post-hooks never pick up our own ruff
# settings: the output depends on openapi.yaml and the pinned tools only.
generate: view ## Rebuild generated/ from openapi.yaml (through its 3.1 view)
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GEN_CMD) --output-path $$tmp/fal_queue_api >/dev/null; rm -rf $$tmp/fal_queue_api/.ruff_cache; \
	rm -rf $(GEN_PKG); mkdir -p generated; cp -r $$tmp/fal_queue_api $(GEN_PKG)
	@echo "generated $(GEN_PKG) from openapi.yaml"
	$(BIN)/python tools/unasync.py

check-generated: view ## Fail when generated/ differs from what openapi.yaml makes
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GEN_CMD) --output-path $$tmp/fal_queue_api >/dev/null; rm -rf $$tmp/fal_queue_api/.ruff_cache; \
	diff -r -x __pycache__ $$tmp/fal_queue_api $(GEN_PKG) || { echo "generated/ drifted from openapi.yaml: run make generate"; exit 1; }
	@echo "generated/ matches openapi.yaml"

lint: setup ## ruff, mypy --strict, spec validation, redocly lint
	$(BIN)/ruff check overlay tests bench tools examples
	$(BIN)/ruff format --check overlay tests bench tools examples
	$(BIN)/python tools/unasync.py --check
	$(BIN)/ruff check --isolated --extend-ignore=PYI036 $(GEN_PKG)  # PYI036 autofix breaks mypy there
	$(BIN)/mypy --strict overlay/fal_queue $(GEN_PKG)
	$(BIN)/openapi-spec-validator openapi.yaml
	$(BIN)/python spec/views.py --output $(VIEW31) && $(BIN)/openapi-spec-validator $(VIEW31)
	redocly lint openapi.yaml --format=summary 2>&1 | grep -v '[║╔╚]'
	$(BIN)/ruff check spec && $(BIN)/ruff format --check spec
	$(BIN)/mypy --strict spec/compat.py spec/views.py
	$(SPECTRAL_CMD)
	$(COMPAT_CMD)

# Three xdist workers on two cores: most tests wait on the mock's jobs, not on the CPU. One file per
# worker (loadfile), so a module's costly fixture (a full schemathesis run) is built once.
PYTEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test: setup browser lint check-generated docs check-ts ts-run ## Lint, drift check and the whole test suite
	$(PYTEST)

# Debian's chromium renders a result's notebook HTML once in the suite; where it cannot be installed
# (not root, no apt-get), that one test is skipped and says why.
browser: ## Install Debian's chromium for the rendering test (as root; a no-op where it is present)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "no chromium: tests/integration/test_results_in_a_browser.py will be skipped"

test-fast: setup ## Tests only, without lint and contract fuzzing
	$(PYTEST) -m "not contract and not slow"

demo: $(VENV)/.synced ## Start the mock, generate one image with `fal-queue run` into out/, stop the mock (Python only)
	$(BIN)/python tools/demo.py --out out

mock: setup ## Run the mock gateway on loopback until Ctrl-C (options: make mock ARGS="--port 8080 --realistic")
	$(BIN)/python -m fal_queue.mock $(ARGS)

clean: ## Remove build products (keeps generated/)
	rm -rf $(VENV) $(TOOLS) node_modules out build dist .mypy_cache .ruff_cache .hypothesis

# ---- Contract tooling for other teams: HTML docs, TypeScript types, Spectral, spec compatibility ----
.PHONY: check-ts ts-run spectral spec-compat
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
DROP_BANNER := sed -e '/[║╔╚]/d' -e '/^[[:space:]]*$$/d'
# A "Schemas" section lists every component schema (model inputs and outputs) in the sidebar.
DOCS_OPTIONS := --openapi.schemaDefinitionsTagName=Schemas
TS_DIR := clients/typescript
TS_TYPES := $(TS_DIR)/fal-queue.d.ts
# --default-non-nullable false: a field with a schema default stays optional in request types.
# openapi-typescript reads the 3.1 view: it ignores 3.2's itemSchema (the stream would become `unknown`).
TS_GEN = openapi-typescript $(VIEW31) --default-non-nullable false
TSC_CMD = tsc --strict --noEmit -p $(TS_DIR)
SPECTRAL_CMD = spectral lint openapi.yaml --ruleset .spectral.yaml --fail-severity warn --quiet
COMPAT_CMD = $(BIN)/python spec/compat.py --quiet

docs: setup ## Offline HTML reference build/docs/index.html and single-file build/openapi.bundled.yaml
	@mkdir -p build/docs
	redocly build-docs openapi.yaml --inlineBundle --output build/docs/index.html $(DOCS_OPTIONS) 2>&1 | $(DROP_BANNER)
	redocly bundle openapi.yaml --output build/openapi.bundled.yaml 2>&1 | $(DROP_BANNER)

ts: view ## Regenerate clients/typescript/fal-queue.d.ts and type-check the example
	$(TS_GEN) --output $(TS_TYPES) >/dev/null
	$(TSC_CMD)
	@echo "generated $(TS_TYPES) from openapi.yaml; example compiles"

check-ts: view ## Fail when the TypeScript types drifted from openapi.yaml or the example stops compiling
	@mkdir -p build/ts
	@$(TS_GEN) --output build/ts/fal-queue.d.ts >/dev/null
	@diff -u $(TS_TYPES) build/ts/fal-queue.d.ts || { echo "$(TS_TYPES) drifted from openapi.yaml: run make ts"; exit 1; }
	$(TSC_CMD)
	@echo "$(TS_TYPES) matches openapi.yaml; example compiles"

TS_RUN_DIR := build/ts-run
ts-run: setup ## Compile the typed TypeScript client and run its node test against the mock gateway
	@rm -rf $(TS_RUN_DIR)
	tsc -p $(TS_DIR)/tsconfig.run.json
	@echo '{"type":"module"}' > $(TS_RUN_DIR)/package.json
	FAL_QUEUE_PYTHON=$(BIN)/python node --test $(TS_RUN_DIR)/run-against-mock.test.js

spectral: setup ## Spectral: spectral:oas plus the rules in .spectral.yaml
	$(SPECTRAL_CMD)

spec-compat: setup ## Fail on breaking or unversioned changes against spec/published/
	$(BIN)/python spec/compat.py

.PHONY: spec-import
spec-import: setup ## Merge fal's OpenAPI document of one model into openapi.yaml (ARGS="flux-lora.json --replace")
	$(BIN)/python tools/spec_import.py $(ARGS)

# ---- Benchmarks (bench/): fal_queue vs fal-client vs the raw generated client, on the same mock ----
.PHONY: bench-smoke
BENCH_ARGS ?=

bench: setup ## Full benchmark (~40 min on a quiet machine; BENCH_ARGS=--quick is shorter); writes bench/results.md
	FQ_BENCH_VIA_MAKE=1 $(BIN)/python bench/run.py --output bench/results.md --json build/bench/results.json $(BENCH_ARGS)

bench-smoke: setup ## The benchmark with a few jobs per workload (about a minute); what make test runs
	$(BIN)/python bench/run.py --smoke
