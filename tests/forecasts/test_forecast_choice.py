"""The model per series: preconditions, the choice on series of known shape, bands that hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fc_synthetic import holiday_truth, noisy, seasonal_truth, weeks

from forecasts.backtest import backtest, candidates, cutoffs, mase_scale
from forecasts.checks import SeriesError, check_weekly
from forecasts.model import fit
from forecasts.run import forecast_series
from forecasts.series import Series
from forecasts.settings import ForecastSettings

SETTINGS = ForecastSettings()


def run(values: pd.Series, prophet: bool = False, settings: ForecastSettings = SETTINGS, country: str | None = None):
    series = Series("tickets", "company", None, "Компания", values, country)
    return forecast_series(series, cutoffs(values.index[-1], settings), settings, prophet=prophet)


# ------------------------------------------------------------------ preconditions
def test_a_nan_week_is_refused_naming_the_week():
    values = pd.Series(np.arange(80, dtype=float), index=weeks("2024-01-01", 80))
    values.iloc[30] = np.nan
    with pytest.raises(SeriesError, match=r"no value \(NaN\) for the week of 2024-07-29"):
        run(values)
    with pytest.raises(SeriesError, match="NaN"):
        backtest(values, cutoffs(values.index[-1], SETTINGS), SETTINGS)
    with pytest.raises(SeriesError, match="NaN"):
        fit(values, SETTINGS)


def test_a_missing_week_is_refused_naming_the_week():
    values = pd.Series(np.arange(80, dtype=float), index=weeks("2024-01-01", 80)).drop(pd.Timestamp("2024-03-04"))
    with pytest.raises(SeriesError, match="missing week 2024-03-04 .after 2024-02-26."):
        backtest(values, cutoffs(values.index[-1], SETTINGS), SETTINGS)
    with pytest.raises(SeriesError, match="missing week 2024-03-04"):
        fit(values, SETTINGS)


def test_week_labels_on_another_weekday_are_refused():
    sundays = pd.Series(np.ones(60), index=pd.date_range("2024-01-07", periods=60, freq="W-SUN"))
    with pytest.raises(SeriesError, match="start on a Monday.*2024-01-07 is a Sunday"):
        check_weekly(sundays)
    with pytest.raises(SeriesError, match="Monday"):
        fit(sundays, SETTINGS)


def test_a_short_series_falls_back_to_the_moving_average_with_its_reason():
    values = noisy(seasonal_truth(weeks("2025-01-06", 30)), sd=10)
    out = run(values, prophet=True)
    assert out.choice.model == "moving_average"
    assert out.choice.reason == "30 weeks of history, 38 needed to judge a model: moving average"
    assert len(out.forecast) == 12
    assert (out.forecast["yhat"] == values.iloc[-4:].mean()).all()
    assert (out.forecast["yhat_lower"] <= out.forecast["yhat"]).all()
    assert (out.forecast["yhat"] <= out.forecast["yhat_upper"]).all()


def test_a_series_that_is_mostly_zero_falls_back_with_its_reason():
    rng = np.random.default_rng(4)
    values = pd.Series((rng.random(120) < 0.2) * 3.0, index=weeks("2024-01-01", 120))
    out = run(values, prophet=True)
    assert out.choice.model == "moving_average"
    assert out.choice.reason.startswith("intermittent: ")
    assert {s.model for s in out.scores} <= {"last_week", "moving_average", "same_week_last_year"}
    assert (out.forecast["yhat_lower"] >= 0).all()


# ------------------------------------------------------------------ the backtest
def test_the_backtest_scores_a_year_of_cutoffs_every_two_weeks_on_the_same_points():
    values = noisy(seasonal_truth(weeks("2022-01-03", 180)), sd=20)
    out = run(values)
    by = {s.model: s for s in out.scores}
    assert set(by) == {"last_week", "moving_average", "same_week_last_year", "theta", "ensemble"}
    assert {s.n_points for s in out.scores} == {282}  # 26 cutoffs, 12 weeks each, cut at the end
    assert all(len(s.cutoffs) == 26 for s in out.scores)
    assert out.scores[0].cutoffs[0] == values.index[-1] - pd.Timedelta(weeks=52)
    assert all(s.bias is not None and s.coverage is not None for s in out.scores)


def test_the_mase_scale_is_the_seasonal_naive_error_with_two_years_else_the_naive_one():
    year = np.tile(np.array([0.0, 10.0]), 26)  # 52 weeks, a step of 10 every week
    two_years = np.concatenate([year, year + 1.0])
    assert mase_scale(two_years) == pytest.approx(1.0)  # y_t - y_{t-52} = 1
    assert mase_scale(year) == pytest.approx(10.0)  # under two years: week-to-week changes
    assert np.isnan(mase_scale(np.full(60, 5.0)))


# ------------------------------------------------------------------ the choice on known shapes
def test_a_pure_seasonal_series_picks_a_seasonal_model():
    values = noisy(seasonal_truth(weeks("2021-01-04", 220), slope=0.0, amplitude=300), sd=10)
    out = run(values)
    assert out.choice.model == "same_week_last_year", out.choice
    assert out.choice.mase < 0.5 * min(s.mase for s in out.scores if s.model in ("last_week", "moving_average"))


def test_a_random_walk_picks_last_week():
    rng = np.random.default_rng(8)
    values = pd.Series(5000 + np.cumsum(rng.normal(0, 50, 220)), index=weeks("2021-01-04", 220))
    out = run(values)
    assert out.choice.model == "last_week", out.choice
    assert (out.forecast["yhat"] == values.iloc[-1]).all()


def test_a_level_shift_is_not_fooled():
    """A jump from 100 to 200 half a year before the end: the forecast is at the new level,
    not at last year's (same week last year would say 100)."""
    rng = np.random.default_rng(9)
    n = 200
    values = pd.Series(np.where(np.arange(n) < n - 26, 100.0, 200.0) + rng.normal(0, 5, n),
                       index=weeks("2022-01-03", n))
    out = run(values)
    assert out.choice.model != "same_week_last_year"
    assert np.abs(out.forecast["yhat"] / 200 - 1).max() < 0.08


def test_a_model_within_3_percent_of_the_best_baseline_loses_to_it():
    from forecasts.backtest import Score
    from forecasts.choice import choose

    values = pd.Series(np.arange(100, dtype=float), index=weeks("2023-01-02", 100))
    scores = [Score("last_week", [], 10, 5.0, 1.00, False), Score("moving_average", [], 10, 5.0, 1.10, False),
              Score("theta", [], 10, 5.0, 0.98, True)]
    assert choose(scores, values, SETTINGS).model == "last_week"
    assert choose(scores, values, SETTINGS).runner_up == "theta"
    scores[2] = Score("theta", [], 10, 5.0, 0.96, True)
    assert choose(scores, values, SETTINGS).model == "theta"


# ------------------------------------------------------------------ bands
def test_conformal_bands_cover_80_percent_on_a_long_simulated_series():
    """Ten years of a seasonal series with AR(1) noise, backtested over four years: the 80 %
    band of the chosen model holds 75-85 % of the backtest's actuals (each cutoff against a
    band built from the others), and the final band is as wide as those errors say."""
    rng = np.random.default_rng(12)
    n = 520
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.6 * noise[t - 1] + rng.normal(0, 25)
    values = seasonal_truth(weeks("2016-01-04", n), slope=0.5) + noise
    settings = ForecastSettings(backtest_weeks=208)
    out = run(values, settings=settings)
    assert 0.75 <= out.choice.coverage <= 0.85, out.choice
    width = (out.forecast["yhat_upper"] - out.forecast["yhat_lower"]).to_numpy()
    assert width[0] > 0 and width[-1] >= width[0]


# ------------------------------------------------------------------ holidays
def test_the_holiday_candidate_is_only_for_series_of_the_company_country():
    values = noisy(holiday_truth(weeks("2023-01-02", 150)), sd=10)
    cuts = cutoffs(values.index[-1], SETTINGS)
    assert "prophet_holidays" in candidates(values, cuts, SETTINGS, prophet=True, holidays=True)[1]
    assert "prophet_holidays" not in candidates(values, cuts, SETTINGS, prophet=True, holidays=False)[1]


def test_holidays_are_used_when_they_improve_the_backtest():
    settings = ForecastSettings(backtest_weeks=52, backtest_step_weeks=4)
    values = noisy(holiday_truth(weeks("2023-01-02", 150), per_day=0.2), sd=10, seed=3)
    out = run(values, prophet=True, settings=settings, country="RU")
    by = {s.model: s for s in out.scores}
    assert by["prophet_holidays"].mase < by["prophet"].mase
    assert out.choice.model == "prophet_holidays" and out.choice.holidays_used
    foreign = run(values, prophet=True, settings=settings, country="US")
    assert "prophet_holidays" not in {s.model for s in foreign.scores}
    assert not foreign.choice.holidays_used


def test_a_flat_series_uses_last_week_and_says_why():
    values = pd.Series(np.full(120, 7.0), index=weeks("2024-01-01", 120))
    out = run(values)
    assert (out.choice.model, out.choice.reason) == ("last_week", "flat history: last week")
    assert (out.forecast[["yhat", "yhat_lower", "yhat_upper"]] == 7.0).all().all()
