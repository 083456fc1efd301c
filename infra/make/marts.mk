# KPI / bonus / contract marts (docs/marts.md).
.PHONY: marts-verify marts-test

# Recompute every bonus from the simulator's truth (at the running simulator's clock, else the
# world's default clock) and compare with marts.mart_bonus_lines / mart_bonus_summary.
# The re-computation is test code (tests/bonus_reference), not shipped.
marts-verify: warehouse
	@now=$$(curl -fsS http://127.0.0.1:$${SIM_PORT:-8070}/_sim/clock 2>/dev/null | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["now"])' || true); \
	rm -rf $(ROOT)/.local/marts/truth-$(PROFILE); \
	$(PY) -m source_simulator truth --world $(ROOT)/.local/sim/$(PROFILE)/world.sqlite $${now:+--now $$now} --out $(ROOT)/.local/marts/truth-$(PROFILE) >/dev/null; \
	PYTHONPATH=$(ROOT)/tests $(PY) -m bonus_reference verify --truth $(ROOT)/.local/marts/truth-$(PROFILE)

marts-test: setup warehouse
	$(PY) -m pytest tests/marts $(PYTEST_ARGS)
