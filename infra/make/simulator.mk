# Source simulator: the generated world (and, below, its servers).
.PHONY: simulator-data

SIM_DIR := $(ROOT)/.local/sim/$(PROFILE)
# The demo world ends today (its clock starts at today's midnight, Moscow); other profiles
# keep the fixed default end 2026-11-01 unless SIM_END=YYYY-MM-DD is given.
SIM_END ?= $(if $(filter demo,$(PROFILE)),$(shell date -u +%F),)

# Generate $(PROFILE) into .local/sim/$(PROFILE) only if it is missing.
simulator-data: setup
	@if [ -f "$(SIM_DIR)/world.sqlite" ]; then \
	  echo "[simulator] $(SIM_DIR)/world.sqlite exists"; \
	else \
	  $(PY) -m source_simulator generate --profile $(PROFILE) --out $(SIM_DIR) $(if $(SIM_END),--end $(SIM_END),); \
	fi

# ------------------------------------------------------------------ servers (one HTTP app, port 8070)
# SIM_FAULTS=rate_limit,server_error,... (and SIM_FAULT_RATE, SIM_FAULT_SEED) switch faults on.
.PHONY: simulator-server simulator-stop
SIM_PORT ?= 8070

simulator-up:: simulator-data
	@infra/services.sh start simulator http://127.0.0.1:$(SIM_PORT)/_sim/health -- \
	  $(PY) -m source_simulator.servers --world $(SIM_DIR)/world.sqlite --port $(SIM_PORT)

simulator-server: simulator-up

simulator-stop:
	@infra/services.sh stop simulator

# Throughput of the simulator server over $(PROFILE) (figures in docs/simulator-servers.md).
.PHONY: simulator-bench
simulator-bench: simulator-data
	$(PY) -m source_simulator.servers.bench --world $(SIM_DIR)/world.sqlite
