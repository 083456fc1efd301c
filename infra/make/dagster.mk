# Dagster: the local instance, the UI, and running the whole graph once.
.PHONY: dagster-home dagster run

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@cp infra/dagster/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# make run: what the nightly schedule does, once, against the configured sources
# (with no source settings at all: the local simulator, started here; with any source
# configured nothing is started, and an unset one fails naming its variable in production).
SOURCES_CONFIGURED := $(strip $(HELPDESK_URL)$(SCHEDULE_URL)$(ONEC_URL)$(REGISTRY_PATH))
run: dbt-parse warehouse dagster-home $(if $(SOURCES_CONFIGURED),,simulator-up)
	$(PY) -m orchestration.run full_pipeline

# The payroll schema is migrated first so that the bonus dashboards' approval status has its
# table even before the approvals page starts.
pipeline-up:: dagster-home
	$(PY) -m bonus_export migrate
	$(PY) -m orchestration.run full_pipeline

dagster-up:: dagster-home
	@infra/services.sh start dagster http://127.0.0.1:3000/server_info -- \
	  $(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000 -m orchestration.definitions
