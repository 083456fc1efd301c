"""Rolling-origin backtest on fixed cutoffs, and its scores (MAPE, MASE).

Cutoffs: the last `backtest_weeks` complete weeks are the evaluation window; a cutoff every
`backtest_step_weeks` from its start (default: 7 cutoffs, every 4 weeks, over 26 weeks). At a cutoff every
model sees only the weeks up to and including it and forecasts up to `horizon_weeks` ahead
(truncated at the last complete week). Prophet and both baselines are scored on the same
points: those where all three have a forecast (same week last year needs that week in the
training data). Never in-sample.

MAPE is in percent over points with a non-zero actual. MASE scales each absolute error by
the mean absolute week-to-week change of that cutoff's training data (the in-sample
one-step naive error), averaged over all points; a cutoff with a flat history has no MASE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.baselines import BASELINES, MODELS, baseline
from forecasts.settings import ForecastSettings

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


def backtest(values: pd.Series, cuts: list[pd.Timestamp], settings: ForecastSettings) -> pd.DataFrame:
    """Forecast points of every model at every usable cutoff (columns POINT_COLUMNS)."""
    from forecasts.model import fit, predict  # prophet is heavy: import where used

    frames = []
    last = values.index[-1]
    for cut in cuts:
        train = values[:cut]
        if len(train) < settings.min_train_weeks or cut >= last:
            continue
        actual = values[cut + pd.Timedelta(days=1):][: settings.horizon_weeks]
        weeks = pd.DatetimeIndex(actual.index)
        diffs = np.abs(np.diff(train.to_numpy(dtype=float)))
        scale = float(diffs.mean()) if len(diffs) else np.nan
        predictions = {"prophet": predict(fit(train, settings, uncertainty=False), len(weeks), settings.seed)}
        for name in BASELINES:
            predictions[name] = pd.DataFrame({"ds": weeks, "yhat": baseline(name, train, weeks)})
        for name in MODELS:
            pred = predictions[name]
            frames.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "cutoff": cut,
                        "week_start": weeks,
                        "horizon": np.arange(1, len(weeks) + 1),
                        "actual": actual.to_numpy(dtype=float),
                        "yhat": pred["yhat"].to_numpy(dtype=float),
                        "scale": scale,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=POINT_COLUMNS)
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Score:
    model: str
    cutoffs: list[pd.Timestamp]
    n_points: int
    mape: float | None
    mase: float | None
    is_best: bool


def score(points: pd.DataFrame) -> list[Score]:
    """One score per model on the points every model forecast; the best has the lowest MASE
    (then MAPE; ties go to the model listed first in MODELS: prophet). A series too short for
    any common point (same week last year needs a year of training data) gets a row per
    model with no figures and no best."""
    unscored = [Score(m, [], 0, None, None, False) for m in MODELS]
    if points.empty:
        return unscored
    wide = points.pivot_table(index=["cutoff", "week_start"], columns="model", values="yhat", aggfunc="first")
    if any(m not in wide.columns for m in MODELS):
        return unscored
    complete = wide.dropna(subset=list(MODELS))
    if complete.empty:
        return unscored
    keep = points.set_index(["cutoff", "week_start"]).index.isin(complete.index)
    pts = points[keep]
    scores = []
    for name in MODELS:
        p = pts[pts["model"] == name]
        err = (p["actual"] - p["yhat"]).abs()
        nz = p["actual"] != 0
        scaled = p["scale"] > 0
        mape = float((err[nz] / p["actual"][nz].abs()).mean() * 100) if nz.any() else None
        mase = float((err[scaled] / p["scale"][scaled]).mean()) if scaled.any() else None
        scores.append(Score(name, sorted(p["cutoff"].unique()), len(p), mape, mase, False))
    ranked = sorted(
        scores,
        key=lambda s: (
            s.mase if s.mase is not None else np.inf,
            s.mape if s.mape is not None else np.inf,
            MODELS.index(s.model),
        ),
    )
    best = ranked[0].model
    return [Score(s.model, s.cutoffs, s.n_points, s.mape, s.mase, s.model == best) for s in scores]
