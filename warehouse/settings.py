"""The settings every part shares, read in one place: the environment (demo or production),
the company time zone and the warehouse URL, plus the demo values of the source settings.

In `demo` (the default) an unset setting falls back to the local simulator's value, so the
project runs with no configuration at all. In `production` nothing falls back: a setting that
is not set raises `MissingSetting` naming the variable, so a demo secret can never reach a
real source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

ENVIRONMENTS = ("demo", "production")
COMPANY_TZ_DEFAULT = "Europe/Moscow"
WAREHOUSE_URL_DEFAULT = "postgresql://warehouse:warehouse@127.0.0.1:55432/warehouse"

# What an unset variable means in demo: the local simulator (servers on 127.0.0.1:8070) and the
# private warehouse cluster that `make` starts.
DEMO_DEFAULTS: dict[str, str] = {
    "COMPANY_TZ": COMPANY_TZ_DEFAULT,
    "WAREHOUSE_URL": WAREHOUSE_URL_DEFAULT,
    "HELPDESK_URL": "http://127.0.0.1:8070/helpdesk",
    "HELPDESK_API_TOKEN": "demo-helpdesk-token",
    "HELPDESK_MODE": "feeds",
    "HELPDESK_WEBHOOK_TOKEN": "demo-webhook-token",
    "SCHEDULE_URL": "http://127.0.0.1:8070/schedule",
    "SCHEDULE_TOKEN": "demo-schedule-token",
    "ONEC_URL": "http://127.0.0.1:8070/onec",
    "ONEC_USER": "odata",
    "ONEC_PASSWORD": "odata",
    "REGISTRY_PATH": "http://127.0.0.1:8070/registry.xlsx",
}
# Settings with a safe meaning everywhere: production may leave them unset.
PRODUCTION_DEFAULTS: dict[str, str] = {"COMPANY_TZ": COMPANY_TZ_DEFAULT, "HELPDESK_MODE": "feeds"}


class MissingSetting(RuntimeError):
    """A setting production needs is not set (the message names the variable)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"{name} is not set: APP_ENV=production has no defaults for it (set {name})")


def app_env() -> Literal["demo", "production"]:
    value = (os.environ.get("APP_ENV") or "demo").strip().lower()
    if value not in ENVIRONMENTS:
        raise ValueError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")
    return value  # type: ignore[return-value]


def is_production() -> bool:
    return app_env() == "production"


def default_of(name: str) -> str | None:
    """What an unset `name` means in the current environment (None: it must be set)."""
    return (PRODUCTION_DEFAULTS if is_production() else DEMO_DEFAULTS).get(name)


def setting(name: str) -> str:
    """The variable's value, else its default in this environment, else MissingSetting."""
    value = os.environ.get(name)
    if value:
        return value
    default = default_of(name)
    if default is None:
        raise MissingSetting(name)
    return default


@dataclass(frozen=True)
class SharedSettings:
    app_env: Literal["demo", "production"]
    company_tz: str
    warehouse_url: str


def shared() -> SharedSettings:
    """The shared settings, read from the environment now (tests change it between calls)."""
    return SharedSettings(app_env=app_env(), company_tz=company_tz(), warehouse_url=warehouse_url())


def company_tz() -> str:
    return setting("COMPANY_TZ")


def warehouse_url() -> str:
    """The configured warehouse URL (`WAREHOUSE_URL`; unset in demo: the private cluster)."""
    return setting("WAREHOUSE_URL")


def private_cluster() -> bool:
    """Whether the warehouse is the private cluster `make` starts (WAREHOUSE_URL unset), which
    `make` and the tests start and stop; a configured server is never started or stopped."""
    return not os.environ.get("WAREHOUSE_URL")
