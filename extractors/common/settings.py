"""Settings shared by every extractor (retry and concurrency knobs, company time zone)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RetrySettings(BaseSettings):
    """How hard the HTTP clients try (`EXTRACT_*` variables)."""

    model_config = SettingsConfigDict(env_prefix="EXTRACT_", extra="ignore")

    attempts: int = Field(8, ge=1, description="total attempts per request")
    total_timeout_s: float = Field(180.0, gt=0, description="give up on a request after this long in all")
    wait_initial_s: float = Field(0.2, ge=0)
    wait_max_s: float = Field(10.0, ge=0)
    wait_jitter_s: float = Field(0.3, ge=0)
    max_retry_after_s: float = Field(30.0, ge=0, description="cap on a server's Retry-After")
    http_timeout_s: float = Field(30.0, gt=0, description="one request's timeout")
    concurrency: int = Field(8, ge=1, description="parallel requests per source")
    max_rps: float = Field(0.0, ge=0, description="requests per second per source; 0 = unlimited")
    processes: int = Field(
        0, ge=0, description="processes of a multi-entity run (the help-desk feeds get their own); 0 = the cores")
    http_client: Literal["fast", "httpx"] = Field(
        "fast", description="fast: the lean asyncio client (common/fasthttp.py); httpx: httpx for every request")


class CompanySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    company_tz: str = "Europe/Moscow"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.company_tz)
