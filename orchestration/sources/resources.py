"""Source settings as Dagster ConfigurableResources, bound to the environment with EnvVar.

A variable that is unset when the code location loads falls back to the local simulator's
default (contracts.md), so `dagster dev` works with no settings at all.
"""

from __future__ import annotations

import os

import dagster as dg
from pydantic import SecretStr

from extractors.common.settings import CompanySettings, RetrySettings
from extractors.helpdesk.settings import HelpdeskSettings
from extractors.onec.settings import OnecSettings
from extractors.registry.settings import RegistrySettings
from extractors.run import ExtractConfig
from extractors.schedule.settings import ScheduleSettings
from warehouse import warehouse_url


def env_or(name: str, default: str) -> str | dg.EnvVar:
    """EnvVar(name) when set (shown as such in the UI, read at run time), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


class RawWarehouse(dg.ConfigurableResource):
    """Where the raw_* schemas live (WAREHOUSE_URL; unset = the private cluster)."""

    url: str = ""

    def resolved(self) -> str:
        return self.url or warehouse_url()


class HelpdeskSource(dg.ConfigurableResource):
    url: str = "http://127.0.0.1:8070/helpdesk"
    api_token: str = "demo-helpdesk-token"
    mode: str = "feeds"

    def settings(self) -> HelpdeskSettings:
        return HelpdeskSettings(url=self.url, api_token=SecretStr(self.api_token), mode=self.mode)  # type: ignore[arg-type]


class ScheduleSource(dg.ConfigurableResource):
    url: str = "http://127.0.0.1:8070/schedule"
    token: str = "demo-schedule-token"

    def settings(self) -> ScheduleSettings:
        return ScheduleSettings(url=self.url, token=SecretStr(self.token))


class OnecSource(dg.ConfigurableResource):
    url: str = "http://127.0.0.1:8070/onec"
    user: str = "odata"
    password: str = "odata"

    def settings(self) -> OnecSettings:
        return OnecSettings(url=self.url, user=self.user, password=SecretStr(self.password))


class RegistrySource(dg.ConfigurableResource):
    path: str = "http://127.0.0.1:8070/registry.xlsx"

    def settings(self) -> RegistrySettings:
        return RegistrySettings(path=self.path)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "raw_warehouse": RawWarehouse(url=env_or("WAREHOUSE_URL", "")),
        "helpdesk_source": HelpdeskSource(
            url=env_or("HELPDESK_URL", "http://127.0.0.1:8070/helpdesk"),
            api_token=env_or("HELPDESK_API_TOKEN", "demo-helpdesk-token"),
            mode=env_or("HELPDESK_MODE", "feeds"),
        ),
        "schedule_source": ScheduleSource(
            url=env_or("SCHEDULE_URL", "http://127.0.0.1:8070/schedule"),
            token=env_or("SCHEDULE_TOKEN", "demo-schedule-token"),
        ),
        "onec_source": OnecSource(
            url=env_or("ONEC_URL", "http://127.0.0.1:8070/onec"),
            user=env_or("ONEC_USER", "odata"),
            password=env_or("ONEC_PASSWORD", "odata"),
        ),
        "registry_source": RegistrySource(path=env_or("REGISTRY_PATH", "http://127.0.0.1:8070/registry.xlsx")),
    }


RESOURCE_OF = {"helpdesk": "helpdesk_source", "schedule": "schedule_source", "onec": "onec_source",
               "registry": "registry_source"}


def extract_config(resources: object, source: str, run_id: str | None = None) -> ExtractConfig:
    """ExtractConfig from a run's resources (retry knobs and time zone stay EXTRACT_*/COMPANY_TZ);
    `run_id` (the Dagster run's) is what raw_meta.loads records for each load."""
    db: RawWarehouse = resources.raw_warehouse  # type: ignore[attr-defined]
    res = getattr(resources, RESOURCE_OF[source])
    return ExtractConfig(
        db_url=db.resolved(), retry=RetrySettings(), company=CompanySettings(), **{source: res.settings()},
        **({"run_id": run_id} if run_id else {}),
    )
