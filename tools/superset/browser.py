"""Drive Superset in Debian's chromium with Playwright (dev group): log in, open dashboards.

Used by the browser tests and by the scaffold workflow: opening a dashboard as admin makes
Superset's frontend save the query context of every chart that lacks one, which
`/api/v1/chart/<id>/data/` needs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        raise RuntimeError(f"chromium is missing (looked at {CHROMIUM} and PATH): run `make chromium`")
    return path


@dataclass
class DashboardVisit:
    slug: str
    charts: int
    errors: list[str] = field(default_factory=list)
    text: str = ""
    screenshot: Path | None = None


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def _settle(page: Any, timeout: float = 60_000) -> None:
    """Wait until the page has no request in flight (best effort: a page that keeps polling
    just takes the whole timeout)."""
    with contextlib.suppress(Exception):  # playwright's TimeoutError; the caller checks what matters
        page.wait_for_load_state("networkidle", timeout=timeout)


def login(page: Any, base_url: str, username: str, password: str, attempts: int = 3) -> None:
    """Log in through the form and make sure the session cookie is the logged-in one.

    The login page's own requests (the language pack, ...) are answered with the anonymous
    session cookie. Submitting while one of them is still in flight (a busy server) lets that
    late answer overwrite the logged-in cookie: the user is redirected to /login/ on the next
    page, e.g. a dashboard that then never shows a chart. So: submit only once the login page
    is idle, wait until the landing page is idle too, then check the session with /api/v1/me/.
    On a loaded 2-core machine the form submit itself can still be lost in that race (the page
    stays on /login/); the whole sign-in is then tried again from clean cookies, a few times.
    """
    problems = []
    for attempt in range(1, attempts + 1):
        try:
            _login_once(page, base_url, username, password)
            return
        except Exception as exc:  # noqa: BLE001 - playwright's TimeoutError or our own check
            problems.append(f"attempt {attempt}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            page.context.clear_cookies()
    raise RuntimeError(f"login as {username!r} failed {attempts} times:\n  " + "\n  ".join(problems))


def _login_once(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/", wait_until="domcontentloaded")
    _settle(page, timeout=30_000)
    page.locator('[data-test="username-input"]').fill(username)
    page.locator('[data-test="password-input"]').fill(password)
    page.locator('[data-test="login-button"]').click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=45_000)
    _settle(page)
    me = page.request.get(f"{base_url}/api/v1/me/")
    if me.status != 200 or me.json().get("result", {}).get("username") != username:
        raise RuntimeError(f"login as {username!r} did not hold: /api/v1/me/ answered {me.status} "
                           f"{me.text()[:200]} (page {page.url})")


def period_param(time_range: str) -> str:
    """The URL parameter that sets the dashboards' native filter «Период» (id
    NATIVE_FILTER-period) to a Superset time range instead of its default."""
    value = time_range.replace("'", "!'")
    mask = (f"('NATIVE_FILTER-period':(extraFormData:(time_range:'{value}'),"
            f"filterState:(value:'{value}'),id:'NATIVE_FILTER-period'))")
    return "native_filters=" + quote(mask, safe="")


def open_dashboard(page: Any, base_url: str, slug: str, shots: Path | None = None, tag: str = "",
                   timeout: float = 90.0, period: str | None = None) -> DashboardVisit:
    """Open a dashboard, wait until no chart is loading, collect chart errors and the text.
    `period`: a time range for the filter «Период» (default: the dashboard's own default)."""
    extra = f"&{period_param(period)}" if period else ""
    page.goto(f"{base_url}/superset/dashboard/{slug}/?standalone=1{extra}", wait_until="domcontentloaded")
    page.locator(".dashboard-component-chart-holder").first.wait_for(timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator(".loading, [data-test='loading-indicator']").count() == 0:
            break
        time.sleep(0.5)
    time.sleep(2.5)  # let the last charts finish their animation before the screenshot
    holders = page.locator(".dashboard-component-chart-holder")
    errors = []
    for i in range(holders.count()):
        holder = holders.nth(i)
        err = holder.locator(".ant-alert-error, [data-test='error-message'], .alert-danger, [role='alert']")
        if err.count():
            title = holder.locator("[data-test='editable-title'], .header-title").first
            name = title.inner_text() if title.count() else f"chart #{i}"
            errors.append(f"{name}: {err.first.inner_text()[:300]}")
    visit = DashboardVisit(slug=slug, charts=holders.count(), errors=errors, text=page.inner_text("body"))
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        visit.screenshot = shots / f"{tag}{slug}.png"
        page.screenshot(path=str(visit.screenshot), full_page=True)
    return visit


def capture_query_contexts(page: Any, base_url: str, slug: str, timeout: float = 90.0) -> dict[int, str]:
    """{chart id: query context JSON} of the chart-data requests a dashboard's frontend makes."""
    found: dict[int, str] = {}

    def on_request(request: Any) -> None:
        if request.method == "POST" and "/api/v1/chart/data" in request.url and request.post_data:
            body = json.loads(request.post_data)
            slice_id = (body.get("form_data") or {}).get("slice_id")
            if slice_id:
                found[int(slice_id)] = request.post_data

    page.on("request", on_request)
    try:
        open_dashboard(page, base_url, slug, timeout=timeout)
    finally:
        page.remove_listener("request", on_request)
    return found
