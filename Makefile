# Réseau – the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# the suite runs on every core (each pytest-xdist worker gets its own PostgreSQL database)
PYTEST_ARGS ?= -n auto

.PHONY: run test bench lint translations clean install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# stamps re-install when pyproject.toml changes
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	mkdir -p var
	$(BIN)/reseau db upgrade
	$(BIN)/reseau demo
	$(BIN)/reseau serve --host $(HOST) --port $(PORT)

# the browser tests run in their own pytest process: Playwright's sync API keeps an event loop
# running in the worker's main thread for the whole session, which other tests must not inherit
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS) --ignore=tests/e2e
	$(BIN)/python -m pytest $(PYTEST_ARGS) tests/e2e

bench: install-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check core plugins tests bench
	$(BIN)/mypy

# one catalogue per source tree: core/ into core/translations, each plugins/<name>/ into its
# own translations/ (French msgids extracted from code and templates; English kept, new ids added)
# `make translations CATALOGUES="core acces_services"` limits the update; then run the todo list:
# `$(BIN)/python -m core.catalogues todo`
translations: install-dev
	$(BIN)/python -m core.catalogues update $(CATALOGUES)

clean:
	rm -rf $(VENV) var build *.egg-info
