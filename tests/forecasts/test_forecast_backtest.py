"""Baselines, fixed cutoffs, no leakage, and the scores on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fc_synthetic import noisy, seasonal_truth, weeks

from forecasts.backtest import backtest, cutoffs, score
from forecasts.baselines import last_week, same_week_last_year
from forecasts.settings import ForecastSettings


def test_baselines_on_a_hand_made_series():
    index = weeks("2024-01-01", 60)
    train = pd.Series(np.arange(60, dtype=float), index=index)  # value = week number
    future = pd.date_range(index[-1] + pd.Timedelta(days=7), periods=3, freq="W-MON")
    assert last_week(train, future).tolist() == [59.0, 59.0, 59.0]
    # week 60 -> week 8 a year (52 weeks) before, then 9, 10
    assert same_week_last_year(train, future).tolist() == [8.0, 9.0, 10.0]
    short = train.iloc[:40]  # under a year: nothing to copy from
    after_short = pd.date_range(short.index[-1] + pd.Timedelta(days=7), periods=3, freq="W-MON")
    assert np.isnan(same_week_last_year(short, after_short)).all()


def test_cutoffs_are_fixed_every_two_weeks_over_the_last_year():
    last = pd.Timestamp("2026-10-19")
    cuts = cutoffs(last, ForecastSettings())
    assert len(cuts) == 26
    assert cuts[0] == last - pd.Timedelta(weeks=52)
    assert cuts[-1] == last - pd.Timedelta(weeks=2)
    assert all(c.weekday() == 0 for c in cuts)
    assert cutoffs(last, ForecastSettings(backtest_weeks=26, backtest_step_weeks=4))[1] == last - pd.Timedelta(weeks=22)


@pytest.fixture(scope="module")
def series():
    return noisy(seasonal_truth(weeks("2023-01-02", 130)), sd=25, seed=11)


def test_the_backtest_never_uses_data_after_its_cutoff(series):
    """Poison every week after the cutoff with huge numbers: no model's forecast for that
    cutoff moves (only the actuals it is scored against do)."""
    settings = ForecastSettings()
    cut = series.index[100]
    clean = backtest(series, [cut], settings)
    poisoned_series = series.copy()
    poisoned_series[poisoned_series.index > cut] = 1e9
    poisoned = backtest(poisoned_series, [cut], settings)
    assert set(clean["model"]) == {"prophet", "last_week", "moving_average", "same_week_last_year", "theta",
                                   "ensemble"}
    assert len(clean) == 6 * settings.horizon_weeks
    pd.testing.assert_series_equal(clean["yhat"], poisoned["yhat"], check_exact=True)
    pd.testing.assert_series_equal(clean["scale"], poisoned["scale"], check_exact=True)
    assert (poisoned["actual"] == 1e9).all()
    assert (clean["week_start"] > cut).all()


def test_forecasts_stop_at_the_last_complete_week(series):
    settings = ForecastSettings()
    cut = series.index[-5]
    pts = backtest(series, [cut], settings)
    assert pts.groupby("model")["horizon"].max().tolist() == [4] * 6


def test_the_backtest_is_reproducible(series):
    settings = ForecastSettings()
    cuts = cutoffs(series.index[-1], ForecastSettings(backtest_step_weeks=8))
    pd.testing.assert_frame_equal(backtest(series, cuts, settings), backtest(series, cuts, settings), check_exact=True)


def _points(rows):
    return pd.DataFrame(rows, columns=["model", "cutoff", "week_start", "horizon", "actual", "yhat", "scale"])


def test_scores_on_a_hand_computed_case():
    c = pd.Timestamp("2026-01-05")
    w1, w2 = pd.Timestamp("2026-01-12"), pd.Timestamp("2026-01-19")
    pts = _points([
        ("prophet", c, w1, 1, 10.0, 11.0, 2.0), ("prophet", c, w2, 2, 20.0, 18.0, 2.0),
        ("last_week", c, w1, 1, 10.0, 14.0, 2.0), ("last_week", c, w2, 2, 20.0, 14.0, 2.0),
        ("same_week_last_year", c, w1, 1, 10.0, 10.0, 2.0), ("same_week_last_year", c, w2, 2, 20.0, 25.0, 2.0),
    ])
    by = {s.model: s for s in score(pts)}
    # prophet: |1|/10, |2|/20 -> MAPE 10%; MASE (1/2 + 2/2)/2 = 0.75
    assert by["prophet"].mape == pytest.approx(10.0)
    assert by["prophet"].mase == pytest.approx(0.75)
    # last week: 4/10, 6/20 -> 35%; (4/2 + 6/2)/2 = 2.5
    assert by["last_week"].mape == pytest.approx(35.0)
    assert by["last_week"].mase == pytest.approx(2.5)
    # same week last year: 0, 5/20 -> 12.5%; (0 + 5/2)/2 = 1.25
    assert by["same_week_last_year"].mape == pytest.approx(12.5)
    assert by["same_week_last_year"].mase == pytest.approx(1.25)
    assert [s.model for s in score(pts) if s.is_best] == ["prophet"]
    assert by["prophet"].n_points == 2 and by["prophet"].cutoffs == [c]


def test_a_baseline_that_wins_is_marked_best_and_points_are_compared_like_for_like():
    c = pd.Timestamp("2026-01-05")
    w1, w2 = pd.Timestamp("2026-01-12"), pd.Timestamp("2026-01-19")
    pts = _points([
        ("prophet", c, w1, 1, 10.0, 15.0, 1.0), ("prophet", c, w2, 2, 0.0, 1.0, 1.0),
        ("last_week", c, w1, 1, 10.0, 10.0, 1.0), ("last_week", c, w2, 2, 0.0, 0.0, 1.0),
        # no same-week-last-year forecast for w2: w2 is dropped for every model
        ("same_week_last_year", c, w1, 1, 10.0, 12.0, 1.0), ("same_week_last_year", c, w2, 2, 0.0, np.nan, 1.0),
    ])
    by = {s.model: s for s in score(pts)}
    assert by["prophet"].n_points == 1
    assert by["prophet"].mase == pytest.approx(5.0)
    assert by["last_week"].is_best and not by["prophet"].is_best


def test_a_series_too_short_to_score_keeps_a_row_per_model_without_figures():
    c = pd.Timestamp("2026-01-05")
    w1 = pd.Timestamp("2026-01-12")
    pts = _points([
        ("prophet", c, w1, 1, 10.0, 11.0, 1.0), ("last_week", c, w1, 1, 10.0, 9.0, 1.0),
        ("same_week_last_year", c, w1, 1, 10.0, np.nan, 1.0),
    ])
    scores = score(pts)
    assert [s.model for s in scores] == ["last_week", "same_week_last_year", "prophet"]
    assert all(s.mape is None and s.mase is None and not s.is_best for s in scores)


def test_zero_actuals_are_left_out_of_mape_only():
    c = pd.Timestamp("2026-01-05")
    w1, w2 = pd.Timestamp("2026-01-12"), pd.Timestamp("2026-01-19")
    rows = []
    for m in ("prophet", "last_week", "same_week_last_year"):
        rows += [(m, c, w1, 1, 0.0, 2.0, 4.0), (m, c, w2, 2, 8.0, 6.0, 4.0)]
    by = {s.model: s for s in score(_points(rows))}
    assert by["prophet"].mape == pytest.approx(25.0)  # only w2: 2/8
    assert by["prophet"].mase == pytest.approx(0.5)  # (2/4 + 2/4) / 2
