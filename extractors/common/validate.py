"""Turning received JSON records into typed raw rows or rejects (never dropping one).

Fast path: a page is validated with one pydantic-core call against the model's own compiled
schema with its models turned into typed dicts (same fields, validators, defaults, config), so
it accepts exactly the records `Model.model_validate` accepts and yields plain dicts (no model
instances: ~3x cheaper). Only a page with an error falls back to record-by-record validation by
the model itself, so rejects and their reasons are unchanged. Consumers (`to_values`) read the
validated fields as `d["field"]`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator, core_schema

from extractors.common.raw import RawRecord, Reject

M = TypeVar("M", bound=BaseModel)
Fields = dict[str, Any]


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


def _dict_schema(schema: Any) -> Any:
    """The core schema of a model with every model turned into a typed dict of the same fields
    (same field validators, defaults, aliases, config and extra behaviour): pydantic-core then
    checks exactly what the model checks but builds plain dicts instead of model instances,
    ~3x cheaper on the help-desk pages. Raises `_NotPlain` for schemas this cannot mirror
    (custom validators, root models, dataclasses)."""
    if isinstance(schema, list):
        return [_dict_schema(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if isinstance(kind, str) and (kind.startswith("function") or kind in ("dataclass", "dataclass-args")):
        raise _NotPlain(kind)
    if kind == "model":
        if schema.get("root_model") or schema.get("custom_init") or schema.get("post_init"):
            raise _NotPlain("model with a custom init or root")
        inner = schema["schema"]
        if inner.get("type") != "model-fields":
            raise _NotPlain(f"model over {inner.get('type')}")
        config = dict(schema.get("config") or {})
        fields = {}
        for name, f in inner["fields"].items():
            field: dict[str, Any] = {"type": "typed-dict-field", "schema": _dict_schema(f["schema"]),
                                     "required": f["schema"].get("type") != "default"}
            if "validation_alias" in f:
                field["validation_alias"] = f["validation_alias"]
            fields[name] = field
        out: dict[str, Any] = {"type": "typed-dict", "fields": fields,
                               "extra_behavior": inner.get("extra_behavior")
                               or config.get("extra_fields_behavior") or "ignore"}
        if config:
            out["config"] = config
        if "ref" in schema:
            out["ref"] = schema["ref"]
        return out
    if kind == "model-fields":
        raise _NotPlain("model fields outside a model")
    return {k: _dict_schema(v) for k, v in schema.items()}


class _NotPlain(Exception):
    pass


class _PageValidator:
    """Validates a whole page in one pydantic-core call; output: one dict per record."""

    def __init__(self, model: type[BaseModel]):
        self.model = model
        self.dicts: SchemaValidator | None = None
        try:
            schema = _dict_schema(copy.deepcopy(model.__pydantic_core_schema__))
            self.dicts = SchemaValidator(core_schema.list_schema(schema))
            self.one = SchemaValidator(schema)
        except (_NotPlain, Exception):  # noqa: BLE001 - any doubt: validate with the model itself
            self.dicts = None
        self.models = TypeAdapter(list[model])  # type: ignore[valid-type]

    def page(self, items: list[Any]) -> list[dict[str, Any]]:
        if self.dicts is not None:
            return self.dicts.validate_python(items)  # type: ignore[no-any-return]
        return [o.model_dump() for o in self.models.validate_python(items)]

    def item(self, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise TypeError
        obj = self.model.model_validate(item)  # the model decides (and names the error)
        return self.one.validate_python(item) if self.dicts is not None else obj.model_dump()  # type: ignore[no-any-return]


_VALIDATORS: dict[type[BaseModel], _PageValidator] = {}


def _validator(model: type[BaseModel]) -> _PageValidator:
    v = _VALIDATORS.get(model)
    if v is None:
        v = _VALIDATORS[model] = _PageValidator(model)
    return v


def validate_rows(items: Sequence[Any], model: type[BaseModel]) -> list[dict[str, Any] | None]:
    """The validated fields of each item as a dict (what `model` would hold), None where the
    item fails `model`: one pydantic-core call for a clean page, item by item only when the
    page holds an error."""
    if not isinstance(items, list):
        items = list(items)
    v = _validator(model)
    try:
        return v.page(items)  # type: ignore[return-value]
    except ValidationError:
        out: list[dict[str, Any] | None] = []
        for item in items:
            try:
                out.append(v.item(item))
            except (ValidationError, TypeError):
                out.append(None)
        return out


def split_records(
    entity: str,
    items: Iterable[Any],
    model: type[BaseModel],
    to_values: Callable[[Fields], tuple[Any, ...]],
    key_fields: Iterable[str],
    *,
    enrich: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    objs: Sequence[Fields | None] | None = None,
    future_after: datetime | None = None,
    tz: tzinfo = UTC,
    stamp: str = "updated_at",
) -> tuple[list[RawRecord], list[Reject], list[Fields]]:
    """Validate each item with `model`; good ones become RawRecords, bad ones Rejects.

    `to_values` gets the validated fields as a dict (`validate_rows`); `objs`: the result of
    `validate_rows(items, model)` when the caller already has it. Also returns those dicts.
    With `future_after`, a valid row whose `stamp` (naive: in `tz`) is later is a Reject too
    (FUTURE_REASON): kept out of raw and out of the cursor, so a later load reads it again."""
    key_fields = list(key_fields)
    items = list(items)
    if enrich is not None:
        items = [enrich(i) if isinstance(i, dict) else i for i in items]
    if objs is None or len(objs) != len(items):
        objs = validate_rows(items, model)
    good: list[RawRecord] = []
    bad: list[Reject] = []
    fields: list[Fields] = []
    for payload, obj in zip(items, objs, strict=True):
        if obj is not None and future_after is not None:
            value = obj.get(stamp)
            when = aware(value, tz) if isinstance(value, datetime) else None
            if when is not None and when > future_after:
                bad.append(Reject(entity, source_key(payload, key_fields),
                                  future_reason(stamp, when, future_after), raw_text(payload)))
                continue
        if obj is not None:
            good.append(RawRecord(to_values(obj), payload))
            fields.append(obj)
            continue
        if not isinstance(payload, dict):
            bad.append(Reject(entity, None, f"not a JSON object but {type(payload).__name__}", raw_text(payload)))
            continue
        try:
            model.model_validate(payload)
        except ValidationError as exc:
            bad.append(Reject(entity, source_key(payload, key_fields), describe_errors(exc), raw_text(payload)))
        else:  # objs came from elsewhere and disagree: the model decides
            obj = _validator(model).item(payload)
            good.append(RawRecord(to_values(obj), payload))
            fields.append(obj)
    return good, bad, fields


def future_reason(stamp: str, when: datetime, future_after: datetime) -> str:
    """A row dated in the future (dbt: reject reason code `future_dated`)."""
    return (f"field '{stamp}': dated in the future ({when.isoformat()}, after this run's start plus"
            f" EXTRACT_CLOCK_SKEW_S, {future_after.isoformat()}); read again on a later run")


def aware(value: datetime | None, tz: tzinfo) -> datetime | None:
    """A naive source timestamp read in the company time zone."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)
