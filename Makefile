PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Where `make run` listens: this machine only, unless told otherwise (HOST=0.0.0.0 for a demo on the LAN).
HOST ?= 127.0.0.1
# `make run`, `make test` and CI are development: the built-in key and plain HTTP are allowed (portal/settings.py).
# A real server sets SECRET_KEY and leaves PORTAL_DEV unset (README, "Chạy thật: cấu hình").
PORTAL_DEV ?= 1
export PORTAL_DEV
DEMO_DOSSIERS ?= 20000

.PHONY: run test lint bench install migrate demo clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Fixtures, demo dossiers and one account per role (idempotent: a second `make run` keeps the data).
demo: migrate
	$(BIN)/python manage.py load_fixtures
	$(BIN)/python manage.py demo_accounts
	$(BIN)/python manage.py seed_demo --dossiers $(DEMO_DOSSIERS) --seed 1 --if-empty

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Cổng Một cửa: http://$(HOST):$(PORT)/  (Ctrl+C để dừng)"
	$(BIN)/celery -A portal worker -B --loglevel=INFO --concurrency=2 & \
	CELERY_PID=$$!; trap 'kill $$CELERY_PID 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py demo_logins --url http://127.0.0.1:$(PORT)/ --worker & \
	$(BIN)/gunicorn portal.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

# The suite runs on the local PostgreSQL and Redis when they answer (as CI does), else on SQLite and no broker.
test: install
	DATABASE_URL="$${DATABASE_URL:-$$(pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && echo postgres://postgres@127.0.0.1:5432/portal)}" \
	REDIS_URL="$${REDIS_URL:-$$(redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && echo redis://127.0.0.1:6379/0)}" \
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
