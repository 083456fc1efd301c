"""Synthetic weekly series with known parts (no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasts.calendar import holiday_frame


def weeks(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="W-MON")


def seasonal_truth(index: pd.DatetimeIndex, level: float = 1000.0, slope: float = 2.0, amplitude: float = 150.0,
                   origin: str = "2023-01-02") -> pd.Series:
    """level + slope per week + a yearly sine (period 365.25 days), no noise."""
    t_weeks = (index - pd.Timestamp(origin)).days / 7.0
    t_years = (index - pd.Timestamp(origin)).days / 365.25
    return pd.Series(level + slope * t_weeks + amplitude * np.sin(2 * np.pi * t_years), index=index)


def holiday_truth(index: pd.DatetimeIndex, level: float = 1000.0, per_day: float = 0.2) -> pd.Series:
    """A flat load with a mild yearly swing, each Russian non-working weekday costing `per_day`."""
    t_years = (index - pd.Timestamp("2023-01-02")).days / 365.25
    h = holiday_frame(index).to_numpy()
    return pd.Series(level * (1 + 0.05 * np.sin(2 * np.pi * t_years)) * (1 - per_day * h), index=index)


def noisy(truth: pd.Series, sd: float, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    return truth + rng.normal(0, sd, len(truth))
