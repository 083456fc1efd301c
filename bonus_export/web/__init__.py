"""The approvals page (FastAPI, server-rendered Jinja)."""

from bonus_export.web.app import create_app

__all__ = ["create_app"]
