"""Errors in each source's own shape."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

JSON = "application/json; charset=utf-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


class SourceError(Exception):
    """An error answered in the shape of the source that raised it."""

    def __init__(self, status: int, message: str, *, code: str = "error", field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.field = field
        self.headers = headers or {}

    def body(self) -> Any:
        raise NotImplementedError


class HelpdeskError(SourceError):
    """Okdesk: ``{"errors": "..."}`` or ``{"errors": {"field": ["..."]}}``."""

    def body(self) -> Any:
        return {"errors": {self.field: [self.message]} if self.field else self.message}


class ScheduleError(SourceError):
    """The schedule service: ``{"error": "<code>", "detail": "..."}``."""

    def body(self) -> Any:
        return {"error": self.code, "detail": self.message}


class ODataError(SourceError):
    """1C OData: ``{"odata.error": {"code": ..., "message": {"lang": "ru", "value": ...}}}``."""

    def body(self) -> Any:
        return {"odata.error": {"code": self.code, "message": {"lang": "ru", "value": self.message}}}


def error_for_path(path: str, status: int, message: str, code: str,
                   headers: dict[str, str] | None = None) -> SourceError:
    """The error class of the source that owns ``path``."""
    if path.startswith("/schedule/"):
        return ScheduleError(status, message, code=code, headers=headers)
    if path.startswith("/onec/"):
        return ODataError(status, message, code=code, headers=headers)
    return HelpdeskError(status, message, code=code, headers=headers)


def install_handlers(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SourceError)
        return json_response(exc.body(), exc.status, exc.headers)

    app.add_exception_handler(SourceError, handle)
