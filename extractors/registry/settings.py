"""Registry settings (REGISTRY_PATH: a file path or an http(s) URL)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import setting


class RegistrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    path: str = Field(default_factory=lambda: setting("REGISTRY_PATH"), description="workbook file path or http(s) URL")
    header_search_rows: int = Field(30, ge=1, description="how far down to look for the header row")
    download_timeout_s: float = Field(
        300.0, gt=0, description="one download of the workbook (a large registry is rendered for minutes)")
    conditional: bool = Field(
        True, description="skip an unchanged workbook (HTTP 304 to If-None-Match / If-Modified-Since, or the"
                          " same sha256 as the last complete load); false re-reads it whole every run")
