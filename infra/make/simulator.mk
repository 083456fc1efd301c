# Source simulator: the generated world (and, below, its servers).
.PHONY: simulator-data

SIM_DIR := $(ROOT)/.local/sim/$(PROFILE)
SIM_END ?=

# Generate $(PROFILE) into .local/sim/$(PROFILE) only if it is missing.
# SIM_END=YYYY-MM-DD moves the world's end date (default 2026-11-01).
simulator-data: setup
	@if [ -f "$(SIM_DIR)/world.sqlite" ]; then \
	  echo "[simulator] $(SIM_DIR)/world.sqlite exists"; \
	else \
	  $(PY) -m source_simulator generate --profile $(PROFILE) --out $(SIM_DIR) $(if $(SIM_END),--end $(SIM_END),); \
	fi
