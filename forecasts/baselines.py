"""Simple forecasts every cleverer model must beat, and the statistical one. All see only the
training weeks and return one value per future week."""

from __future__ import annotations

import numpy as np
import pandas as pd

# simplest first: the order breaks ties, and "no better" than a baseline means the baseline
BASELINES = ("last_week", "moving_average", "same_week_last_year")
YEAR = 52  # weeks: the same ISO week a year earlier, to the weekday
MOVING_AVERAGE_WEEKS = 4


def last_week(train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Every future week = the last training week."""
    return np.full(len(weeks), float(train.iloc[-1]))


def moving_average(train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Every future week = the mean of the last 4 training weeks."""
    return np.full(len(weeks), float(train.iloc[-MOVING_AVERAGE_WEEKS:].mean()))


def same_week_last_year(train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Week w = week w - 52 weeks (NaN when that week is not in the training data)."""
    return train.reindex(weeks - pd.Timedelta(weeks=YEAR)).to_numpy(dtype=float)


def theta(train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """The Theta method (statsforecast): exponential smoothing with half the linear trend,
    deseasonalised over 52 weeks once two years are in the training data (it tests the
    seasonality first)."""
    from statsforecast.models import Theta

    y = train.to_numpy(dtype=float)
    season = YEAR if len(y) >= 2 * YEAR else 1
    try:
        return np.asarray(Theta(season_length=season).forecast(y=y, h=len(weeks))["mean"], dtype=float)
    except Exception:  # noqa: BLE001 - e.g. a multiplicative decomposition of a series with zeros
        return np.asarray(Theta(season_length=1).forecast(y=y, h=len(weeks))["mean"], dtype=float)


SIMPLE = {"last_week": last_week, "moving_average": moving_average, "same_week_last_year": same_week_last_year}


def baseline(name: str, train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    if name in SIMPLE:
        return SIMPLE[name](train, weeks)
    if name == "theta":
        return theta(train, weeks)
    raise ValueError(f"unknown baseline {name!r}; expected one of {(*BASELINES, 'theta')}")
