# 双随机、一公开 监管平台 — the two commands: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint bench clean

$(BIN)/ssj: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/ssj

demo: install
	$(BIN)/ssj demo

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python benchmarks/import_entities.py

clean:
	rm -rf var/test-*.sqlite3*
