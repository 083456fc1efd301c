"""CSRF tokens: itsdangerous-signed, bound to the session's random id, carried in each form."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_AGE_SECONDS = 12 * 3600


class Csrf:
    def __init__(self, secret_key: str) -> None:
        self._s = URLSafeTimedSerializer(secret_key, salt="approvals-csrf")

    @staticmethod
    def new_session_id() -> str:
        return secrets.token_urlsafe(24)

    def token(self, session_id: str) -> str:
        return self._s.dumps(session_id)

    def valid(self, token: str | None, session_id: str | None) -> bool:
        if not token or not session_id:
            return False
        try:
            value = self._s.loads(token, max_age=MAX_AGE_SECONDS)
        except BadSignature:  # also SignatureExpired
            return False
        return secrets.compare_digest(str(value), session_id)
