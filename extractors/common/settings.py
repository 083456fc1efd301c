"""Settings shared by every extractor (retry and concurrency knobs, company time zone)."""

from __future__ import annotations

import warnings
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import setting


class RetrySettings(BaseSettings):
    """How hard the HTTP clients try (`EXTRACT_*` variables)."""

    model_config = SettingsConfigDict(env_prefix="EXTRACT_", extra="ignore")

    attempts: int = Field(8, ge=1, description="total attempts per request")
    total_timeout_s: float = Field(180.0, gt=0, description="give up on a request after this long in all")
    wait_initial_s: float = Field(0.2, ge=0)
    wait_max_s: float = Field(10.0, ge=0)
    wait_jitter_s: float = Field(0.3, ge=0)
    max_retry_after_s: float = Field(
        300.0, ge=0, description="a server's Retry-After (seconds or an HTTP date) is honoured up to this long")
    max_response_mb: float = Field(
        512.0, ge=0, description="the largest answer read (MB, after decompression); a larger one fails the request"
        " naming this setting, so a runaway body cannot fill the memory; 0 = no limit")
    clock_skew_s: float = Field(
        300.0, ge=0, description="a row dated up to this long after the run's start is the source's clock running"
        " ahead and is kept; a later one is rejected as dated in the future and read again on a later run")
    http_timeout_s: float = Field(30.0, gt=0, description="one request's timeout")
    concurrency: int = Field(8, ge=1, description="parallel requests per source")
    max_rps: float = Field(0.0, ge=0, description="requests per second per source; 0 = unlimited")
    processes: int = Field(
        0, ge=0, description="processes of a multi-entity run (the help-desk feeds get their own); 0 = the cores")
    http_client: Literal["aiohttp", "httpx"] = Field(
        "aiohttp", description="the wire under the httpx client: aiohttp (default, the cheaper per request) or"
        " httpx's own transport (httpcore, h11)")

    @field_validator("http_client", mode="before")
    @classmethod
    def _obsolete_fast(cls, value: Any) -> Any:
        # `fast` named a hand-written client that aiohttp replaced: a setting left from it still
        # runs, on the client that took its place, and says so
        if isinstance(value, str) and value.strip().lower() == "fast":
            warnings.warn("EXTRACT_HTTP_CLIENT=fast is obsolete: using aiohttp (its replacement);"
                          " set EXTRACT_HTTP_CLIENT=aiohttp or remove it", FutureWarning, stacklevel=2)
            return "aiohttp"
        return value


class CompanySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    company_tz: str = Field(default_factory=lambda: setting("COMPANY_TZ"))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.company_tz)
