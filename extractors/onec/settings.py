"""1C settings (ONEC_* variables; defaults: the local simulator)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OnecSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEC_", extra="ignore")

    url: str = Field("http://127.0.0.1:8070/onec", description="publication URL without /odata/standard.odata")
    user: str = "odata"
    password: SecretStr = SecretStr("odata")
    page_size: int = Field(500, ge=10, description="$top")
    page_overlap: int = Field(25, ge=0, description="rows each page re-reads of the previous one ($skip safety)")
