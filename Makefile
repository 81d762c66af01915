# Tutti: `make run` starts the demo, `make test` runs the whole suite. Both install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SYS_STAMP := var/.system-packages

.PHONY: install run test test-fast lint format bench bench-quick migrate seed clean

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SYS_STAMP): scripts/install-system-packages.sh
	mkdir -p var
	scripts/install-system-packages.sh
	touch $@

install: $(PY_STAMP) $(NODE_STAMP) $(SYS_STAMP)

# The schema's owner creates and migrates the database when MIGRATION_DATABASE_URL is set (see README).
migrate: install
	DATABASE_URL="$${MIGRATION_DATABASE_URL:-$${DATABASE_URL:-}}" $(PY) manage.py create_database
	DATABASE_URL="$${MIGRATION_DATABASE_URL:-$${DATABASE_URL:-}}" $(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@$(PY) manage.py demo_banner
	$(VENV)/bin/honcho -f Procfile.dev start

test: install
	$(VENV)/bin/pytest -n 2

test-fast: install
	$(VENV)/bin/pytest -m "not browser and not worker"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) node_modules var
