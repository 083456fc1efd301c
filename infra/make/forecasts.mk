# Forecasts: weekly load forecasts, backtest and capacity plan (docs/forecasts.md).
# The Dagster assets (make run / the Monday schedule) do the same; these run it by hand.
.PHONY: forecasts forecast-bench

forecasts: warehouse
	$(PY) -m forecasts run

forecast-bench: warehouse
	$(PY) benchmarks/forecast_bench.py
