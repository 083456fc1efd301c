"""1C loads: every catalog, register and document set reloaded in full into raw_onec.

Catalog and document versions are told apart by `DataVersion` (part of the payload hash);
register rows, which have none, by their payload hash. Rows missing from a complete reload
get a `_vanished_at` row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from extractors.common.raw import Column, EntitySpec, Reject
from extractors.common.runner import LoadContext
from extractors.common.validate import split_records
from extractors.onec import models as m
from extractors.onec.client import OnecClient

REF = (Column("ref_key", "uuid"),)
VERSIONED = (Column("data_version", "text"), Column("deletion_mark", "boolean"))
PERIOD = Column("period", "timestamp")


@dataclass(frozen=True)
class OnecEntity:
    spec: EntitySpec
    entity_set: str
    order_by: str
    model: type[BaseModel]
    to_values: Callable[[Any], tuple[Any, ...]]
    key_fields: tuple[str, ...]


def _catalog(o: Any) -> tuple[Any, ...]:
    return (o["Ref_Key"], o["DataVersion"], o["DeletionMark"])


def _spec(table: str, keys: tuple[Column, ...], extra: tuple[Column, ...], what: str) -> EntitySpec:
    return EntitySpec("onec", table, keys, extra, full_reload=True, description=what)


ENTITIES = {
    e.spec.table: e
    for e in [
        OnecEntity(_spec("employees", REF, VERSIONED, "1C employees (Catalog_Сотрудники)"),
                   "Catalog_Сотрудники", "Ref_Key", m.Employee, _catalog, ("Ref_Key",)),
        OnecEntity(_spec("clients", REF, VERSIONED, "1C counterparties (Catalog_Контрагенты)"),
                   "Catalog_Контрагенты", "Ref_Key", m.Client, _catalog, ("Ref_Key",)),
        OnecEntity(_spec("contracts", REF, VERSIONED, "1C contracts (Catalog_ДоговорыКонтрагентов)"),
                   "Catalog_ДоговорыКонтрагентов", "Ref_Key", m.Contract, _catalog, ("Ref_Key",)),
        OnecEntity(_spec("sales", REF, VERSIONED, "1C sales documents (Document_РеализацияТоваровУслуг)"),
                   "Document_РеализацияТоваровУслуг", "Ref_Key", m.Sale, _catalog, ("Ref_Key",)),
        OnecEntity(_spec("bonus_coefficients", (PERIOD, Column("code", "text")), (),
                         "Bonus coefficients register (InformationRegister_ПремиальныеКоэффициенты)"),
                   "InformationRegister_ПремиальныеКоэффициенты", "Period", m.BonusCoefficient,
                   lambda o: (o["Period"], o["Коэффициент"]), ("Period", "Коэффициент")),
        OnecEntity(_spec("points", (PERIOD, Column("work_type", "text")), (),
                         "Points per work type register (InformationRegister_БаллыЗаВидыРабот)"),
                   "InformationRegister_БаллыЗаВидыРабот", "Period", m.Points,
                   lambda o: (o["Period"], o["ВидРабот"]), ("Period", "ВидРабот")),
        OnecEntity(_spec("duty_tariffs", (PERIOD, Column("shift_type", "text")), (),
                         "Duty tariffs register (InformationRegister_ТарифыДежурств)"),
                   "InformationRegister_ТарифыДежурств", "Period", m.DutyTariff,
                   lambda o: (o["Period"], o["ТипСмены"]), ("Period", "ТипСмены")),
        OnecEntity(_spec("service_tariffs", (PERIOD, Column("work_type", "text")), (),
                         "Service tariffs register (InformationRegister_ТарифыОбслуживания)"),
                   "InformationRegister_ТарифыОбслуживания", "Period", m.ServiceTariff,
                   lambda o: (o["Period"], o["ВидРабот"]), ("Period", "ВидРабот")),
    ]
}
SPECS = [e.spec for e in ENTITIES.values()]


def _make_loader(entity: OnecEntity):
    async def load(ctx: LoadContext, client: OnecClient) -> None:
        rejects: list[Reject] = []
        keys: set[tuple[Any, ...]] = set()
        n_keys = len(entity.spec.keys)
        async for rows in client.pages(entity.entity_set, entity.order_by):
            good, bad, _ = split_records(entity.spec.table, rows, entity.model, entity.to_values,
                                         entity.key_fields)
            # overlapping pages repeat rows: each key counts once; the stage keeps the last one read
            keys.update(r.values[:n_keys] for r in good)
            await ctx.writer.stage(good)
            rejects += bad
        unique_rejects = {r.hash(): r for r in rejects}
        await ctx.writer.finish_full_reload(rejects, len(keys) + len(unique_rejects))

    load.__name__ = f"load_{entity.spec.table}"
    return load


LOADERS = {name: _make_loader(e) for name, e in ENTITIES.items()}
