"""The settings every part shares, read in one place: the environment (demo or production),
the company time zone and the warehouse URL, plus the demo values of the source settings.

In `demo` (the default) an unset setting falls back to the local simulator's value, so the
project runs with no configuration at all. In `production` nothing falls back: a setting that
is not set raises `MissingSetting` naming the variable, so a demo secret can never reach a
real source.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
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


# ---------------------------------------------------------------- the start-up check
# Values that only the demo uses (the simulator's tokens, the demo users' and the private
# cluster's passwords): production refuses each of them wherever it appears.
DEMO_SECRETS = frozenset({
    "admin", "demo", "odata", "warehouse",
    DEMO_DEFAULTS["HELPDESK_API_TOKEN"], DEMO_DEFAULTS["HELPDESK_WEBHOOK_TOKEN"], DEMO_DEFAULTS["SCHEDULE_TOKEN"],
})
# Keys that ship in examples and in Superset's own default configuration.
DEFAULT_SECRET_KEYS = frozenset({
    "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "\x02\x01thisismyscretkey\x01\x02\\e\\y\\y\\h", "changeme", "secret",
})
MIN_SECRET_KEY_LENGTH = 32
# The simulator's credentials and the setting naming the URL each one is sent to: sent anywhere
# but the local simulator they leak a known secret to a real system, in any environment.
SIMULATOR_CREDENTIALS: dict[str, str] = {
    "HELPDESK_API_TOKEN": "HELPDESK_URL",
    "SCHEDULE_TOKEN": "SCHEDULE_URL",
    "ONEC_PASSWORD": "ONEC_URL",
}
LOOPBACK_HOSTS = frozenset({"localhost", "::1"})


class UnsafeSetting(RuntimeError):
    """A service refuses to start: each problem names its variable (`names` lists them)."""

    def __init__(self, service: str, problems: dict[str, str], environment: str = "production") -> None:
        self.service = service
        self.problems = problems
        self.names = list(problems)
        lines = "\n".join(f"  - {name} {why}" for name, why in problems.items())
        super().__init__(f"{service} refuses to start (APP_ENV={environment}):\n{lines}")


def is_loopback_url(url: str) -> bool:
    """Whether `url` points at this machine (where the simulator runs); a file path counts too."""
    from urllib.parse import urlsplit

    if "://" not in url:
        return True
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _url_password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _problem(name: str, value: str | None) -> str | None:
    """Why `value` of `name` is unsafe in production (None: it is fine)."""
    if not value:
        return "is not set"
    if name.endswith("_USER"):
        return None  # a login name is no secret (1C's OData user is often called odata)
    if name.endswith("SECRET_KEY"):
        if value in DEFAULT_SECRET_KEYS:
            return "is a well-known default key: generate one (openssl rand -base64 48)"
        if len(value) < MIN_SECRET_KEY_LENGTH:
            return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters: generate one (openssl rand -base64 48)"
        return None
    if name.endswith(("_URL", "_URI")):
        password = _url_password(value)
        if password and password.lower() in DEMO_SECRETS:
            return "holds a demo password: give the database user its own password"
        return None
    if value.lower() in DEMO_SECRETS:
        return "is a demo password or token: set the real one"
    return None


def check_startup(
    service: str, required: Iterable[str] = (), optional: Iterable[str] = (), env: Mapping[str, str] | None = None,
) -> None:
    """Refuse to start `service` on unsafe settings, naming each variable (UnsafeSetting).

    In any environment: a simulator credential (SIMULATOR_CREDENTIALS) at its demo value while
    its URL points away from this machine. In production also: a `required` variable unset, and
    any `required` or set `optional` variable holding a demo password or token, a default or a
    short secret key (names ending SECRET_KEY), or a URL whose password is a demo one. Each
    service calls this once as it starts, with the variables it reads.
    """
    env = os.environ if env is None else env
    production = (env.get("APP_ENV") or "demo").strip().lower() == "production"
    problems: dict[str, str] = {}
    names = list(dict.fromkeys([*required, *optional]))
    for name in names:
        url_name = SIMULATOR_CREDENTIALS.get(name)
        if url_name:
            value = env.get(name) or DEMO_DEFAULTS[name]
            url = env.get(url_name) or DEMO_DEFAULTS[url_name]
            if value == DEMO_DEFAULTS[name] and not is_loopback_url(url):
                problems[name] = f"is the simulator's demo credential, but {url_name} points at {url}: set the real one"
                continue
        if production:
            value = env.get(name) or PRODUCTION_DEFAULTS.get(name)
            if not value and name not in required:
                continue
            why = _problem(name, value)
            if why:
                problems[name] = why
    if problems:
        raise UnsafeSetting(service, problems, "production" if production else "demo")
