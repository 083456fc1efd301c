"""Settings of the forecast run (environment variables; one object for the package)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import setting


class ForecastSettings(BaseSettings):
    """`FORECAST_*` variables, plus the shared `COMPANY_TZ`."""

    model_config = SettingsConfigDict(env_prefix="FORECAST_", extra="ignore", frozen=True)

    company_tz: str = Field(
        default_factory=lambda: setting("COMPANY_TZ"), validation_alias=AliasChoices("COMPANY_TZ", "company_tz")
    )
    horizon_weeks: int = Field(default=12, ge=1, le=52)
    interval_width: float = Field(default=0.8, gt=0, lt=1)
    # Backtest: cutoffs every `backtest_step_weeks` over the last `backtest_weeks` complete
    # weeks (fixed, the same for every model and every series of a run): a whole year, so the
    # New Year and the summer are scored.
    backtest_weeks: int = Field(default=52, ge=1)
    backtest_step_weeks: int = Field(default=2, ge=1)
    # A cleverer model is used only when its backtest MASE is this much below the best
    # baseline's; otherwise it is "no better" and the baseline wins.
    no_better_margin: float = Field(default=0.03, ge=0, lt=1)
    # Prophet costs ~0.1 s a fit, the rest milliseconds: in a run it is a candidate for this
    # many series only (company first, then regions, then teams; larger series first).
    prophet_max_series: int = Field(default=8, ge=0)
    # The holiday regressor's calendar (ISO country, `holidays` package): only series of this
    # country get the holiday candidate.
    company_country: str = "RU"
    # A series with more zero weeks than this share of its last 26 weeks is intermittent: the
    # moving average is used, not a model (the scores of such a series say little).
    intermittent_share: float = Field(default=0.5, gt=0, le=1)
    # A cutoff is used only when the series has at least this many weeks before it.
    min_train_weeks: int = Field(default=26, ge=4)
    # Team series need this much history; company and region series need `min_train_weeks`.
    min_team_weeks: int = Field(default=52, ge=1)
    # Prophet's yearly seasonality (Fourier order) once a training window holds this many weeks.
    yearly_min_weeks: int = Field(default=56, ge=2)
    yearly_fourier_order: int = Field(default=4, ge=1)
    # multiplicative: the yearly swing and a holiday's dent scale with the level of the series
    seasonality_mode: Literal["additive", "multiplicative"] = "multiplicative"
    seasonality_prior_scale: float = Field(default=5.0, gt=0)
    changepoint_prior_scale: float = Field(default=0.05, gt=0)
    uncertainty_samples: int = Field(default=1000, ge=100)
    seed: int = 42
    # Processes for the fits: 0 = decide from the machine (at most 2) and the number of series.
    workers: int = Field(default=0, ge=0)
    # The moment the data is "as of"; unset = the latest event in the marts.
    as_of: datetime | None = None

    @field_validator("company_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"COMPANY_TZ={value!r} is not a known IANA time zone") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.company_tz)

    def fingerprint(self) -> dict[str, object]:
        """What changes the numbers (goes into `model_version`)."""
        return self.model_dump(exclude={"workers", "as_of", "company_tz"})
