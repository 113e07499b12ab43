# Boucle — everyday commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install bytecode run test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Boucle needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Compiled once here: the workflow sandbox imports workflow modules again for every run, and
# would compile them from source each time where bytecode is not written (PYTHONDONTWRITEBYTECODE).
bytecode: install
	@$(BIN)/python -m compileall -q domain workflows activities notifications store services api boucle

run: bytecode
	$(BIN)/boucle dev

test: bytecode lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bytecode
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.simulate
	$(BIN)/python -m benchmarks.engine
	$(BIN)/python -m benchmarks.cluster
	$(BIN)/python -m benchmarks.decp
	$(BIN)/python -m benchmarks.workbook
	$(BIN)/python -m benchmarks.plan_page
	$(BIN)/python -m benchmarks.fuzz_plan --seconds 300

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
