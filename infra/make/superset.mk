# Superset: the dashboards of superset_assets/ on http://127.0.0.1:8088 (docs/superset.md).
#   make superset         init the metadata, start the server, import the bundle, roles, users, RLS
#   make superset-export  export the current dashboards back into superset_assets/bundle/
#   make superset-stop    stop the server
#   make screenshots      pictures of every dashboard of the running demo into docs/img/
SUPERSET_PORT ?= 8088
SUPERSET_URL ?= http://127.0.0.1:$(SUPERSET_PORT)
export SUPERSET_URL

.PHONY: superset superset-init superset-start superset-load superset-export superset-stop superset-check screenshots

superset-init: superset-venv
	@mkdir -p .local/log
	@infra/superset/run.sh init >.local/log/superset-init.log 2>&1 || \
	  { echo "[superset] init failed; see .local/log/superset-init.log" >&2; tail -n 30 .local/log/superset-init.log >&2; exit 1; }
	@echo "[superset] metadata ready"

superset-start: superset-init
	@infra/services.sh start superset $(SUPERSET_URL)/health -- infra/superset/run.sh serve $(SUPERSET_PORT)

superset-load: setup
	@$(PY) -m superset_assets.loader load

superset: superset-start superset-load

superset-export: setup
	@$(PY) -m superset_assets.loader export

superset-check: setup
	@$(PY) -m superset_assets.loader check

screenshots: setup chromium
	@$(PY) -m tools.superset.screenshots

superset-stop:
	@infra/services.sh stop superset

superset-up:: superset

# make users: the admin user and the users of SUPERSET_USERS_FILE (default: security.yaml's),
# each created once with the password in its variable (SUPERSET_PASSWORD_<USERNAME>); existing
# users are left as they are. Production's only way to create users (docs/deploy.md).
.PHONY: users
users: setup superset-venv
	@infra/superset/run.sh admin
	@$(PY) -m superset_assets.loader users
