# Bonus approvals page (port 8090) and the payroll export (bonus_export/, docs/approvals.md).
.PHONY: approvals-migrate payroll-export

approvals-migrate: warehouse
	$(PY) -m bonus_export migrate

# make payroll-export [PERIOD=YYYY-MM]: what the Dagster job payroll_export does, from the shell.
payroll-export: warehouse
	$(PY) -m bonus_export export $(if $(PERIOD),--period $(PERIOD),)

approvals-up:: warehouse
	$(PY) -m bonus_export migrate
	@infra/services.sh start approvals http://127.0.0.1:8090/health -- $(PY) -m bonus_export serve --port 8090
