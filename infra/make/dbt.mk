# dbt core (dbt_project/, docs/dbt.md): manifest for Dagster, build, docs.
.PHONY: dbt-parse dbt-build dbt-docs

DBT := $(VENV)/bin/dbt
DBT_FLAGS := --project-dir $(ROOT)/dbt_project --profiles-dir $(ROOT)/dbt_project
# profiles.yml reads WAREHOUSE_HOST/PORT/USER/PASSWORD/DBNAME; derive them from WAREHOUSE_URL.
DBT_ENV = eval "$$($(PY) -c 'import warehouse, shlex; print(" ".join(f"export {k}={shlex.quote(v)}" for k, v in warehouse.dbt_env().items()))')"

# The manifest the Dagster definitions load (no database needed).
dbt-parse: setup
	$(DBT) parse $(DBT_FLAGS) --quiet

dbt-build: warehouse
	$(DBT_ENV) && $(DBT) build $(DBT_FLAGS)

dbt-docs: warehouse
	$(DBT_ENV) && $(DBT) docs generate $(DBT_FLAGS)
