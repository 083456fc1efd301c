"""Bands from the backtest's own errors (split conformal, per horizon step).

The residuals `actual - yhat` of a model's backtest points at horizon h (pooled with h-1 and
h+1: a year of cutoffs gives ~25 points per step, too few alone for a 10 % tail) give the
band's offsets: its lower and upper quantiles at (1 - width) / 2 and (1 + width) / 2, with
the split-conformal finite-sample correction (ranks from n + 1, so the band is not too narrow
on a few dozen residuals). The
final forecast's band is yhat + those offsets; the stored coverage is measured honestly,
each cutoff's points against a band built from the other cutoffs' residuals only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POOL = 1  # neighbouring horizon steps pooled on each side


def offsets(horizons: np.ndarray, residuals: np.ndarray, max_h: int, width: float) -> np.ndarray:
    """(max_h, 2) array: the lower and upper offset for horizon 1..max_h (NaN without residuals)."""
    out = np.full((max_h, 2), np.nan)
    ok = np.isfinite(residuals)
    horizons, residuals = horizons[ok], residuals[ok]
    if not len(residuals):
        return out
    for h in range(1, max_h + 1):
        r = residuals[np.abs(horizons - h) <= POOL]
        if len(r) < 5:  # beyond the backtest's reach: the widest step it has
            r = residuals[horizons >= horizons.max() - POOL]
        n = len(r)
        lo = max(np.floor((n + 1) * (1 - width) / 2), 1) / n
        hi = min(np.ceil((n + 1) * (1 + width) / 2), n) / n
        out[h - 1] = np.quantile(r, [lo, hi], method="inverted_cdf")
    return out


def band(yhat: np.ndarray, off: np.ndarray, clip_zero: bool) -> tuple[np.ndarray, np.ndarray]:
    h = len(yhat)
    lower = yhat + np.nan_to_num(off[:h, 0])
    upper = yhat + np.nan_to_num(off[:h, 1])
    lower, upper = np.minimum(lower, yhat), np.maximum(upper, yhat)
    if clip_zero:
        lower, upper = np.clip(lower, 0, None), np.clip(upper, 0, None)
    return lower, upper


def coverage(points: pd.DataFrame, width: float, max_h: int) -> float | None:
    """Share of the points (one model: cutoff, horizon, actual, yhat) inside a band built from
    the other cutoffs' residuals."""
    if points.empty:
        return None
    cut = points["cutoff"].to_numpy()
    h = points["horizon"].to_numpy(dtype=int)
    res = (points["actual"] - points["yhat"]).to_numpy(dtype=float)
    inside = []
    for c in np.unique(cut):
        mine = cut == c
        if (~mine).sum() < 5:
            continue
        off = offsets(h[~mine], res[~mine], max_h, width)
        lo, hi = off[h[mine] - 1, 0], off[h[mine] - 1, 1]
        r = res[mine]
        inside.append((r >= lo) & (r <= hi))
    if not inside:
        return None
    return float(np.concatenate(inside).mean())
