# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DIR ?= demo
LEDGER = $(abspath $(BIN))/ledger --db sqlite:///ledger.db

.PHONY: demo test lint bench install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	mkdir -p $(DEMO_DIR) && rm -f $(DEMO_DIR)/ledger.db*
	cd $(DEMO_DIR) && $(LEDGER) generate --customers 300 --seed 1 > sample.jsonl
	cd $(DEMO_DIR) && $(LEDGER) import sample.jsonl
	cd $(DEMO_DIR) && $(LEDGER) timeline C-000001
	cd $(DEMO_DIR) && $(LEDGER) projections rebuild
	cd $(DEMO_DIR) && $(LEDGER) profile C-000001
	cd $(DEMO_DIR) && $(LEDGER) trends --by month --from 2024-01-01
	cd $(DEMO_DIR) && $(LEDGER) verify

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy ledger commands projections bench cli.py

bench: install
	$(BIN)/python -m bench
