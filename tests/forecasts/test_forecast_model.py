"""Prophet on weekly data: seasonality recovered, holiday weeks dented, reproducible."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from fc_synthetic import holiday_truth, noisy, seasonal_truth, weeks

from forecasts.model import fit, model_from_json, model_to_json, predict
from forecasts.settings import ForecastSettings


def test_yearly_seasonality_and_trend_are_recovered_within_tolerance():
    """156 weeks of (trend + yearly sine + noise sd 20): the next 52 weeks are forecast within
    3% MAPE of the noise-free truth, and the forecast swings like the truth does (its seasonal
    peak-to-trough within 20% of the true 300)."""
    settings = ForecastSettings(horizon_weeks=52)
    history_index = weeks("2023-01-02", 156)
    history = noisy(seasonal_truth(history_index), sd=20)
    out = predict(fit(history, settings), 52, settings.seed)
    future_index = pd.DatetimeIndex(out["ds"])
    truth = seasonal_truth(future_index).to_numpy()
    yhat = out["yhat"].to_numpy()
    mape = float(np.mean(np.abs(yhat - truth) / truth) * 100)
    assert mape < 3.0, f"MAPE against the truth {mape:.2f}% (tolerance 3%)"
    trend = 1000 + 2.0 * ((future_index - pd.Timestamp("2023-01-02")).days / 7.0)
    swing = np.ptp(yhat - trend)
    assert 240 <= swing <= 360, f"seasonal peak-to-trough {swing:.0f}, truth 300"
    assert (out["yhat_lower"] < out["yhat"]).all() and (out["yhat"] < out["yhat_upper"]).all()


@pytest.fixture(scope="module")
def holiday_fit():
    settings = ForecastSettings(horizon_weeks=30)
    index = weeks("2023-01-02", 151)  # through 2025-11-17
    history = noisy(holiday_truth(index), sd=15, seed=3)
    return predict(fit(history, settings), 30, settings.seed).set_index("ds")["yhat"]


@pytest.mark.parametrize(
    "holiday_week, before, after",
    [
        ("2025-12-29", "2025-12-22", "2026-01-12"),  # 31 Dec + 1-2 Jan off
        ("2026-01-05", "2025-12-22", "2026-01-12"),  # 5-9 Jan off: the whole week
        ("2026-04-27", "2026-04-20", "2026-05-04"),  # 1 May (Friday)
        ("2026-05-11", "2026-05-04", "2026-05-18"),  # 11 May (Victory Day observed)
    ],
)
def test_a_holiday_week_is_forecast_lower_than_its_neighbours(holiday_fit, holiday_week, before, after):
    y = holiday_fit
    assert y[pd.Timestamp(holiday_week)] < y[pd.Timestamp(before)]
    assert y[pd.Timestamp(holiday_week)] < y[pd.Timestamp(after)]


def test_new_year_week_dent_is_about_the_size_of_the_lost_days(holiday_fit):
    """Five lost working days of 20% each: the whole-week holiday is forecast near zero, three
    days near 40% of a normal week."""
    normal = holiday_fit[pd.Timestamp("2025-12-22")]
    assert holiday_fit[pd.Timestamp("2026-01-05")] < 0.15 * normal
    assert 0.25 * normal < holiday_fit[pd.Timestamp("2025-12-29")] < 0.6 * normal


def test_same_data_gives_the_same_numbers():
    settings = ForecastSettings()
    history = noisy(seasonal_truth(weeks("2023-01-02", 120)), sd=30, seed=5)
    first = predict(fit(history, settings), 12, settings.seed)
    second = predict(fit(history.copy(), settings), 12, settings.seed)
    pd.testing.assert_frame_equal(first, second, check_exact=True)


def test_models_round_trip_through_json():
    settings = ForecastSettings()
    history = noisy(seasonal_truth(weeks("2023-01-02", 80)), sd=30, seed=6)
    model = fit(history, settings)
    text = model_to_json(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation inside prophet.serialize
        again = model_from_json(text)
    cols = ["yhat", "yhat_lower", "yhat_upper"]
    pd.testing.assert_frame_equal(predict(model, 12, 1)[cols], predict(again, 12, 1)[cols], rtol=1e-9)
    assert '"holiday_workdays"' in text


def test_negative_forecasts_are_clipped_to_zero():
    settings = ForecastSettings()
    falling = pd.Series(np.linspace(100, 2, 60), index=weeks("2024-01-01", 60))
    out = predict(fit(falling, settings), 12, settings.seed)
    assert (out[["yhat", "yhat_lower", "yhat_upper"]] >= 0).all().all()
