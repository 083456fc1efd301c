"""1C accounting: standard OData v3 (docs/rules.md "1C accounting") under ``/onec/odata/standard.odata``."""

from __future__ import annotations

import base64
import binascii
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from source_simulator.store import as_of_clause

from .common import add_duplicate, add_malformed, clock_for_page, int_param
from .context import SimContext, ctx
from .errors import ODataError, SourceError, json_response
from .faults import MalformedSpec, set_field, uuid_key
from .helpdesk_payloads import number
from .timefmt import onec_datetime

router = APIRouter(prefix="/onec/odata/standard.odata")
EMPTY_REF = "00000000-0000-0000-0000-000000000000"
AS_OF = as_of_clause()
BAD_DATE = "31.02.2026"
MAX_TOP = 100_000


def _str(value: str | None) -> str:
    return "" if value is None else value


def _ref(value: str | None) -> str:
    return value or EMPTY_REF


def _catalog(row: sqlite3.Row) -> dict[str, Any]:
    return {"Ref_Key": row["ref_key"], "DataVersion": row["data_version"],
            "DeletionMark": bool(row["deletion_mark"]), "Code": _str(row["code"]),
            "Description": _str(row["description"])}


def _employee(row: sqlite3.Row) -> dict[str, Any]:
    return {**_catalog(row), "ТабельныйНомер": _str(row["personnel_no"]),
            "АдресЭлектроннойПочты": _str(row["email"]), "Подразделение": _str(row["department"])}


def _client(row: sqlite3.Row) -> dict[str, Any]:
    return {**_catalog(row), "ИНН": _str(row["inn"])}


def _contract(row: sqlite3.Row) -> dict[str, Any]:
    return {**_catalog(row), "Owner_Key": _ref(row["owner_key"]),
            "ДатаНачала": onec_datetime(row["start_date"]), "ДатаОкончания": onec_datetime(row["end_date"]),
            "АбонентскаяПлата": number(row["monthly_fee"]), "ВключеноЧасов": number(row["included_hours"]),
            "СтавкаСверхЛимита": number(row["overage_rate"]), "УровеньSLA": _str(row["sla_level"])}


def _sale(row: sqlite3.Row) -> dict[str, Any]:
    return {"Ref_Key": row["ref_key"], "DataVersion": row["data_version"],
            "DeletionMark": bool(row["deletion_mark"]), "Number": row["number"],
            "Date": onec_datetime(row["date"]), "Posted": bool(row["posted"]),
            "Контрагент_Key": _ref(row["client_key"]), "Договор_Key": _ref(row["contract_key"]),
            "СуммаДокумента": number(row["amount"])}


def _register(fields: dict[str, tuple[str, bool]]) -> Callable[[sqlite3.Row], dict[str, Any]]:
    """A register row builder: OData field -> (store column, is a number)."""

    def build(row: sqlite3.Row) -> dict[str, Any]:
        out: dict[str, Any] = {"Period": onec_datetime(row["period"])}
        for name, (column, numeric) in fields.items():
            out[name] = number(row[column]) if numeric else _str(row[column])
        return out

    return build


def _dim_key(n: int) -> str:
    return f"sim_malformed_{n}"


@dataclass(frozen=True)
class EntitySet:
    table: str
    build: Callable[[sqlite3.Row], dict[str, Any]]
    order_field: str          # the OData field of the stable order
    order_sql: str            # the SQL order that implements it (unique)
    malformed: MalformedSpec


CATALOG_BAD = {"bad_data_version": set_field(("DataVersion",), None)}
ENTITY_SETS: dict[str, EntitySet] = {
    "Catalog_Сотрудники": EntitySet("onec_employees", _employee, "Ref_Key", "ref_key",
                                    MalformedSpec("Ref_Key", uuid_key, {
                                        "bad_type": set_field(("DeletionMark",), "нет"), **CATALOG_BAD})),
    "Catalog_Контрагенты": EntitySet("onec_clients", _client, "Ref_Key", "ref_key",
                                     MalformedSpec("Ref_Key", uuid_key, {
                                         "bad_type": set_field(("DeletionMark",), "нет"), **CATALOG_BAD})),
    "Catalog_ДоговорыКонтрагентов": EntitySet("onec_contracts", _contract, "Ref_Key", "ref_key",
                                              MalformedSpec("Ref_Key", uuid_key, {
                                                  "bad_date": set_field(("ДатаНачала",), BAD_DATE),
                                                  "bad_number": set_field(("АбонентскаяПлата",), "сто")})),
    "InformationRegister_ПремиальныеКоэффициенты": EntitySet(
        "onec_bonus_coefficients", _register({"Коэффициент": ("code", False), "Значение": ("value", True)}),
        "Period", "period, code, row_id",
        MalformedSpec("Коэффициент", _dim_key, {"bad_date": set_field(("Period",), BAD_DATE),
                                                "bad_number": set_field(("Значение",), "abc")}, can_drop_key=False)),
    "InformationRegister_БаллыЗаВидыРабот": EntitySet(
        "onec_points", _register({"ВидРабот": ("work_type", False), "Баллы": ("points", True)}),
        "Period", "period, work_type, row_id",
        MalformedSpec("ВидРабот", _dim_key, {"bad_date": set_field(("Period",), BAD_DATE),
                                             "bad_number": set_field(("Баллы",), "abc")}, can_drop_key=False)),
    "InformationRegister_ТарифыДежурств": EntitySet(
        "onec_duty_tariffs", _register({"ТипСмены": ("shift_type", False), "Ставка": ("rate", True)}),
        "Period", "period, shift_type, row_id",
        MalformedSpec("ТипСмены", _dim_key, {"bad_date": set_field(("Period",), BAD_DATE),
                                             "bad_number": set_field(("Ставка",), "abc")}, can_drop_key=False)),
    "InformationRegister_ТарифыОбслуживания": EntitySet(
        "onec_service_tariffs",
        _register({"ВидРабот": ("work_type", False), "СтавкаЧасКлиента": ("client_rate", True),
                   "СебестоимостьЧасаИнженера": ("engineer_cost", True)}),
        "Period", "period, work_type, row_id",
        MalformedSpec("ВидРабот", _dim_key, {"bad_date": set_field(("Period",), BAD_DATE),
                                             "bad_number": set_field(("СтавкаЧасКлиента",), "abc")},
                      can_drop_key=False)),
    "Document_РеализацияТоваровУслуг": EntitySet("onec_sales", _sale, "Ref_Key", "ref_key",
                                                 MalformedSpec("Ref_Key", uuid_key, {
                                                     "bad_date": set_field(("Date",), BAD_DATE),
                                                     "bad_number": set_field(("СуммаДокумента",), "сто")})),
}
SUPPORTED = {"$format", "$top", "$skip", "$orderby"}


def _err(status: int, message: str, field: str | None = None) -> SourceError:
    return ODataError(status, message, code="-1")


def _auth(request: Request) -> SimContext:
    c = ctx(request)
    header = request.headers.get("authorization", "")
    challenge = {"WWW-Authenticate": 'Basic realm="1C:Enterprise"'}
    if not header.lower().startswith("basic "):
        raise ODataError(401, "Требуется аутентификация (HTTP Basic)", code="401", headers=challenge)
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ODataError(401, "Неверный заголовок авторизации", code="401", headers=challenge) from None
    ok = secrets.compare_digest(user, c.settings.onec_user) and secrets.compare_digest(
        password, c.settings.onec_password)
    if not ok:
        raise ODataError(401, "Неверное имя пользователя или пароль", code="401", headers=challenge)
    return c


def _metadata(request: Request, name: str) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/onec/odata/standard.odata/$metadata#{name}"


@router.get("/{entity_set}")
def entity_set(entity_set: str, request: Request) -> Response:
    c = _auth(request)
    name = entity_set.removesuffix("()")
    spec = ENTITY_SETS.get(name)
    if spec is None:
        raise ODataError(404, f"Не найден ресурс {name!r}; known: {', '.join(ENTITY_SETS)}", code="14")
    unsupported = [k for k in request.query_params if k.startswith("$") and k not in SUPPORTED]
    if unsupported:
        raise ODataError(400, f"the simulator does not support {', '.join(unsupported)}", code="-1")
    fmt = request.query_params.get("$format", "json")
    if not fmt.startswith("json") and fmt != "application/json":
        raise ODataError(415, f"only $format=json is served, got {fmt!r}", code="-1")
    orderby = request.query_params.get("$orderby")
    if orderby and orderby.strip().removesuffix(" asc").strip() != spec.order_field:
        raise ODataError(400, f"$orderby must be {spec.order_field} for {name}, got {orderby!r}", code="-1")
    top = int_param(request, "$top", None, _err)
    skip = int_param(request, "$skip", 0, _err) or 0
    now = clock_for_page(c, request, continuation=skip > 0)

    def compute() -> list[int]:
        sql = f"select row_id from {spec.table} where {AS_OF} order by {spec.order_sql}"
        return [r[0] for r in c.world.conn().execute(sql, {"now": now})]

    keys = c.world.ordered_keys((spec.table, now), compute)
    end = len(keys) if top is None else min(len(keys), skip + min(top, MAX_TOP))
    rows = c.world.rows_by_row_id(spec.table, keys[skip:end])
    items = [spec.build(r) for r in rows]

    def previous() -> dict[str, Any] | None:
        if not 0 < skip <= len(keys):
            return None
        return spec.build(c.world.rows_by_row_id(spec.table, [keys[skip - 1]])[0])

    items = add_duplicate(c, request, items, previous)
    items = add_malformed(c, request, "onec", name, spec.malformed, items)
    return json_response({"odata.metadata": _metadata(request, name), "value": items})


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def onec_unknown(rest: str, request: Request) -> Response:
    _auth(request)
    raise ODataError(404, f"Не найден ресурс {rest!r}", code="14")
