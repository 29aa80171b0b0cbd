# Two commands for a fresh clone: `make demo` (the site on the embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo prod install install-dev migrate seed run test lint bench worker clean

$(PY):
	@$(PYTHON) -c "import sys; assert sys.version_info[:2] == (3, 11), sys.version" || { echo "Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

demo: seed
	@echo ""
	@echo "IMR demo on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(PY) manage.py demo_logins
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

# Production: gunicorn, a Celery worker per queue and beat on PostgreSQL and Redis from the
# environment (bin/prod, Procfile; README "Production"). exec: make's child is honcho itself.
# PROCESSES="web email" runs only those Procfile lines (one machine of several).
prod: install
	@exec env HOST=$(HOST) PORT=$(PORT) bin/prod $(PROCESSES)

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

worker: install
	$(VENV)/bin/celery -A imr_site worker --queues letters,email,default --loglevel=info

bench: install-dev
	$(PY) bench/assignment.py
	$(PY) bench/letters.py

clean:
	rm -rf var .pytest_cache
