# Two commands for a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FLASK  := $(BIN)/flask --app admin_app

.PHONY: run test screenshots lint bench-seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: install, migrate the SQLite database under instance/, load demo data once, serve on :5000
run: $(STAMP)
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	$(FLASK) demo-accounts
	$(FLASK) run --host 127.0.0.1 --port 5000

## test: the whole suite (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## screenshots: retake the user guide's pictures (docs/img/*.png) in Chromium
screenshots: $(STAMP)
	USER_GUIDE_IMAGES=docs/img $(BIN)/pytest tests/browser/test_user_guide.py

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
