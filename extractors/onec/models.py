"""Pydantic models of the 1C OData rows (Cyrillic names as 1C publishes them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CatalogRow(_Row):
    Ref_Key: UUID
    DataVersion: str
    DeletionMark: bool
    Code: str | None = None
    Description: str | None = None


class Employee(CatalogRow):
    ТабельныйНомер: str | None = None
    АдресЭлектроннойПочты: str | None = None


class Client(CatalogRow):
    ИНН: str | None = None


class Contract(CatalogRow):
    Owner_Key: UUID
    ДатаНачала: datetime
    ДатаОкончания: datetime | None = None
    АбонентскаяПлата: Decimal
    ВключеноЧасов: Decimal
    СтавкаСверхЛимита: Decimal


class Sale(_Row):
    Ref_Key: UUID
    DataVersion: str
    DeletionMark: bool
    Number: str
    Date: datetime
    Posted: bool
    Контрагент_Key: UUID
    СуммаДокумента: Decimal


class BonusCoefficient(_Row):
    Period: datetime
    Коэффициент: str
    Значение: Decimal


class Points(_Row):
    Period: datetime
    ВидРабот: str
    Баллы: Decimal


class DutyTariff(_Row):
    Period: datetime
    ТипСмены: str
    Ставка: Decimal


class ServiceTariff(_Row):
    Period: datetime
    ВидРабот: str
    СтавкаЧасКлиента: Decimal
    СебестоимостьЧасаИнженера: Decimal
