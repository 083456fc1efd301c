"""The help desk's webhooks: when SIM_HELPDESK_WEBHOOK_URL is set, every status change the clock
reveals is POSTed there in Okdesk's shape, as an Okdesk account does to its configured webhook.

A move of the clock from T0 to T1 (POST /_sim/clock) queues the window (T0, T1]; one background
thread sends the window's changes in order (changed_at, id): the first change of an issue as
`new_ticket`, the others as `new_ticket_status`, with the issue as of the change (`status`, the
`old_status` before it, `updated_at` = the moment of the change). Changes before the server's
start clock, or revealed by moving the clock back, are never sent: webhooks report what happens
from the moment they are configured.

Delivery as a sender on the internet does it: a connection error, a 429 or a 5xx is retried with
a growing pause (SIM_HELPDESK_WEBHOOK_ATTEMPTS attempts in all), a 4xx other than 429 is not
(the event is counted as failed). Some events are delivered twice on purpose
(SIM_HELPDESK_WEBHOOK_DUPLICATE_RATE, deterministic: the same changes on every run), after the
window's other events, as a redelivery would come. GET /_sim/webhooks shows the counts.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from source_simulator.store import as_of_clause

from . import helpdesk_payloads as P
from .errors import json_response
from .settings import ServerSettings
from .timefmt import store_to_local_iso, zone
from .world import World

log = logging.getLogger("source_simulator.webhooks")
router = APIRouter(prefix="/_sim")
RETRY_PAUSE_S = 0.05  # first pause between attempts, doubled each time up to RETRY_PAUSE_MAX_S
RETRY_PAUSE_MAX_S = 2.0

WINDOW_CHANGES = f"""
select h.id, h.issue_id, h.status_code, h.changed_at, h.author_id,
       (select p.status_code from hd_status_history p
        where p.issue_id = h.issue_id and (p.changed_at, p.id) < (h.changed_at, h.id)
          and {as_of_clause('p')} order by p.changed_at desc, p.id desc limit 1) as old_status
from hd_status_history h
where h.changed_at > :after and h.changed_at <= :now and {as_of_clause('h')}
order by h.changed_at, h.id
"""


def is_duplicate(change_id: int, rate: float) -> bool:
    """Whether the change is delivered twice: a fixed share `rate` of the changes, by their id."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"webhook-duplicate:{change_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _coded(code: str | None) -> dict[str, str] | None:
    return None if code is None else {"code": code, "name": P.STATUS_NAMES.get(code, code)}


def _without_query(url: str) -> str:
    """The URL without its query (the token is there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@dataclass
class WebhookSender:
    world: World
    url: str
    tz: ZoneInfo
    duplicate_rate: float = 0.0
    attempts: int = 8
    counts: dict[str, int] = field(default_factory=lambda: {
        "windows": 0, "events": 0, "delivered": 0, "duplicates": 0, "retries": 0, "failed": 0})
    _queue: queue.Queue[tuple[str, str]] = field(default_factory=queue.Queue)
    _pending: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def clock_moved(self, before: str, after: str) -> None:
        """The clock went from `before` to `after` (store text): queue the window if forward."""
        if after <= before:
            return
        with self._lock:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sim-webhooks", daemon=True)
                self._thread.start()
        self._queue.put((before, after))

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"url": _without_query(self.url), "pending_windows": self._pending,
                    "duplicate_rate": self.duplicate_rate, "counts": dict(self.counts)}

    def events(self, after: str, now: str) -> list[tuple[int, dict[str, Any]]]:
        """(status change id, webhook body) of every change in (after, now], in order."""
        rows = self.world.query(WINDOW_CHANGES, {"after": after, "now": now})
        out = []
        for row in rows:
            issue_rows = self.world.query(f"select * from hd_issues where id = :id and {P.AS_OF}",
                                          {"id": row["issue_id"], "now": row["changed_at"]})
            issue: dict[str, Any] = {"id": row["issue_id"]}
            if issue_rows:
                issue = P.issues(self.world, issue_rows, row["changed_at"], self.tz)[0]
            issue["status"] = _coded(row["status_code"])
            issue["old_status"] = _coded(row["old_status"])
            issue["updated_at"] = store_to_local_iso(row["changed_at"], self.tz)
            author = None if row["author_id"] is None else {"id": row["author_id"], "type": "employee"}
            event_type = "new_ticket" if row["old_status"] is None else "new_ticket_status"
            out.append((row["id"], {"event": {"event_type": event_type, "author": author}, "issue": issue}))
        return out

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def _deliver(self, client: httpx.Client, body: dict[str, Any]) -> bool:
        pause = RETRY_PAUSE_S
        for attempt in range(1, self.attempts + 1):
            try:
                answer = client.post(self.url, json=body)
                if answer.status_code < 300:
                    return True
                retry = answer.status_code == 429 or answer.status_code >= 500
                reason = f"HTTP {answer.status_code}"
            except httpx.TransportError as exc:
                retry, reason = True, type(exc).__name__
            if not retry or attempt == self.attempts:
                log.warning("webhook for issue %s not delivered (%s)", body["issue"]["id"], reason)
                return False
            self._count("retries")
            time.sleep(pause)
            pause = min(pause * 2, RETRY_PAUSE_MAX_S)
        return False

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while True:
                after, now = self._queue.get()
                try:
                    events = self.events(after, now)
                    again = [body for change_id, body in events if is_duplicate(change_id, self.duplicate_rate)]
                    self._count("windows")
                    self._count("events", len(events))
                    for body in [*(b for _, b in events), *again]:
                        self._count("delivered" if self._deliver(client, body) else "failed")
                    self._count("duplicates", len(again))
                except Exception:  # a broken window must not stop the ones after it
                    log.exception("webhook window (%s, %s] failed", after, now)
                finally:
                    with self._lock:
                        self._pending -= 1


def from_settings(world: World, settings: ServerSettings, company_tz: ZoneInfo) -> WebhookSender | None:
    """The sender the settings ask for (None: SIM_HELPDESK_WEBHOOK_URL unset). Times are written
    in the zone the help desk shows them in (the account's own zone in the okdesk dialect)."""
    if not settings.sim_helpdesk_webhook_url:
        return None
    tz = company_tz
    if settings.sim_helpdesk_dialect == "okdesk" and settings.sim_helpdesk_account_tz:
        tz = zone(settings.sim_helpdesk_account_tz)
    return WebhookSender(world, settings.sim_helpdesk_webhook_url, tz,
                         duplicate_rate=settings.sim_helpdesk_webhook_duplicate_rate,
                         attempts=settings.sim_helpdesk_webhook_attempts)


def sender_of(request: Request) -> WebhookSender | None:
    return getattr(request.app.state, "webhooks", None)


@router.get("/webhooks")
def webhooks_status(request: Request) -> Response:
    sender = sender_of(request)
    return json_response(sender.status() if sender else {"url": None, "pending_windows": 0})
