"""Superset configuration of the product (loaded through SUPERSET_CONFIG_PATH).

Everything that differs between the local demo and production comes from the environment:

- SUPERSET_DATABASE_URI: Superset's own metadata database (any SQLAlchemy URL); unset, an
  embedded SQLite file under SUPERSET_HOME (default .local/superset/superset.db).
- SUPERSET_SECRET_KEY: the signing key; unset in demo, a random key generated once and kept in
  SUPERSET_HOME/secret_key (local only: never committed). APP_ENV=production refuses to start
  without one of at least 32 characters, or with a demo password in SUPERSET_DATABASE_URI
  (warehouse/settings.py, check_startup).
- APPROVALS_URL: where the bonus dashboard links to (default http://127.0.0.1:8090), exposed to
  virtual datasets as the Jinja macro ``{{ approvals_url() }}``.

Nothing here reaches the internet: the content security policy allows only this server, so
the analytics pixel, web fonts and map tiles are never fetched.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME") or _ROOT / ".local" / "superset")
SUPERSET_HOME.mkdir(parents=True, exist_ok=True)


def _settings_spine():
    """warehouse/settings.py, loaded by path: Superset runs from its own venv, without the
    product's packages (the file needs only the standard library)."""
    spec = importlib.util.spec_from_file_location("_product_settings", _ROOT / "warehouse" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# Every Superset command (init, serve, users) loads this file: production stops here.
_settings_spine().check_startup("Superset", required=["SUPERSET_SECRET_KEY"],
                                optional=["SUPERSET_DATABASE_URI", "SUPERSET_ADMIN_PASSWORD"])


def _secret_key() -> str:
    from_env = os.environ.get("SUPERSET_SECRET_KEY")
    if from_env:
        return from_env
    path = SUPERSET_HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or (
    f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
)
DATA_DIR = str(SUPERSET_HOME)

# Russian first: the users are Russian-speaking; English stays selectable.
BABEL_DEFAULT_LOCALE = os.environ.get("SUPERSET_LOCALE", "ru")
LANGUAGES = {
    "ru": {"flag": "ru", "name": "Русский"},
    "en": {"flag": "us", "name": "English"},
}

# Numbers and dates as a Russian reader writes them (d3-format / d3-time-format locales; the
# frontend applies them to every explicit chart format): `,d` -> 1 234, `,.2f` -> 1 234,56,
# `$,.2f` -> 1 234,56 ₽, `.1%` -> 85,0%, `%d.%m.%Y` -> 01.10.2026, `%B %Y` -> октябрь 2026.
# Non-breaking spaces keep a figure on one line. Superset's SMART_NUMBER ignores this locale
# (1.2k), so charts use explicit formats.
D3_FORMAT = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", "\u00a0₽"],
}
# Month names in the nominative, as a month stands alone in a table cell or on an axis.
D3_TIME_FORMAT = {
    "dateTime": "%d.%m.%Y %H:%M:%S",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],  # unused: times are 24-hour (%H)
    "days": ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
    "shortDays": ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
    "months": ["январь", "февраль", "март", "апрель", "май", "июнь",
               "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"],
    "shortMonths": ["янв", "фев", "мар", "апр", "май", "июн",
                    "июл", "авг", "сен", "окт", "ноя", "дек"],
}

# Roles, users and row-level security rules are managed through the REST API by the loader.
FAB_ADD_SECURITY_API = True

FEATURE_FLAGS = {
    # `{{ approvals_url() }}` in the bonus dataset's SQL
    "ENABLE_TEMPLATE_PROCESSING": True,
    # each dashboard is visible to the roles superset_assets/security.yaml lists for it
    "DASHBOARD_RBAC": True,
    "TAGGING_SYSTEM": False,
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
}


def _approvals_url() -> str:
    return (os.environ.get("APPROVALS_URL") or "http://127.0.0.1:8090").rstrip("/")


JINJA_CONTEXT_ADDONS = {"approvals_url": _approvals_url}

# One small server on a laptop or a 2-core CI box: synchronous queries, simple in-process cache.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = CACHE_CONFIG
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = FILTER_STATE_CACHE_CONFIG
ROW_LIMIT = 50000
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120

# No phoning home: no analytics pixel, no web fonts, no map tiles from the internet.
SCARF_ANALYTICS = False
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
MAPBOX_API_KEY = ""
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
CONTENT_SECURITY_POLICY_WARNING = False
WTF_CSRF_ENABLED = True
