# Two commands for a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FLASK  := $(BIN)/flask --app admin_app
PORT   ?= 5000
# A filtered command still fails when the command fails.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: install run reset-demo test screenshots print-sample lint bench-seed clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "安装依赖到 $(VENV)/（首次约一两分钟）…"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@# setuptools explains editable installs at length on every install, in every mode;
	@# it is advice for package authors, not something a user can act on.
	@PYTHONWARNINGS=ignore::Warning:setuptools.command.editable_wheel \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

## install: the virtualenv with the panel and its dependencies (a server's first step)
install: $(STAMP)

## run: install, migrate the SQLite database under instance/, load demo data once, serve on
## :5000 (another port: make run PORT=5001; stop with Ctrl+C). The demo, not production.
run: $(STAMP)
	@# Alembic's INFO lines (one per migration) are for whoever upgrades a server.
	@$(FLASK) init-db 2>&1 >/dev/null | { grep -v '^INFO ' || true; }
	@$(FLASK) seed-demo --if-empty
	@$(FLASK) demo-accounts --port $(PORT)
	@# Flask's banner, its development-server warning and one line per request are for
	@# developers; what is left is what a user must see (an error).
	@$(FLASK) run --host 127.0.0.1 --port $(PORT) 2>&1 | grep --line-buffered -v -E \
	  -e '^ \* ' -e 'development server|Press CTRL\+C' -e 'HTTP/1\.[01]" [0-9]{3} '

## reset-demo: throw the demo database away; the next make run loads the demo afresh
reset-demo:
	rm -f instance/kongchuo.db instance/kongchuo.db-wal instance/kongchuo.db-shm

## test: the whole suite (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## screenshots: retake the user guide's pictures (docs/img/*.png) in Chromium
screenshots: $(STAMP)
	USER_GUIDE_IMAGES=docs/img $(BIN)/pytest tests/browser/test_user_guide.py

## print-sample: print the 问责台账 with LibreOffice into docs/img (needs libreoffice-calc-nogui, poppler-utils)
print-sample: $(STAMP)
	$(BIN)/python scripts/print_report.py accountability docs/img/accountability-print.png

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
