"""The two baselines Prophet must beat. Both see only the training weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd

BASELINES = ("last_week", "same_week_last_year")
MODELS = ("prophet", *BASELINES)  # the order also breaks ties in `is_best`
YEAR = pd.Timedelta(weeks=52)  # the same ISO week a year earlier, to the weekday


def last_week(train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Every future week = the last training week."""
    return np.full(len(weeks), float(train.iloc[-1]))


def same_week_last_year(train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Week w = week w - 52 weeks (NaN when that week is not in the training data)."""
    return train.reindex(weeks - YEAR).to_numpy(dtype=float)


def baseline(name: str, train: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    if name == "last_week":
        return last_week(train, weeks)
    if name == "same_week_last_year":
        return same_week_last_year(train, weeks)
    raise ValueError(f"unknown baseline {name!r}; expected one of {BASELINES}")
