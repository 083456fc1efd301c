"""Settings of the simulator's HTTP server (environment variables, overridable by the CLI)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    """Credentials the server accepts and the company zone it speaks.

    The names are the ones every part uses (docs/rules.md "Settings"), so the
    extractors and the simulator agree on credentials by default.
    """

    model_config = SettingsConfigDict(extra="ignore")

    helpdesk_api_token: str = Field(default="demo-helpdesk-token", alias="HELPDESK_API_TOKEN")
    schedule_token: str = Field(default="demo-schedule-token", alias="SCHEDULE_TOKEN")
    onec_user: str = Field(default="odata", alias="ONEC_USER")
    onec_password: str = Field(default="odata", alias="ONEC_PASSWORD")
    company_tz: str | None = Field(default=None, alias="COMPANY_TZ")
    # Faults (also switchable at runtime through POST /_sim/faults).
    sim_faults: str = Field(default="", alias="SIM_FAULTS")
    sim_fault_rate: float = Field(default=0.2, alias="SIM_FAULT_RATE")
    sim_fault_seed: int = Field(default=7, alias="SIM_FAULT_SEED")
    # Which help desk the server plays: `relay` serves our extension feeds (/issues/status_history,
    # /time_entries/list) and clamps oversize pages; `okdesk` serves only methods Okdesk
    # documents and answers what Okdesk answers (404 for the feeds, 400 for a page over 100).
    sim_helpdesk_dialect: Literal["relay", "okdesk"] = Field(default="relay", alias="SIM_HELPDESK_DIALECT")
    # The simulated Okdesk account's own time zone (okdesk dialect): it reads filter dates and
    # shows times in it, as an account does; unset = the world's company zone.
    sim_helpdesk_account_tz: str | None = Field(default=None, alias="SIM_HELPDESK_ACCOUNT_TZ")
    # Help-desk requests per second each api_token may make (token bucket of one second's
    # requests; over it: 429 with Retry-After); 0 = no limit. Also settable at POST /_sim/rate_limit.
    sim_helpdesk_rate_limit: float = Field(default=0.0, ge=0, alias="SIM_HELPDESK_RATE_LIMIT")
    # Size of the LRU cache of ordered key lists (one entry per (listing, filter, clock)).
    sim_key_cache_entries: int = Field(default=16, alias="SIM_KEY_CACHE_ENTRIES")
    # Webhooks (source_simulator/servers/webhooks.py): where each status change the clock reveals
    # is POSTed in Okdesk's shape (the token in the URL's query), unset = none sent; the share of
    # changes delivered twice (deterministic); delivery attempts per event.
    sim_helpdesk_webhook_url: str | None = Field(default=None, alias="SIM_HELPDESK_WEBHOOK_URL")
    sim_helpdesk_webhook_duplicate_rate: float = Field(default=0.05, ge=0, le=1,
                                                       alias="SIM_HELPDESK_WEBHOOK_DUPLICATE_RATE")
    sim_helpdesk_webhook_attempts: int = Field(default=8, ge=1, alias="SIM_HELPDESK_WEBHOOK_ATTEMPTS")
