"""A small typed client of Superset's REST API (login, CSRF, JSON and file calls)."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import stamina
from pydantic import BaseModel

from warehouse.settings import check_startup


class SupersetError(RuntimeError):
    """A Superset API call failed; the message names the call and Superset's answer."""


class SupersetSettings(BaseModel):
    url: str = "http://127.0.0.1:8088"
    username: str = "admin"
    password: str = "admin"

    @classmethod
    def from_env(cls) -> SupersetSettings:
        """SUPERSET_URL and SUPERSET_ADMIN_PASSWORD (demo: admin); production refuses a missing
        or demo admin password (warehouse.settings.check_startup)."""
        check_startup("the Superset client", required=["SUPERSET_ADMIN_PASSWORD"])
        return cls(
            url=os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088"),
            username="admin",
            password=os.environ.get("SUPERSET_ADMIN_PASSWORD") or "admin",
        )


def rison_list(values: list[int]) -> str:
    return "!(" + ",".join(str(v) for v in values) + ")"


class SupersetClient:
    """A logged-in session: a bearer token for the API and a CSRF token for writes."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 120.0) -> None:
        self.base = url.rstrip("/")
        self.http = httpx.Client(base_url=self.base, timeout=timeout, headers={"Referer": self.base})
        self._login(username, password)

    @classmethod
    def from_settings(cls, settings: SupersetSettings) -> SupersetClient:
        return cls(settings.url, settings.username, settings.password)

    @stamina.retry(on=httpx.TransportError, attempts=5, wait_initial=1.0)
    def _login(self, username: str, password: str) -> None:
        resp = self.http.post(
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
        )
        if resp.status_code != 200:
            raise SupersetError(f"login as {username!r} at {self.base} failed: HTTP {resp.status_code} {resp.text[:300]}")
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        csrf = self.http.get("/api/v1/security/csrf_token/")
        self._check(csrf, "GET /api/v1/security/csrf_token/")
        self.http.headers["X-CSRFToken"] = csrf.json()["result"]

    @staticmethod
    def _check(resp: httpx.Response, what: str) -> None:
        if resp.status_code >= 400:
            raise SupersetError(f"{what} failed: HTTP {resp.status_code} {resp.text[:2000]}")

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, path, **kwargs)
        self._check(resp, f"{method} {path}")
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.content

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, payload: Any) -> Any:
        return self.request("POST", path, json=payload)

    def put(self, path: str, payload: Any) -> Any:
        return self.request("PUT", path, json=payload)

    def list_all(self, resource: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """Every row of a list endpoint (`/api/v1/<resource>/`), page by page."""
        out: list[dict[str, Any]] = []
        page = 0
        while True:
            q = f"(page:{page},page_size:100"
            if columns:
                q += ",columns:!(" + ",".join(columns) + ")"
            q += ")"
            body = self.get(f"/api/v1/{resource}/", params={"q": q})
            rows = body.get("result", [])
            out.extend(rows)
            if len(rows) < 100:
                return out
            page += 1

    def import_assets(self, zip_bytes: bytes, passwords: dict[str, str]) -> None:
        """`/api/v1/assets/import/`: overwrites databases, datasets, charts and dashboards
        matched by UUID (the dashboard import endpoint leaves existing charts and datasets as
        they are, so edits in the tree would never arrive)."""
        resp = self.http.post(
            "/api/v1/assets/import/",
            files={"bundle": ("bundle.zip", zip_bytes, "application/zip")},
            data={"passwords": json.dumps(passwords)},
        )
        self._check(resp, "POST /api/v1/assets/import/")

    def export_dashboards(self, ids: list[int]) -> bytes:
        resp = self.http.get("/api/v1/dashboard/export/", params={"q": rison_list(ids)})
        self._check(resp, "GET /api/v1/dashboard/export/")
        return resp.content

    def close(self) -> None:
        self.http.close()
