"""Weekly load forecasts: series from the marts, Prophet with Russian holidays, baselines,
a rolling-origin backtest and the capacity plan. Pure library code (no Dagster here);
`orchestration/defs/forecasts.py` wraps it in assets. See docs/forecasts.md."""
