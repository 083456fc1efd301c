"""Help-desk settings (HELPDESK_* variables; demo defaults: the local simulator, warehouse/settings.py)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import setting


class HelpdeskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    url: str = Field(default_factory=lambda: setting("HELPDESK_URL"), description="base URL without /api/v1")
    api_token: SecretStr = Field(default_factory=lambda: SecretStr(setting("HELPDESK_API_TOKEN")))
    mode: Literal["feeds", "okdesk"] = Field(
        default_factory=lambda: setting("HELPDESK_MODE"), description="feeds: our relay's extension feeds (status history, time entries); okdesk: only"
        " documented Okdesk methods (status changes derived from the polled issue versions, docs/okdesk.md)")
    max_rps: float = Field(
        5.0, ge=0, description="okdesk mode: requests per second to the account (under its limit); 0 = unlimited;"
        " EXTRACT_MAX_RPS, when set, applies too (the lower of the two wins)")
    account_tz: str | None = Field(
        None, description="the Okdesk account's time zone: filter dates (updated_since) are sent in it, since an"
        " account reads a date without offset in its own zone; unset = COMPANY_TZ")
    sweep_days: int = Field(
        30, ge=0, description="okdesk mode: every run also re-reads the time entries of open issues and of issues"
        " completed within this many days (the bonus repeat window), so entries added to an issue whose"
        " updated_at did not move, and deleted entries, are caught")
    issues_page_size: int = Field(50, ge=1, le=50)
    list_page_size: int = Field(100, ge=1, le=100)
    lookback_minutes: int = Field(60, ge=0, description="re-read window of the id-paged incremental feeds")
    batch_pages: int = Field(20, ge=1, description="pages per committed batch")
    feed_workers: int = Field(4, ge=1, description="id ranges the extension feeds are read by at once")
    feed_yield_ms: int = Field(
        50, ge=0, description="an id-feed request waits up to this long while an /issues/list request is at the"
        " server (the issues paging is sequential: the critical path of a full load); 0 = off")

    @field_validator("account_tz")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (KeyError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (an IANA name, e.g. Asia/Vladivostok)") from None
        return value or None
