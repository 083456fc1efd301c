"""Prophet on weekly data: fit with or without the holiday regressor, predict with 80% intervals.

The MAP fit (no MCMC) is deterministic given the data; the interval sampling draws from
numpy's global generator, so `predict` seeds it first: same data -> same numbers. The
forecast run uses Prophet's line only; its band comes from the backtest (forecasts/intervals.py).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from forecasts.calendar import HOLIDAY_REGRESSOR, holiday_frame
from forecasts.checks import check_weekly
from forecasts.settings import ForecastSettings


def quiet_logs() -> None:
    """cmdstanpy logs every chain at INFO; prophet.plot complains that plotly is missing."""
    for name in ("cmdstanpy", "prophet.plot"):
        logging.getLogger(name).disabled = True
    # Prophet warns about yearly seasonality under two years of history: the choice is
    # deliberate (settings.yearly_min_weeks) and the backtest judges it.
    logging.getLogger("prophet").setLevel(logging.ERROR)


quiet_logs()

from prophet import Prophet  # noqa: E402  (after the loggers are silenced)
from prophet import __version__ as PROPHET_VERSION  # noqa: E402,N812
from prophet.serialize import model_from_json, model_to_json  # noqa: E402

quiet_logs()  # again: importing prophet.forecaster resets its logger to INFO

__all__ = ["PROPHET_VERSION", "fit", "model_from_json", "model_to_json", "predict", "training_frame"]


def training_frame(values: pd.Series, holidays: bool = True, country: str = "RU") -> pd.DataFrame:
    """`ds`, `y` and (with `holidays`) the holiday regressor for a weekly series."""
    frame = pd.DataFrame({"ds": values.index, "y": values.to_numpy(dtype=float)})
    if holidays:
        frame[HOLIDAY_REGRESSOR] = holiday_frame(values.index, country).to_numpy()
    return frame


def future_frame(last_week: pd.Timestamp, horizon: int, holidays: bool = True, country: str = "RU") -> pd.DataFrame:
    weeks = pd.date_range(last_week + pd.Timedelta(days=7), periods=horizon, freq="W-MON")
    frame = pd.DataFrame({"ds": weeks})
    if holidays:
        frame[HOLIDAY_REGRESSOR] = holiday_frame(weeks, country).to_numpy()
    return frame


def build(n_weeks: int, settings: ForecastSettings, uncertainty: bool, holidays: bool = True) -> Prophet:
    yearly: bool | int = settings.yearly_fourier_order if n_weeks >= settings.yearly_min_weeks else False
    model = Prophet(
        growth="linear",
        yearly_seasonality=yearly,
        weekly_seasonality=False,
        daily_seasonality=False,
        seasonality_mode=settings.seasonality_mode,
        seasonality_prior_scale=settings.seasonality_prior_scale,
        changepoint_prior_scale=settings.changepoint_prior_scale,
        interval_width=settings.interval_width,
        uncertainty_samples=settings.uncertainty_samples if uncertainty else 0,
    )
    if holidays:
        model.add_regressor(HOLIDAY_REGRESSOR, standardize=False, mode=settings.seasonality_mode)
    return model


def fit(values: pd.Series, settings: ForecastSettings, uncertainty: bool = True, holidays: bool = True) -> Prophet:
    """Fit on every week of `values` (week-start index, no gaps: checked)."""
    check_weekly(values)
    if len(values) < 2:
        raise ValueError(f"a Prophet fit needs at least 2 weeks, got {len(values)}")
    model = build(len(values), settings, uncertainty, holidays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside prophet
        # a holiday-free history (short series) gives a constant regressor: keep it, prior-bound
        model.fit(training_frame(values, holidays, settings.company_country), algorithm="LBFGS")
    model.holiday_country = settings.company_country  # for predict's future regressor
    return model


def predict(model: Prophet, horizon: int, seed: int) -> pd.DataFrame:
    """`ds`, `yhat`, `yhat_lower`, `yhat_upper` for the `horizon` weeks after the history;
    a series that was never negative (a count, an hour total) is not forecast below 0, so
    all three are then clipped at 0."""
    last = pd.Timestamp(model.history["ds"].max())
    np.random.seed(seed)
    holidays = HOLIDAY_REGRESSOR in model.extra_regressors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside prophet
        out = model.predict(future_frame(last, horizon, holidays, getattr(model, "holiday_country", "RU")))
    cols = ["yhat", "yhat_lower", "yhat_upper"]
    result = out[["ds", "yhat"]].copy()
    for col in cols[1:]:  # absent when fitted with uncertainty_samples=0 (backtests)
        result[col] = out.get(col, np.nan)
    if model.history["y"].min() >= 0:
        result[cols] = result[cols].clip(lower=0.0)
    return result.reset_index(drop=True)
