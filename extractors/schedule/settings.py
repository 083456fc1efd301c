"""Schedule-service settings (SCHEDULE_* variables; demo defaults: the local simulator, warehouse/settings.py)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import setting


class ScheduleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULE_", extra="ignore")

    url: str = Field(default_factory=lambda: setting("SCHEDULE_URL"), description="base URL without /api/v1")
    token: SecretStr = Field(default_factory=lambda: SecretStr(setting("SCHEDULE_TOKEN")))
    page_limit: int = Field(1000, ge=1, le=1000)
    overlap_seconds: int = Field(60, ge=0, description="re-read window before the cursor")
    batch_pages: int = Field(10, ge=1)
