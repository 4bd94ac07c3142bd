# Quarry: `make run` starts the service, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./clients/python -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/quarry serve

check: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
