"""Settings of the approvals page and the payroll export, all from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warehouse.settings import check_startup, is_production, setting, warehouse_url

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    warehouse_url: str = Field(default_factory=warehouse_url,
                               validation_alias=AliasChoices("WAREHOUSE_URL", "warehouse_url"))
    superset_database_uri: str = Field(
        f"sqlite:///{ROOT / '.local' / 'superset' / 'superset.db'}",
        validation_alias=AliasChoices("SUPERSET_DATABASE_URI", "superset_database_uri"),
        description="SQLAlchemy URL of Superset's metadata DB (ab_user, ab_role, ab_user_role)",
    )
    payroll_export_dir: Path = Field(
        ROOT / ".local" / "payroll_exports",
        validation_alias=AliasChoices("PAYROLL_EXPORT_DIR", "payroll_export_dir"),
    )
    secret_key: str | None = Field(
        None,
        validation_alias=AliasChoices("APPROVALS_SECRET_KEY", "secret_key"),
        description="signs the session cookie and CSRF tokens; unset = a random key per process",
    )
    team_managers_file: Path | None = Field(
        default_factory=lambda: None if is_production() else ROOT / "bonus_export" / "team_managers.demo.csv",
        validation_alias=AliasChoices("TEAM_MANAGERS_FILE", "team_managers_file"),
        description="`username;team_name` rows: who manages which team; loaded into payroll.team_managers "
                    "when the page starts (unset in production: the table is kept as it is)",
    )
    company_tz: str = Field(default_factory=lambda: setting("COMPANY_TZ"), validation_alias=AliasChoices("COMPANY_TZ", "company_tz"))

    @field_validator("warehouse_url")
    @classmethod
    def _postgres(cls, value: str) -> str:
        if not value.startswith("postgres"):
            raise ValueError(f"WAREHOUSE_URL must be a postgresql:// URL, got {value.split('@')[-1]!r}")
        return value

    @field_validator("team_managers_file", mode="before")
    @classmethod
    def _no_file(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("company_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"COMPANY_TZ must be an IANA time zone, got {value!r}") from exc
        return value

    def check_startup(self) -> None:
        """Refuse to serve the approvals page on unsafe settings (production: a missing, default
        or short APPROVALS_SECRET_KEY, a demo database password), naming the variable."""
        used = {**os.environ, "WAREHOUSE_URL": self.warehouse_url, "APPROVALS_SECRET_KEY": self.secret_key or ""}
        check_startup("the approvals page", required=["APPROVALS_SECRET_KEY", "WAREHOUSE_URL"],
                      optional=["SUPERSET_DATABASE_URI"], env=used)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.company_tz)
