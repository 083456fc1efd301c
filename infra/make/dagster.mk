# Dagster: the local instance, the UI, and running the whole graph once.
.PHONY: dagster-home dagster run

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@cp infra/dagster/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# make run: what the nightly schedule does, once, against the configured sources
# (with no source settings: the local simulator, started here).
run: dbt-parse warehouse dagster-home simulator-up
	$(PY) -m orchestration.run full_pipeline

# The payroll schema is migrated first so that the bonus dashboards' approval status has its
# table even before the approvals page starts.
pipeline-up:: dagster-home
	$(PY) -m bonus_export migrate
	$(PY) -m orchestration.run full_pipeline

dagster-up:: dagster-home
	@infra/services.sh start dagster http://127.0.0.1:3000/server_info -- \
	  $(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -m orchestration.definitions
