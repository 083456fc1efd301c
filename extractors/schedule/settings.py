"""Schedule-service settings (SCHEDULE_* variables; defaults: the local simulator)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScheduleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULE_", extra="ignore")

    url: str = Field("http://127.0.0.1:8070/schedule", description="base URL without /api/v1")
    token: SecretStr = SecretStr("demo-schedule-token")
    page_limit: int = Field(1000, ge=1, le=1000)
    overlap_seconds: int = Field(60, ge=0, description="re-read window before the cursor")
    batch_pages: int = Field(10, ge=1)
