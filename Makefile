# Gridpoints: `make run` serves the demo, `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := ENVIRONMENT=$${ENVIRONMENT:-dev}

.PHONY: install audit-install run test test-slow-path test-calendar fuzz lint format migrate migrations check-migrations seed scale schema lock bench clean verify-ledger expire backup restore bench-points bench-evaluation bench-whatif bench-matching bench-activities bench-orders bench-load bench-imports bench-photos

install: $(STAMP)

# Installs exactly what requirements.lock pins (dev tools included) into .venv.
$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

# The GraphQL-over-HTTP audit (tests/api/test_graphql_over_http_audit.py) runs the spec's suite,
# npm graphql-http, under node: installed as tests/audit/package-lock.json pins it, once, when npm
# is there (without node the test is skipped; .ci/run makes it required).
AUDIT := tests/audit
audit-install:
	@if command -v npm >/dev/null 2>&1; then \
		test $(AUDIT)/node_modules/.package-lock.json -nt $(AUDIT)/package-lock.json || \
			npm ci --prefix $(AUDIT) --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the GraphQL-over-HTTP audit test will be skipped"; \
	fi

run: install
	$(DEV_ENV) SEED_DEMO=$${SEED_DEMO:-true} $(BIN)/python -m api serve

test: lint audit-install
	$(BIN)/python -m pytest

# The schema and API tests again with FAST_EXECUTION off: plain Strawberry and graphql-core,
# without the short paths through their internals (schema/core/fastpath.py). The answers must be
# the same; an upgrade of either starts by turning the switch off.
test-slow-path: install audit-install
	FAST_EXECUTION=false $(BIN)/python -m pytest -q -p no:cacheprovider tests/schema tests/api

# The date-sensitive tests (marker `calendar`) again, with the service clock pinned at the edges
# that break calendars (Asia/Shanghai): the last day of a 31-day month (and of a quarter),
# 31 December 23:59 and 1 January 00:00 (the last and first minute of a quarter and a year),
# 28 and 29 February 2028, the first minute of a mid-year quarter. `make test` pins one
# ordinary day; CALENDAR_EDGES overrides the list.
CALENDAR_EDGES ?= 2027-03-31T12:00:00+08:00 2026-12-31T23:59:00+08:00 2027-01-01T00:00:00+08:00 \
	2028-02-28T12:00:00+08:00 2028-02-29T12:00:00+08:00 2027-04-01T00:00:00+08:00
test-calendar: install
	@set -e; for edge in $(CALENDAR_EDGES); do \
		echo "== clock at $$edge"; \
		GRIDPOINTS_TEST_NOW=$$edge $(BIN)/python -m pytest -q -m calendar -p no:cacheprovider; \
	done

# The fuzz test (tests/schema/test_fuzz.py) at length: FUZZ_EXAMPLES generated operations per
# operation and identity (`make test` runs 6), on PostgreSQL too when TEST_POSTGRES_URL is set.
FUZZ_EXAMPLES ?= 100
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/schema/test_fuzz.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(DEV_ENV) $(BIN)/python -m api migrate

# Write a migration for model changes (review it, then commit it).
migrations: install
	$(DEV_ENV) $(BIN)/python -m tortoise -c services.kit.db.TORTOISE_ORM makemigrations

check-migrations: install
	$(DEV_ENV) $(BIN)/python -m api check-migrations

# Recompute every balance, lot, hold and evaluation credit from the ledger; exit 1 on drift.
verify-ledger: install
	$(DEV_ENV) $(BIN)/python -m api verify-ledger

# Consistent online backup of DATABASE_URL into var/backups/ (or TO=file-or-directory).
backup: install
	$(DEV_ENV) $(BIN)/python -m api backup $${TO:+--to "$$TO"}

# Restore BACKUP=file into the empty database TO (default DATABASE_URL), then verify its ledger.
restore: install
	$(DEV_ENV) $(BIN)/python -m api restore "$${BACKUP:?set BACKUP=path/to/backup}" $${TO:+--to "$$TO"}

# Run the periodic jobs once (`python -m api run-jobs`; the server runs them every
# JOBS_INTERVAL_SECONDS).
expire: install
	$(DEV_ENV) $(BIN)/python -m api expire

seed: install
	$(DEV_ENV) $(BIN)/python -m seed demo

scale: install
	$(DEV_ENV) $(BIN)/python -m seed scale --households $${HOUSEHOLDS:-100000}

# Regenerate the committed SDL after a schema change.
schema: install
	$(BIN)/python -m schema --output schema/schema.graphql

# Re-pin dependencies after editing pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 -q
	$(BIN)/uv pip compile pyproject.toml -o requirements.prod.lock --python-version 3.11 -q

bench: install
	$(DEV_ENV) $(BIN)/python -m bench

# Points writes (awards/s, redemptions/s) and the balance read at 1,000,000 ledger entries.
bench-points: install
	$(DEV_ENV) $(BIN)/python -m bench points

# Issue 16: import 100,000 households and 300,000 people into a fresh SQLite (target < 60 s),
# and 10,000 for comparison: seconds and peak RSS per import.
bench-imports: install
	$(DEV_ENV) $(BIN)/python -m bench imports

# Issue 16: peak memory (RSS and tracemalloc) and time of processing one 6000x4000 JPEG (upright
# and EXIF-rotated) and a 4000x3000 PNG, each in a fresh process.
bench-photos: install
	$(DEV_ENV) $(BIN)/python -m bench photos

# Scoring and publishing a quarter: 10,000 role holders, 1,000,000 ledger entries (target < 10 s).
bench-evaluation: install
	$(DEV_ENV) $(BIN)/python -m bench evaluation

# Issue 17: simulateEvaluation on a community of 1,000 role holders (target < 1 s) and a street
# of 10,000 (target < 10 s); nothing written.
bench-whatif: install
	$(DEV_ENV) $(BIN)/python -m bench whatif

# matchesForNeed over 100,000 resources: p50/p99 latency and statements per call.
bench-matching: install
	$(DEV_ENV) $(BIN)/python -m bench matching
# activities(upcoming) for a community among 10,000 activities; sign-ups racing for one activity.
bench-activities: install
	$(DEV_ENV) $(BIN)/python -m bench activities

# Issue 6: placeOrder orders/s and latency with 200 live subscribers, delivery and lag, query plans
# of dispatch (SQLite; --database postgres for PostgreSQL).
bench-orders: install
	$(DEV_ENV) $(BIN)/python -m bench orders

# Issue 7: locust, 200 users of a realistic mix for 60 s on loopback, PostgreSQL with 4 workers
# then SQLite with 1; p50/p95/p99 per operation, then the ledger and every acknowledged write
# reconciled (bench/README.md). USERS, DURATION, DATABASES, WORKERS override the defaults.
bench-load: install
	$(DEV_ENV) $(BIN)/python -m bench loadmix --users $${USERS:-200} --duration $${DURATION:-60s} \
		--database $${DATABASES:-postgres,sqlite} --workers $${WORKERS:-4,1}

clean:
	rm -rf $(VENV) var/*.sqlite3* .mypy_cache .ruff_cache .pytest_cache $(AUDIT)/node_modules
