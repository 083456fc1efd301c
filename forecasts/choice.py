"""Which model forecasts a series: the backtest decides, simpler models win ties.

1. A series that no model can be judged on falls back to a simple model, with the reason:
   fewer weeks than `min_train_weeks + horizon_weeks` (too few backtest points), more zero
   weeks than `intermittent_share` of the last 26 (intermittent), or no MASE at all (a flat
   history) -> the moving average (last week for a flat history).
2. The holiday candidate (Prophet with the holiday regressor) counts only when its backtest
   MASE is below Prophet's without it.
3. The best baseline (last week, moving average, same week last year) is the one with the
   lowest MASE; a cleverer candidate (Theta, the ensemble, Prophet) is used only when its
   MASE is more than `no_better_margin` (3 %) below it; otherwise the baseline is used.
4. Ties go to the simpler model (the order of backtest.MODELS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.backtest import MODELS, Score
from forecasts.baselines import BASELINES
from forecasts.settings import ForecastSettings

RECENT_WEEKS = 26


@dataclass(frozen=True)
class Choice:
    model: str
    mase: float | None
    best_baseline: str | None
    best_baseline_mase: float | None
    runner_up: str | None
    runner_up_mase: float | None
    coverage: float | None
    holidays_used: bool
    reason: str


def fallback_reason(values: pd.Series, settings: ForecastSettings) -> str | None:
    need = settings.min_train_weeks + settings.horizon_weeks
    if len(values) < need:
        return f"{len(values)} weeks of history, {need} needed to judge a model: moving average"
    recent = values.iloc[-RECENT_WEEKS:]
    zeros = int((recent == 0).sum())
    if zeros > settings.intermittent_share * len(recent):
        return f"intermittent: {zeros} of the last {len(recent)} weeks are zero: moving average"
    return None


def _key(s: Score) -> tuple:
    return (s.mase, s.mape if s.mape is not None else np.inf, MODELS.index(s.model))


def choose(scores: list[Score], values: pd.Series, settings: ForecastSettings) -> Choice:
    by = {s.model: s for s in scores}
    scored = [s for s in scores if s.mase is not None]
    baselines = sorted((s for s in scored if s.model in BASELINES), key=_key)
    best_base = baselines[0] if baselines else None

    def make(model: str, reason: str, runner: Score | None) -> Choice:
        s = by.get(model)
        return Choice(model, s.mase if s else None, best_base.model if best_base else None,
                      best_base.mase if best_base else None, runner.model if runner else None,
                      runner.mase if runner else None, s.coverage if s else None, model == "prophet_holidays", reason)

    reason = fallback_reason(values, settings)
    if reason is None and not scored:
        if values.nunique() <= 1:
            reason = "flat history: last week"
        elif not scores:
            reason = "no backtest cutoff falls inside the series: moving average"
        else:
            reason = "no backtest point has an error scale: moving average"
    if reason is not None:
        model = "last_week" if reason.startswith("flat") else "moving_average"
        runner = next((s for s in sorted(scored, key=_key) if s.model != model), None)
        return make(model, reason, runner)

    eligible = list(scored)
    ph, p = by.get("prophet_holidays"), by.get("prophet")
    if ph is not None and ph.mase is not None and (p is None or p.mase is None or ph.mase >= p.mase):
        eligible = [s for s in eligible if s.model != "prophet_holidays"]  # holidays did not help
    ranked = sorted(eligible, key=_key)
    best = ranked[0]
    if best.model in BASELINES:
        model, why = best.model, "lowest backtest MASE"
    elif best_base is None or best.mase < best_base.mase * (1 - settings.no_better_margin):
        model = best.model
        why = ("lowest backtest MASE" if best_base is None else
               f"MASE {best.mase:.3f}, {100 * (1 - best.mase / best_base.mase):.1f} % below the best baseline "
               f"({best_base.model}, {best_base.mase:.3f})")
    else:
        model = best_base.model
        why = (f"{best.model} (MASE {best.mase:.3f}) is no better than {best_base.model} ({best_base.mase:.3f}): "
               f"within {100 * settings.no_better_margin:.0f} %")
    runner = next((s for s in ranked if s.model != model), None)
    return make(model, why, runner)
