# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DEMO_DIR ?= demo
LEDGER = $(abspath $(BIN))/ledger --db sqlite:///ledger.db

# The project's own code, as pyproject.toml ships it, and its benchmark.
SOURCES = cli.py cli_commands http_api ledger commands projections bench

.PHONY: demo test test-fast lint bench docs install chromium

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
	cd $(DEMO_DIR) && $(LEDGER) rates sample > rates.csv && $(LEDGER) rates import rates.csv
	cd $(DEMO_DIR) && $(LEDGER) timeline C-000001
	cd $(DEMO_DIR) && $(LEDGER) projections rebuild
	cd $(DEMO_DIR) && $(LEDGER) profile C-000001
	cd $(DEMO_DIR) && $(LEDGER) trends --by month --from 2024-01-01
	cd $(DEMO_DIR) && $(LEDGER) cohorts --by month
	cd $(DEMO_DIR) && $(LEDGER) report --html report.html
	cd $(DEMO_DIR) && $(LEDGER) verify

# Every test: unit, integration and CLI, on SQLite and, with LEDGER_TEST_POSTGRES_URL set, on PostgreSQL.
test: install chromium
	$(BIN)/python -m pytest -q

# The report's browser test drives Debian's Chromium: playwright cannot download a browser of its own
# where only the package registries are reachable.
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	{ [ "$$(id -u)" = 0 ] && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || \
	{ echo "chromium is missing and this is not root: apt-get install chromium" >&2; exit 1; }

# The loop while coding, in under a minute on two cores: every layer on SQLite, without the tests
# marked `slow` (races of several processes, the 100,000-event verify, the README's demo end to end)
# and without the PostgreSQL runs. `make test` runs those too.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not postgres"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(SOURCES)

bench: install
	$(BIN)/python -m bench

# The CLI reference, generated from --help, and the JSON output reference, generated from the result types
# (tests/cli/test_help.py and tests/cli/test_output_reference.py fail when they drift).
docs: install
	$(BIN)/python -m cli_commands.reference > docs/cli.md
	$(BIN)/python -m cli_commands.output_reference > docs/output.md
