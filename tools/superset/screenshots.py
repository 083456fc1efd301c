"""Screenshots of every dashboard of the running demo, as the manager and as the engineer, into
docs/img/ (what the README shows).

    make screenshots          # after `make demo`; SUPERSET_URL and DEMO_PASSWORD override

The manager opens five dashboards, the engineer their own cabinet (row-level security
shows only their rows). A dashboard with a chart in error stops the run naming the chart:
a picture of a broken screen is not committed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tools.superset.browser import launch, login, open_dashboard

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ["manager", "engineer", "bonuses", "contracts", "forecast", "data-quality"]
# the engineer cabinet as the engineer sees it (own rows); the manager opens the other five
VISITS = {"manager": [d for d in DASHBOARDS if d != "engineer"], "engineer": ["engineer"]}


def take(url: str, password: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as p:
        browser = launch(p)
        for user, slugs in VISITS.items():
            page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="ru-RU")
            login(page, url, user, password)
            for slug in slugs:
                visit = open_dashboard(page, url, slug, shots=out, tag=f"{user}-")
                if visit.errors:
                    raise SystemExit(f"{slug} as {user}: charts in error:\n  " + "\n  ".join(visit.errors))
                shots.append(visit.screenshot)
            page.close()
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    for shot in take(args.url, os.environ.get("DEMO_PASSWORD", "demo"), args.out):
        print(shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot)


if __name__ == "__main__":
    main()
