"""Wall time of the whole forecast set on a warehouse whose marts are built.

    .venv/bin/python benchmarks/forecast_bench.py [--url URL] [--workers N] [--step WEEKS]

Runs what the Dagster forecast assets run (series from the marts, the rolling-origin backtest
of every candidate, the chosen model's final forecast, the capacity plan) and writes the
`forecasts` schema of that warehouse. Prints and returns a dict of figures: series and
fits, seconds per stage, fits per second, the worker count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bench(url: str | None = None, workers: int = 0, step: int | None = None) -> dict[str, object]:
    from forecasts.run import run_all
    from forecasts.settings import ForecastSettings
    from warehouse import warehouse_url

    overrides: dict[str, object] = {"workers": workers}
    if step:
        overrides["backtest_step_weeks"] = step
    settings = ForecastSettings(**overrides)
    started = time.perf_counter()
    figures = run_all(url or warehouse_url(), settings)
    wall = time.perf_counter() - started
    n_series = int(figures["series"])  # type: ignore[arg-type]
    # Prophet (with and without holidays) at every cutoff for at most prophet_max_series series
    fits = min(n_series, settings.prophet_max_series) * 2 * int(figures["cutoffs"])  # type: ignore[arg-type]
    out: dict[str, object] = {
        "benchmark": "forecasts",
        "warehouse": (url or warehouse_url()).split("@")[-1],
        "cpu_count": os.cpu_count(),
        "backtest_step_weeks": settings.backtest_step_weeks,
        "prophet_fits": fits,
        "prophet_fits_per_second": round(fits / figures["seconds_fit"], 1) if figures["seconds_fit"] else None,  # type: ignore[operator]
        "wall_seconds": round(wall, 2),
        **figures,
    }
    print(json.dumps(out, indent=2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="warehouse URL (default: WAREHOUSE_URL)")
    parser.add_argument("--workers", type=int, default=0, help="fit processes (0 = auto, at most 2)")
    parser.add_argument("--step", type=int, default=None, help="weeks between backtest cutoffs")
    args = parser.parse_args()
    bench(args.url, args.workers, args.step)


if __name__ == "__main__":
    main()
