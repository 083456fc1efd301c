# One screen for a service company. `make demo` and `make test` are the two commands a
# newcomer needs; everything else here is what they are made of.
#
# Each area of the project adds its targets in infra/make/<area>.mk. The demo steps below
# are double-colon rules: the area files add recipes to them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
SUPERSET_VENV := $(ROOT)/.local/superset-venv
PROFILE ?= demo

export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DAGSTER_HOME ?= $(ROOT)/.local/dagster_home
export PYTHONUNBUFFERED := 1
# Unset WAREHOUSE_URL means the private cluster (infra/warehouse.sh); warehouse/settings.py
# holds its URL.

.PHONY: help setup superset-venv chromium warehouse demo test stop psql run bench lint \
        simulator-up pipeline-up superset-up dagster-up approvals-up demo-info

help:
	@echo "make demo   - set everything up, load the demo world, start the UIs, print where to look"
	@echo "make test   - set everything up and run the whole test suite"
	@echo "make stop   - stop everything make demo started"
	@echo "make psql   - a psql shell on the warehouse"
	@echo "make run    - materialise the whole graph once against the configured sources"
	@echo "make users  - create the Superset admin and the users of SUPERSET_USERS_FILE once (docs/deploy.md)"
	@echo "make bench  - benchmarks (figures and ratios; see README)"
	@echo "make lint   - ruff, and the dbt macro lint (tools/dbt_lint.py: size, overrides, dead macros)"

# ------------------------------------------------------------------ set-up
$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install -q uv
	# bytecode compiled once at install (as a production image does): every dbt, extractor and
	# Dagster process otherwise re-compiles its imports (~1-2 s each where PYTHONDONTWRITEBYTECODE is set)
	uv sync --frozen --compile-bytecode
	@touch $@

setup: $(VENV)/.synced
	@# the project's own modules too (stale ones are simply re-compiled in memory)
	@$(PY) -m compileall -q -j 0 warehouse extractors orchestration forecasts bonus_export source_simulator benchmarks >/dev/null || true

$(SUPERSET_VENV)/.installed: infra/superset/requirements.txt
	@command -v uv >/dev/null || python3 -m pip install -q uv
	uv venv -q --allow-existing --python 3.11 $(SUPERSET_VENV)
	uv pip install -q --compile-bytecode --python $(SUPERSET_VENV)/bin/python -r infra/superset/requirements.txt
	@touch $@

superset-venv: $(SUPERSET_VENV)/.installed

# Debian's chromium, for the browser tests (Playwright drives it with executable_path).
chromium:
	@if ! command -v chromium >/dev/null; then \
	  echo "installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

warehouse: setup
	@if [ -z "$${WAREHOUSE_URL:-}" ]; then infra/warehouse.sh start; else echo "[warehouse] using WAREHOUSE_URL"; fi

# ------------------------------------------------------------------ demo
simulator-up::
pipeline-up::
superset-up::
dagster-up::
approvals-up::

# The demo and the tests run in APP_ENV=demo whatever the shell says (the simulator's tokens,
# the demo users' known passwords); every other use sets APP_ENV=production (docs/deploy.md).
demo test: export APP_ENV = demo
demo: setup dbt-parse superset-venv warehouse simulator-up pipeline-up superset-up dagster-up approvals-up demo-info

demo-info:
	@$(PY) -m infra.demo_info

stop:
	@infra/services.sh stop-all
	@if [ -z "$${WAREHOUSE_URL:-}" ]; then infra/warehouse.sh stop; fi

psql: warehouse
	@psql "$$($(PY) -c 'import warehouse; print(warehouse.libpq_url(warehouse.warehouse_url()))')"

# ------------------------------------------------------------------ tests
test: setup dbt-parse superset-venv chromium warehouse
	$(PY) -m pytest $(PYTEST_ARGS)

# make bench [BENCH_PROFILE=large|demo|tiny]: figures and ratios, benchmarks/results.json.
BENCH_PROFILE ?= large
bench: setup dbt-parse superset-venv warehouse
	$(PY) -m benchmarks.run --profile $(BENCH_PROFILE) $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python tools/dbt_lint.py

-include infra/make/*.mk
