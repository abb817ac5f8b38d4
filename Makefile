# 双随机、一公开 监管平台 — the two commands: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast install fmt lint typecheck migrations-check messages bench clean

$(BIN)/ssj: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/ssj

# The PDFs embed a TrueType CJK font: Debian's fonts-wqy-microhei, installed here when root.
demo: install
	@bash scripts/ensure-system-deps.sh --pdf
	$(BIN)/ssj demo

test: install
	bash scripts/test.sh

# The edit loop: SQLite only, no browser, stop at the first failures.
test-fast: install
	mkdir -p var
	SSJ_FAST_PASSWORD_HASHER=1 DATABASE_URL="sqlite:///$(CURDIR)/var/test-fast.sqlite3" \
		$(BIN)/python -m pytest -m "not browser" --maxfail=5 $(ARGS)

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with django-stubs over the modules listed in pyproject.toml ([tool.mypy] files).
typecheck: install
	$(BIN)/mypy

# Fails when a model change has no migration.
migrations-check: install
	$(BIN)/ssj manage makemigrations --check --dry-run

# The Chinese catalog of the third-party apps (src/shuangsuiji/locale): django.mo is
# committed, so a deployment needs no gettext tools; rebuild it after editing django.po.
messages:
	msgfmt --check -o src/shuangsuiji/locale/zh_Hans/LC_MESSAGES/django.mo \
		src/shuangsuiji/locale/zh_Hans/LC_MESSAGES/django.po

bench: install
	$(BIN)/python benchmarks/import_entities.py

clean:
	rm -rf var/test-*.sqlite3*
