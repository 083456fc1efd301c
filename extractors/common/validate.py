"""Turning received JSON records into typed raw rows or rejects (never dropping one)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from extractors.common.raw import RawRecord, Reject

M = TypeVar("M", bound=BaseModel)


def describe_errors(exc: ValidationError) -> str:
    """`field 'updated_at': Input should be a valid datetime (got 'yesterday'); ...`"""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(x) for x in err.get("loc", ())) or "(record)"
        got = err.get("input")
        got_text = json.dumps(got, ensure_ascii=False, default=str) if not isinstance(got, dict) else "{...}"
        if len(got_text) > 80:
            got_text = got_text[:80] + "..."
        parts.append(f"field '{loc}': {err.get('msg')} (got {got_text})")
    return "; ".join(parts)


def raw_text(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, default=str)


def source_key(item: Any, fields: Iterable[str]) -> str | None:
    if not isinstance(item, dict):
        return None
    vals = [item.get(f) for f in fields]
    if all(v is None for v in vals):
        return None
    return "|".join("" if v is None else str(v) for v in vals)


def split_records(
    entity: str,
    items: Iterable[Any],
    model: type[M],
    to_values: Callable[[M], tuple[Any, ...]],
    key_fields: Iterable[str],
    *,
    enrich: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[list[RawRecord], list[Reject], list[M]]:
    """Validate each item with `model`; good ones become RawRecords, bad ones Rejects."""
    key_fields = list(key_fields)
    good: list[RawRecord] = []
    bad: list[Reject] = []
    models: list[M] = []
    for item in items:
        if not isinstance(item, dict):
            bad.append(Reject(entity, None, f"not a JSON object but {type(item).__name__}", raw_text(item)))
            continue
        payload = enrich(item) if enrich else item
        try:
            obj = model.model_validate(payload)
        except ValidationError as exc:
            bad.append(Reject(entity, source_key(payload, key_fields), describe_errors(exc), raw_text(payload)))
            continue
        good.append(RawRecord(values=to_values(obj), payload=payload))
        models.append(obj)
    return good, bad, models


def aware(value: datetime | None, tz: tzinfo) -> datetime | None:
    """A naive source timestamp read in the company time zone."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)
