# dbt core (dbt_project/, docs/dbt.md): manifest for Dagster, build, docs.
.PHONY: dbt-parse dbt-build dbt-unit dbt-docs

DBT := $(VENV)/bin/dbt
DBT_FLAGS := --project-dir $(ROOT)/dbt_project --profiles-dir $(ROOT)/dbt_project
# profiles.yml reads WAREHOUSE_HOST/PORT/USER/PASSWORD/DBNAME (derived from WAREHOUSE_URL), the
# company_tz macro COMPANY_TZ: warehouse.dbt_env() gives both.
DBT_ENV = eval "$$($(PY) -c 'import warehouse, shlex; print(" ".join(f"export {k}={shlex.quote(v)}" for k, v in warehouse.dbt_env().items()))')"

# The manifest the Dagster definitions load (no database needed).
dbt-parse: setup
	$(DBT_ENV) && $(DBT) parse $(DBT_FLAGS) --quiet

# models + data tests (what the Dagster assets run); unit tests are CI's: `make dbt-unit`
dbt-build: warehouse
	$(DBT_ENV) && $(DBT) build $(DBT_FLAGS) --exclude-resource-type unit_test

# dbt unit tests (the incremental ones need the models built once: run dbt-build first)
dbt-unit: warehouse
	$(DBT_ENV) && $(DBT) test $(DBT_FLAGS) --select test_type:unit

dbt-docs: warehouse
	$(DBT_ENV) && $(DBT) docs generate $(DBT_FLAGS)
