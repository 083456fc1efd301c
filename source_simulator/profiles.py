"""World profiles: the same seed gives the same shape of company at every size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_END = date(2026, 11, 1)
DEFAULT_SEED = 42
HORIZON_DAYS = 31


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    tz: str
    lat: float
    lon: float
    city: str


REGIONS: tuple[Region, ...] = (
    Region("MSK", "Москва", "Europe/Moscow", 55.7558, 37.6173, "Москва"),
    Region("EKB", "Екатеринбург", "Asia/Yekaterinburg", 56.8389, 60.6057, "Екатеринбург"),
    Region("NSK", "Новосибирск", "Asia/Novosibirsk", 55.0302, 82.9204, "Новосибирск"),
    Region("SPB", "Санкт-Петербург", "Europe/Moscow", 59.9386, 30.3141, "Санкт-Петербург"),
    Region("KZN", "Казань", "Europe/Moscow", 55.7963, 49.1088, "Казань"),
)


@dataclass(frozen=True)
class Profile:
    name: str
    regions: int
    teams_per_region: int
    engineers_per_team: int
    clients: int
    sites_per_client: float      # mean
    units_per_site: float        # mean
    months: int
    tickets_per_workday: float   # at the start of the history (a trend adds ~10% a year)
    joiners: int                 # engineers hired mid-history
    leavers: int                 # engineers leaving mid-history
    contractors: int             # help-desk-only employees (no personnel number anywhere)


PROFILES: dict[str, Profile] = {
    "tiny": Profile("tiny", regions=1, teams_per_region=2, engineers_per_team=2, clients=3,
                    sites_per_client=2, units_per_site=3.4, months=2, tickets_per_workday=6,
                    joiners=1, leavers=1, contractors=1),
    "demo": Profile("demo", regions=3, teams_per_region=2, engineers_per_team=6, clients=50,
                    sites_per_client=8, units_per_site=8, months=24, tickets_per_workday=85,
                    joiners=5, leavers=4, contractors=2),
    "large": Profile("large", regions=5, teams_per_region=8, engineers_per_team=10, clients=600,
                     sites_per_client=10, units_per_site=10, months=36, tickets_per_workday=1350,
                     joiners=40, leavers=35, contractors=6),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}") from None
