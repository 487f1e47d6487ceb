# The two quickstart commands (README): `make demo` or `make up` runs the tracker, `make test` tests it.
# Each target creates the virtual environment .venv on first use.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: up demo test lint fix bench clean-venv

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@

## the main job against the live CT.gov: first refresh, daemon and dashboard
up: $(BIN)/.installed
	$(BIN)/tracker up

## the same with the bundled offline demo corpus (no network needed)
demo: $(BIN)/.installed
	$(BIN)/tracker up --demo

## lint, type-check, check the import layers and run the whole test suite (what CI runs)
test: $(BIN)/.installed lint
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; \
	exit $$status

lint: $(BIN)/.installed
	$(BIN)/ruff check tracker dashboards tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fix: $(BIN)/.installed
	$(BIN)/ruff check --fix tracker dashboards tests bench

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_ingest.py

clean-venv:
	rm -rf $(VENV)
