"""Preconditions of every fit and backtest: a gap-free weekly series on week starts.

A NaN would silently turn every score into None, a missing week would shift forecasts
against the wrong actuals, and a label on another weekday would shift the holiday counts:
each is refused with the offending week named, before any model runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK = pd.Timedelta(days=7)


class SeriesError(ValueError):
    """A series that no model may be fitted on as it is."""


def check_weekly(values: pd.Series, name: str = "series") -> None:
    """Raise SeriesError unless `values` is indexed by consecutive Mondays (00:00) with finite values."""
    if not isinstance(values.index, pd.DatetimeIndex):
        raise SeriesError(f"{name}: the index must be week-start dates (a DatetimeIndex), got {type(values.index).__name__}")
    if len(values) == 0:
        raise SeriesError(f"{name}: no weeks")
    index = values.index
    off = index[(index.day_of_week != 0) | (index != index.normalize())]
    if len(off):
        raise SeriesError(f"{name}: weeks must start on a Monday at 00:00; {off[0].date()} "
                          f"is a {off[0].day_name()}" + (f" ({len(off)} such labels)" if len(off) > 1 else ""))
    steps = np.asarray(index[1:] - index[:-1])
    if (steps <= np.timedelta64(0)).any():
        bad = index[1:][steps <= np.timedelta64(0)][0]
        raise SeriesError(f"{name}: weeks must be in order without repeats; {bad.date()} is out of order or repeated")
    gaps = np.flatnonzero(steps != WEEK.to_timedelta64())
    if len(gaps):
        before = index[gaps[0]]
        raise SeriesError(f"{name}: missing week {(before + WEEK).date()} (after {before.date()}); "
                          "give every week a value (0 for a week without events)")
    arr = values.to_numpy(dtype=float)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise SeriesError(f"{name}: no value (NaN) for the week of {index[bad][0].date()}"
                          + (f" and {int(bad.sum()) - 1} more" if bad.sum() > 1 else "")
                          + "; fill it (0 for a week without events) or cut the series before it")
