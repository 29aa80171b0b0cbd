# Two commands for a fresh clone: `make demo` (the site on the embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Security: settings fail closed (DEBUG off, SECRET_KEY and SITE_URL required). The demo and the
# developer commands below run the embedded default with DEBUG on unless DEBUG is set.
DEV_ENV := DEBUG=$${DEBUG:-true}
# Production-like settings for `check --deploy` in `make lint` (a throwaway key, never used).
DEPLOY_CHECK_ENV := DEBUG=false SITE_URL=https://imr.example.org ALLOWED_HOSTS=imr.example.org \
	SECRET_KEY=deploy-check-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')

.PHONY: demo prod install install-dev migrate seed run test lint bench bench-scale worker clean

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
	$(DEV_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py publish_decisions
	$(DEV_ENV) $(PY) manage.py seed_portal_demo
	$(DEV_ENV) $(PY) manage.py refresh_report_rollups --full

demo: seed
	@echo ""
	@echo "IMR demo on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(DEV_ENV) $(PY) manage.py demo_logins
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT) --noreload

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
	$(DEV_ENV) $(VENV)/bin/mypy
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

worker: install
	$(DEV_ENV) $(VENV)/bin/celery -A imr_site worker --queues letters,email,default --loglevel=info

bench: install-dev
	$(PY) bench/assignment.py
	$(PY) bench/letters.py

# California's volume (needs PostgreSQL): SCALE_ARGS="--cases 20000" for a quicker run.
bench-scale: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(PY) bench/scale.py $(SCALE_ARGS)

clean:
	rm -rf var .pytest_cache
