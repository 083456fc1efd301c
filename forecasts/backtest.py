"""Rolling-origin backtest on fixed cutoffs, and its scores (MASE, MAPE, bias, coverage).

Cutoffs: a cutoff every `backtest_step_weeks` over the last `backtest_weeks` complete weeks
(default: every 2 weeks over 52, 26 cutoffs). At a cutoff every candidate sees only the weeks
up to and including it and forecasts up to `horizon_weeks` ahead (truncated at the last
complete week). A cutoff with fewer than `min_train_weeks` of training is not used. Every
candidate of a series is scored on the same points: same week last year (and the ensemble
with it) is a candidate only when every used cutoff has a year of training. Never in-sample.

MASE scales each absolute error by the in-sample error of the seasonal naive forecast of
that cutoff's training data (mean |y_t - y_{t-52}|) when it holds two years, else of the
naive one (mean |y_t - y_{t-1}|); a flat history has no scale and its points no MASE.
MAPE is in percent over points with a non-zero actual; bias is sum(yhat - actual) /
sum(|actual|) in percent; coverage is the share of actuals inside the conformal band
(forecasts/intervals.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.baselines import BASELINES, SIMPLE, YEAR, theta
from forecasts.checks import check_weekly
from forecasts.intervals import coverage
from forecasts.settings import ForecastSettings

# every candidate, simplest first (the order breaks ties)
MODELS = (*BASELINES, "theta", "ensemble", "prophet", "prophet_holidays")
POINT_COLUMNS = ["model", "cutoff", "week_start", "horizon", "actual", "yhat", "scale"]


def cutoffs(last_week: pd.Timestamp, settings: ForecastSettings) -> list[pd.Timestamp]:
    first = last_week - pd.Timedelta(weeks=settings.backtest_weeks)
    step = pd.Timedelta(weeks=settings.backtest_step_weeks)
    out = []
    cut = first
    while cut < last_week:
        out.append(cut)
        cut += step
    return out


def mase_scale(train: np.ndarray) -> float:
    """The in-sample MAE of the seasonal naive forecast (two years and more), else of the naive one."""
    if len(train) >= 2 * YEAR:
        seasonal = float(np.abs(train[YEAR:] - train[:-YEAR]).mean())
        if seasonal > 0:
            return seasonal
    diffs = np.abs(np.diff(train))
    scale = float(diffs.mean()) if len(diffs) else 0.0
    return scale if scale > 0 else np.nan


def candidates(values: pd.Series, cuts: list[pd.Timestamp], settings: ForecastSettings,
               prophet: bool = True, holidays: bool = False) -> tuple[list[pd.Timestamp], tuple[str, ...]]:
    """The cutoffs used for `values` and the candidates that can forecast at all of them."""
    last = values.index[-1]
    used = [c for c in cuts if c < last and (values.index <= c).sum() >= settings.min_train_weeks]
    models = ["last_week", "moving_average"]
    if used and (values.index <= used[0]).sum() >= YEAR:
        models.append("same_week_last_year")
    models.append("theta")
    if prophet:
        models.append("prophet")
        if holidays:
            models.append("prophet_holidays")
    if len(models) >= 3:
        models.append("ensemble")
    return used, tuple(m for m in MODELS if m in models)


def forecast_with(name: str, train: pd.Series, weeks: pd.DatetimeIndex, settings: ForecastSettings) -> np.ndarray:
    """One candidate's forecast for `weeks` (not the ensemble: it needs the others)."""
    if name in SIMPLE:
        yhat = SIMPLE[name](train, weeks)
    elif name == "theta":
        yhat = theta(train, weeks)
    elif name in ("prophet", "prophet_holidays"):
        from forecasts.model import fit, predict  # prophet is heavy: import where used

        model = fit(train, settings, uncertainty=False, holidays=name == "prophet_holidays")
        yhat = predict(model, len(weeks), settings.seed)["yhat"].to_numpy(dtype=float)
    else:
        raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
    if train.min() >= 0:  # a count or an hour total is never forecast below 0
        yhat = np.clip(yhat, 0, None)
    return yhat


def forecast_all_candidates(models: tuple[str, ...], train: pd.Series, weeks: pd.DatetimeIndex,
                            settings: ForecastSettings) -> dict[str, np.ndarray]:
    out = {m: forecast_with(m, train, weeks, settings) for m in models if m != "ensemble"}
    if "ensemble" in models:
        out["ensemble"] = np.median(np.vstack(list(out.values())), axis=0)
    return out


def backtest(values: pd.Series, cuts: list[pd.Timestamp], settings: ForecastSettings,
             prophet: bool = True, holidays: bool = False) -> pd.DataFrame:
    """Forecast points of every candidate at every usable cutoff (columns POINT_COLUMNS)."""
    check_weekly(values)
    used, models = candidates(values, cuts, settings, prophet, holidays)
    frames = []
    for cut in used:
        train = values[:cut]
        actual = values[cut + pd.Timedelta(days=1):][: settings.horizon_weeks]
        weeks = pd.DatetimeIndex(actual.index)
        scale = mase_scale(train.to_numpy(dtype=float))
        for name, yhat in forecast_all_candidates(models, train, weeks, settings).items():
            frames.append(pd.DataFrame({
                "model": name, "cutoff": cut, "week_start": weeks, "horizon": np.arange(1, len(weeks) + 1),
                "actual": actual.to_numpy(dtype=float), "yhat": yhat, "scale": scale,
            }))
    if not frames:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["_order"] = out["model"].map(MODELS.index)
    return out.sort_values(["_order", "cutoff", "week_start"], kind="stable").drop(columns="_order").reset_index(drop=True)


@dataclass(frozen=True)
class Score:
    model: str
    cutoffs: list[pd.Timestamp]
    n_points: int
    mape: float | None
    mase: float | None
    is_best: bool
    bias: float | None = None  # percent: sum(yhat - actual) / sum(|actual|)
    coverage: float | None = None  # share of actuals inside the 80 % conformal band


def _or_none(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def score(points: pd.DataFrame, settings: ForecastSettings | None = None) -> list[Score]:
    """One score per candidate on the points every candidate forecast (is_best: lowest MASE,
    then MAPE, then the simpler model; `forecasts.choice` applies the "no better" rule)."""
    settings = settings or ForecastSettings()
    if points.empty:
        return []
    models = [m for m in MODELS if m in set(points["model"])]
    wide = points.pivot_table(index=["cutoff", "week_start"], columns="model", values="yhat", aggfunc="first")
    if any(m not in wide.columns for m in models):  # a candidate without any forecast: nothing in common
        wide = wide.iloc[0:0]
    complete = wide.dropna(subset=[m for m in models if m in wide.columns])
    keep = points.set_index(["cutoff", "week_start"]).index.isin(complete.index)
    pts = points[keep]
    scores = []
    for name in models:
        p = pts[pts["model"] == name]
        if p.empty:
            scores.append(Score(name, [], 0, None, None, False))
            continue
        err = (p["actual"] - p["yhat"]).abs()
        nz = p["actual"] != 0
        scaled = p["scale"] > 0
        mape = float((err[nz] / p["actual"][nz].abs()).mean() * 100) if nz.any() else None
        mase = float((err[scaled] / p["scale"][scaled]).mean()) if scaled.any() else None
        total = float(p["actual"].abs().sum())
        bias = float((p["yhat"] - p["actual"]).sum() / total * 100) if total > 0 else None
        cov = coverage(p, settings.interval_width, settings.horizon_weeks)
        scores.append(Score(name, sorted(p["cutoff"].unique()), len(p), _or_none(mape), _or_none(mase), False,
                            _or_none(bias), cov))
    ranked = sorted(
        (s for s in scores if s.mase is not None),
        key=lambda s: (s.mase, s.mape if s.mape is not None else np.inf, MODELS.index(s.model)),
    )
    best = ranked[0].model if ranked else None
    return [Score(s.model, s.cutoffs, s.n_points, s.mape, s.mase, s.model == best, s.bias, s.coverage)
            for s in scores]
