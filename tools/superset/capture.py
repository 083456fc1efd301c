"""Save the query context of every chart that has none, as the dashboard frontend builds it.

`/api/v1/chart/<id>/data/` (and so the API test) needs a chart's saved query context; the
UI saves it when a chart is saved in Explore, but charts drafted by the scaffold have none.
This opens each dashboard as admin in chromium, records the frontend's chart-data requests,
and stores them on the charts (`PUT /api/v1/chart/<id>` with query_context_generation).

    .venv/bin/python -m tools.superset.capture [--url http://127.0.0.1:8088]
"""

from __future__ import annotations

import argparse
import json

from superset_assets.client import SupersetClient, SupersetSettings
from tools.superset.browser import capture_query_contexts, launch, login


def capture(settings: SupersetSettings, only_missing: bool = True) -> dict[int, str]:
    from playwright.sync_api import sync_playwright

    client = SupersetClient.from_settings(settings)
    slugs = [d["slug"] for d in client.list_all("dashboard", ["id", "slug"])]
    saved: dict[int, str] = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        login(page, settings.url, settings.username, settings.password)
        for slug in slugs:
            for chart_id, body in capture_query_contexts(page, settings.url, slug).items():
                chart = client.get(f"/api/v1/chart/{chart_id}")["result"]
                if only_missing and chart.get("query_context"):
                    continue
                qc = json.loads(body)
                qc.get("form_data", {}).pop("dashboardId", None)
                client.put(f"/api/v1/chart/{chart_id}",
                           {"query_context": json.dumps(qc), "query_context_generation": True})
                saved[chart_id] = chart["slice_name"]
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None)
    parser.add_argument("--all", action="store_true", help="overwrite existing query contexts too")
    args = parser.parse_args()
    settings = SupersetSettings.from_env()
    if args.url:
        settings = settings.model_copy(update={"url": args.url})
    saved = capture(settings, only_missing=not args.all)
    print(f"saved the query context of {len(saved)} charts")


if __name__ == "__main__":
    main()
