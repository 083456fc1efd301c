"""`python -m forecasts run [--url URL]`: the whole forecast set once (what the assets do)."""

from __future__ import annotations

import json

import typer

from forecasts.run import run_all
from forecasts.settings import ForecastSettings

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.command()
def run(url: str = typer.Option(None, help="warehouse URL (default: WAREHOUSE_URL)")) -> None:
    """Series from the marts, forecasts, backtest and capacity plan into the forecasts schema."""
    from warehouse import warehouse_url

    print(json.dumps(run_all(url or warehouse_url(), ForecastSettings()), indent=2))


@app.command()
def version() -> None:
    """The model_version the current settings produce."""
    from forecasts.run import model_version

    print(model_version(ForecastSettings()))


if __name__ == "__main__":
    app()
