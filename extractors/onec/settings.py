"""1C settings (ONEC_* variables; demo defaults: the local simulator, warehouse/settings.py)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import setting


class OnecSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEC_", extra="ignore")

    url: str = Field(default_factory=lambda: setting("ONEC_URL"), description="publication URL without /odata/standard.odata")
    user: str = Field(default_factory=lambda: setting("ONEC_USER"))
    password: SecretStr = Field(default_factory=lambda: SecretStr(setting("ONEC_PASSWORD")))
    page_size: int = Field(500, ge=10, description="$top")
    page_overlap: int = Field(25, ge=0, description="rows each page re-reads of the previous one ($skip safety)")
