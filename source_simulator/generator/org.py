"""The company and its clients: regions, teams, engineers, clients, contracts, sites, units.

Everything here is small enough to keep in memory even at the `large` profile; tickets and
shifts are streamed day by day elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from source_simulator.generator import catalog
from source_simulator.generator.clock import COMPANY_TZ, MS_DAY, MS_HOUR, add_months, iso, local_ms
from source_simulator.generator.rng import data_version, stable_uuid, stream
from source_simulator.generator.sink import Sink
from source_simulator.profiles import REGIONS, Profile, Region

DOMAIN = "servis-tech.ru"
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalnum())


@dataclass(eq=False)
class Team:
    id: int
    name: str
    region: Region


@dataclass(eq=False)
class Engineer:
    hd_id: int
    personnel_no: str | None           # None: help-desk-only contractor (unmatched identity)
    last_name: str
    first_name: str
    patronymic: str
    position: str
    team: Team
    email: str                         # canonical (schedule); lower case
    hd_email: str                      # as the help desk has it (case may differ)
    onec_email: str
    login: str
    hired_ms: int
    left_ms: int | None
    deletion_marked: bool
    onec_ref: str | None

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name} {self.patronymic}"

    def active_at(self, ms: int) -> bool:
        return self.hired_ms <= ms and (self.left_ms is None or ms < self.left_ms)


@dataclass(eq=False)
class Contract:
    ref: str
    code: str
    start: date
    end: date | None
    # versions: (valid_from_ms, monthly_fee, included_hours, overage_rate, end_date)
    versions: list[tuple[int, str, str, str, date | None]]
    sla_level: str


@dataclass(eq=False)
class Client:
    hd_id: int
    onec_ref: str | None
    inn: str | None
    name: str
    code: str
    region: Region
    contracts: list[Contract] = field(default_factory=list)
    weight: float = 1.0


@dataclass(eq=False)
class Unit:
    hd_id: int
    serial: str
    inventory: str
    kind: catalog.Kind
    model: tuple[str, str, str, str]
    commissioned: date
    since_ms: int
    override_pno: str | None


@dataclass(eq=False)
class Site:
    hd_id: int
    code: str
    name: str
    client: Client
    region: Region
    address: str
    lat: str
    lon: str
    area_m2: str | None
    units: list[Unit]
    # engineer assignments: (from_ms, engineer), ascending
    assignments: list[tuple[int, Engineer]]
    weight: float = 1.0

    def engineer_at(self, ms: int) -> Engineer:
        current = self.assignments[0][1]
        for since, eng in self.assignments:
            if since <= ms:
                current = eng
        return current


@dataclass(eq=False)
class Org:
    regions: list[Region]
    teams: list[Team]
    engineers: list[Engineer]
    clients: list[Client]
    sites: list[Site]
    orphan_client: Client            # help-desk-only company (no INN, no 1C)

    def team_members(self, team: Team) -> list[Engineer]:
        return [e for e in self.engineers if e.team.id == team.id]


def inn10(rng) -> str:
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


SITE_NAMES = ("Котельная №{n}", "Склад №{n}", "Офис", "Цех №{n}", "АЗС №{n}", "Насосная станция №{n}",
              "Серверная", "Автобаза №{n}", "Лаборатория", "Производственный корпус {n}")
POSITIONS = ("Инженер", "Инженер", "Старший инженер", "Ведущий инженер")


def build_org(seed: int, profile: Profile, start: date, horizon_ms: int) -> Org:
    start_ms = local_ms(start, COMPANY_TZ)
    span_ms = horizon_ms - start_ms
    regions = list(REGIONS[: profile.regions])
    teams: list[Team] = []
    for r in regions:
        for k in range(profile.teams_per_region):
            teams.append(Team(len(teams) + 1, f"{r.name}: выездная группа {k + 1}", r))

    fake = Faker("ru_RU")
    engineers: list[Engineer] = []
    used_logins: set[str] = set()

    def person(key: str, team: Team, hired_ms: int, left_ms: int | None, contractor: bool) -> Engineer:
        rng = stream(seed, "person", key)
        fake.seed_instance(rng.getrandbits(32))
        female = rng.random() < 0.25
        if female:
            last, first, middle = fake.last_name_female(), fake.first_name_female(), fake.middle_name_female()
        else:
            last, first, middle = fake.last_name_male(), fake.first_name_male(), fake.middle_name_male()
        base = f"{translit(last)}.{translit(first)[:1]}{translit(middle)[:1]}"
        login, n = base, 1
        while login in used_logins:
            n += 1
            login = f"{base}{n}"
        used_logins.add(login)
        domain = "partner-service.ru" if contractor else DOMAIN
        email = f"{login}@{domain}"
        # e-mail case differs between systems for some people (matching is case-insensitive)
        hd_email = email
        onec_email = email
        hd_id = len(engineers) + 1
        if hd_id % 3 == 1:
            hd_email = f"{login.split('.')[0].capitalize()}.{login.split('.')[1].upper()}@{domain}"
        if hd_id % 5 == 2:
            onec_email = email.upper()
        pno = None if contractor else f"{1000 + hd_id * 7:06d}"
        eng = Engineer(
            hd_id=hd_id, personnel_no=pno, last_name=last, first_name=first, patronymic=middle,
            position="Инженер (подрядчик)" if contractor else rng.choice(POSITIONS), team=team,
            email=email, hd_email=hd_email, onec_email=onec_email, login=login, hired_ms=hired_ms,
            left_ms=left_ms, deletion_marked=False,
            onec_ref=None if contractor else stable_uuid(seed, "onec-employee", hd_id),
        )
        engineers.append(eng)
        return eng

    base_count = len(teams) * profile.engineers_per_team
    # who leaves: spread over the teams; never the first member of a team
    leaver_slots = {(i * 7 + 1) % base_count for i in range(profile.leavers)}
    leaver_slots = {s if s % profile.engineers_per_team else (s + 1) % base_count for s in leaver_slots}
    rng_org = stream(seed, "org")
    for slot in range(base_count):
        team = teams[slot % len(teams)]
        hired = start_ms - int(rng_org.uniform(0.3, 6.0) * 365 * MS_DAY)
        hired = hired - hired % MS_DAY + 6 * MS_HOUR   # 09:00 Moscow
        left = None
        if slot in leaver_slots:
            frac = rng_org.uniform(0.35, 0.85)
            left = start_ms + int(span_ms * frac)
            left = left - left % MS_DAY + 15 * MS_HOUR  # 18:00 Moscow
        eng = person(f"eng-{slot}", team, hired, left, contractor=False)
        if left is not None:
            eng.deletion_marked = len([e for e in engineers if e.left_ms]) % 2 == 1
    for j in range(profile.joiners):
        team = teams[(j * 3) % len(teams)]
        frac = rng_org.uniform(0.2, 0.7) if profile.joiners > 1 else 0.4
        hired = start_ms + int(span_ms * frac)
        hired = hired - hired % MS_DAY + 6 * MS_HOUR
        person(f"joiner-{j}", team, hired, None, contractor=False)
    for c in range(profile.contractors):
        team = teams[(c * 5 + 1) % len(teams)]
        person(f"contractor-{c}", team, start_ms - 200 * MS_DAY, None, contractor=True)

    # ---------------------------------------------------------------- clients & contracts
    clients: list[Client] = []
    for i in range(profile.clients):
        rng = stream(seed, "client", i)
        fake.seed_instance(rng.getrandbits(32))
        region = regions[i % len(regions)]
        form = rng.choice(("ООО", "ООО", "АО", "ПАО"))
        name = f"{form} «{fake.last_name_male()}{rng.choice(('Энерго', 'Газ', 'Транс', 'Строй', 'Пром', 'Техно', 'Агро'))}»"
        clients.append(Client(
            hd_id=i + 1, onec_ref=stable_uuid(seed, "onec-client", i), inn=inn10(rng), name=name,
            code=f"00-{i + 1:06d}", region=region, weight=rng.uniform(0.5, 2.0),
        ))
    orphan = Client(hd_id=len(clients) + 1, onec_ref=None, inn=None, name="ИП Сидоров (разовые заявки)",
                    code="", region=regions[0], weight=0.0)

    # ---------------------------------------------------------------- sites & units
    sites: list[Site] = []
    unit_no = 0
    active_base = [e for e in engineers if e.personnel_no and e.hired_ms <= start_ms]
    for client in clients:
        rng = stream(seed, "sites", client.hd_id)
        if profile.name == "tiny":
            n_sites = int(profile.sites_per_client)
        else:
            n_sites = max(1, round(rng.expovariate(1 / profile.sites_per_client)))
        for _ in range(n_sites):
            region = client.region if rng.random() < 0.8 else rng.choice(regions)
            fake.seed_instance(rng.getrandbits(32))
            idx = len(sites) + 1
            code = f"{region.code}-{idx:04d}"
            lat = f"{region.lat + rng.uniform(-0.25, 0.25):.6f}"
            lon = f"{region.lon + rng.uniform(-0.4, 0.4):.6f}"
            area = None if rng.random() < 0.1 else f"{rng.uniform(40, 5000):.1f}"
            address = f"г. {region.city}, {fake.street_name()}, д. {rng.randint(1, 120)}"
            team_engs = [e for e in active_base if e.team.region.code == region.code]
            first = team_engs[(idx * 5 + rng.randint(0, 3)) % len(team_engs)]
            units: list[Unit] = []
            n_units = max(1, round(rng.gauss(profile.units_per_site, profile.units_per_site / 3)))
            for _ in range(n_units):
                unit_no += 1
                kind = rng.choice(catalog.EQUIPMENT_KINDS)
                model = rng.choice(kind.models)
                if rng.random() < 0.1:
                    commissioned = start + timedelta(days=int(rng.uniform(0.05, 0.9) * span_ms / MS_DAY))
                else:
                    commissioned = start - timedelta(days=rng.randint(30, 2500))
                since = max(local_ms(commissioned, region.tz, 10), start_ms - 400 * MS_DAY) \
                    if commissioned < start else local_ms(commissioned, region.tz, 10)
                override = None
                if rng.random() < 0.06:
                    stayers = [e for e in team_engs if e.left_ms is None and e is not first]
                    if stayers:
                        override = rng.choice(stayers).personnel_no
                units.append(Unit(
                    hd_id=unit_no,
                    serial=f"{model[2][:3].upper()}{commissioned.year % 100:02d}{unit_no * 37 % 1000000:06d}",
                    inventory=f"ИН-{unit_no:06d}", kind=kind, model=model, commissioned=commissioned,
                    since_ms=since, override_pno=override,
                ))
            sites.append(Site(
                hd_id=idx, code=code, name=rng.choice(SITE_NAMES).format(n=rng.randint(1, 30)),
                client=client, region=region, address=address, lat=lat, lon=lon, area_m2=area,
                units=units, assignments=[(start_ms - 400 * MS_DAY, first)],
                weight=client.weight * rng.uniform(0.5, 1.5),
            ))

    # reassignments: leavers hand their sites over; joiners take over some sites
    for eng in sorted(engineers, key=lambda e: (e.left_ms or e.hired_ms, e.hd_id)):
        if eng.personnel_no is None:
            continue
        if eng.left_ms is not None:
            for site in sites:
                if site.engineer_at(eng.left_ms - 1) is eng:
                    heirs = [e for e in engineers if e.personnel_no and e.team.region.code == site.region.code
                             and e is not eng and e.active_at(eng.left_ms)]
                    heir = heirs[site.hd_id % len(heirs)]
                    site.assignments.append((eng.left_ms, heir))
        if eng.hired_ms > start_ms:
            mine = [s for s in sites if s.region.code == eng.team.region.code]
            for site in mine[:: max(2, profile.engineers_per_team)]:
                site.assignments.append((eng.hired_ms + MS_DAY, eng))
    for site in sites:
        site.assignments.sort(key=lambda a: a[0])

    # contracts need the sites (expected hours are proportional to the client's sites)
    _build_contracts(seed, profile, clients, sites, start, start_ms, horizon_ms)
    return Org(regions, teams, engineers, clients, sites, orphan)


def _build_contracts(seed: int, profile: Profile, clients: list[Client], sites: list[Site],
                     start: date, start_ms: int, horizon_ms: int) -> None:
    total_w = sum(s.weight for s in sites) or 1.0
    monthly_tickets = profile.tickets_per_workday * 24
    mid = add_months(start.replace(day=1), max(1, profile.months // 2))
    for client in clients:
        rng = stream(seed, "contracts", client.hd_id)
        share = sum(s.weight for s in sites if s.client is client) / total_w
        expected_hours = monthly_tickets * share * 2.0       # ~2 included hours per ticket
        kind = client.hd_id % 3  # 1: renewed, 2: amended, 0: fixed term over the whole history
        factor = rng.choice((0.6, 0.8, 0.9, 1.0, 1.1, 1.3, 1.6))
        included = max(4, round(expected_hours * factor))
        if kind == 0 and rng.random() < 0.25:
            included = 0
        fee = max(15000, round(included * 2400, -3))
        overage = f"{rng.choice((3000, 3500, 4000, 4500))}.00"
        sla = catalog.SLA_LEVELS[client.hd_id % len(catalog.SLA_LEVELS)]

        def contract(n: int, c_start: date, c_end: date | None, client: Client = client,
                     sla: str = sla) -> Contract:
            return Contract(ref=stable_uuid(seed, "onec-contract", client.hd_id, n),
                            code=f"{client.code}-{n}", start=c_start, end=c_end, versions=[],
                            sla_level=sla)

        def at(d: date) -> int:
            return local_ms(d, COMPANY_TZ, 11)

        if kind == 1:
            first_start = add_months(start.replace(day=1), -rng.randint(6, 18))
            c1 = contract(1, first_start, mid - timedelta(days=1))
            c1.versions.append((at(first_start - timedelta(days=12)), f"{fee}.00", f"{included}.00", overage, c1.end))
            c2 = contract(2, mid, None)
            fee2, inc2 = int(round(fee * 1.1, -3)), included + max(2, included // 10)
            c2.versions.append((at(mid - timedelta(days=10)), f"{fee2}.00", f"{inc2}.00", overage, None))
            client.contracts += [c1, c2]
        elif kind == 2:
            c_start = add_months(start.replace(day=1), -rng.randint(3, 30))
            c = contract(1, c_start, None)
            c.versions.append((at(c_start - timedelta(days=7)), f"{fee}.00", f"{included}.00", overage, None))
            # the amendment: more included hours from mid-history on (a new DataVersion)
            c.versions.append((at(mid - timedelta(days=3)), f"{int(round(fee * 1.15, -3))}.00",
                               f"{round(included * 1.2)}.00", overage, None))
            client.contracts.append(c)
        else:
            c_start = add_months(start.replace(day=1), -rng.randint(1, 12))
            c_end = add_months(c_start, 12 * 4) - timedelta(days=1)
            c = contract(1, c_start, c_end)
            c.versions.append((at(c_start - timedelta(days=5)), f"{fee}.00", f"{included}.00", overage, c_end))
            client.contracts.append(c)


def contract_terms_at(contract: Contract, ms: int) -> tuple[str, str, str, date | None] | None:
    current = None
    for since, fee, inc, over, end in contract.versions:
        if since <= ms:
            current = (fee, inc, over, end)
    return current


# ---------------------------------------------------------------------------------- writing
def write_org(sink: Sink, seed: int, org: Org, start_ms: int, horizon_ms: int) -> None:
    for r_id, r in enumerate(org.regions, 1):
        sink.add("regions", {"id": r_id, "code": r.code, "name": r.name, "tz": r.tz})
    region_ids = {r.code: i for i, r in enumerate(org.regions, 1)}
    for t in org.teams:
        sink.add("teams", {"id": t.id, "name": t.name, "region_id": region_ids[t.region.code]})

    for e in org.engineers:
        base = {
            "id": e.hd_id, "last_name": e.last_name, "first_name": e.first_name,
            "patronymic": e.patronymic, "position": e.position, "email": e.hd_email,
            "login": e.login, "group_ids": json.dumps([e.team.id]), "personnel_no": e.personnel_no,
        }
        versions = [(e.hired_ms, {**base, "active": 1})]
        if e.left_ms is not None:
            versions.append((e.left_ms, {**base, "active": 0}))
        sink.add_versions("hd_employees", versions, horizon_ms)
        if e.personnel_no is None:
            continue
        onec = {
            "ref_key": e.onec_ref, "code": f"{e.hd_id:09d}", "description": e.full_name,
            "personnel_no": e.personnel_no, "email": e.onec_email, "department": e.team.name,
        }
        ov = [(e.hired_ms - 2 * MS_DAY,
               {**onec, "data_version": data_version(seed, e.onec_ref, 1), "deletion_mark": 0})]
        if e.left_ms is not None and e.deletion_marked:
            ov.append((e.left_ms + 2 * MS_DAY,
                       {**onec, "data_version": data_version(seed, e.onec_ref, 2), "deletion_mark": 1}))
        sink.add_versions("onec_employees", ov, horizon_ms)

    early = start_ms - 500 * MS_DAY
    for c in [*org.clients, org.orphan_client]:
        sink.add_versions("hd_companies", [(early, {
            "id": c.hd_id, "name": c.name, "crm_1c_id": c.onec_ref, "active": 1, "inn": c.inn})])
        if c.onec_ref is None:
            continue
        sink.add_versions("onec_clients", [(early, {
            "ref_key": c.onec_ref, "data_version": data_version(seed, c.onec_ref, 1),
            "deletion_mark": 0, "code": c.code, "description": c.name, "inn": c.inn})])
        for k in c.contracts:
            versions = []
            for n, (since, fee, inc, over, end) in enumerate(k.versions, 1):
                versions.append((since, {
                    "ref_key": k.ref, "data_version": data_version(seed, k.ref, n), "deletion_mark": 0,
                    "code": k.code, "description": f"Договор сервисного обслуживания № {k.code} от "
                                                   f"{k.start.strftime('%d.%m.%Y')}",
                    "owner_key": c.onec_ref, "start_date": k.start.isoformat(),
                    "end_date": end.isoformat() if end else None, "monthly_fee": fee,
                    "included_hours": inc, "overage_rate": over, "sla_level": k.sla_level}))
            sink.add_versions("onec_contracts", versions, horizon_ms)

    for s in org.sites:
        # a few sites are renamed mid-history (both the help desk and the registry follow)
        renamed_at = start_ms + (horizon_ms - start_ms) // 2 if s.hd_id % 20 == 3 else None
        new_name = f"{s.name} (после реконструкции)"
        hd_versions = [(early, {
            "id": s.hd_id, "name": s.name, "company_id": s.client.hd_id, "address": s.address,
            "lat": s.lat, "lon": s.lon, "timezone": s.region.tz, "site_code": s.code,
            "updated_at": iso(early)})]
        if renamed_at is not None:
            hd_versions.append((renamed_at, {**hd_versions[0][1], "name": new_name, "updated_at": iso(renamed_at)}))
        sink.add_versions("hd_sites", hd_versions, horizon_ms)
        moments = sorted({max(a_from, early) for a_from, _ in s.assignments} | ({renamed_at} if renamed_at else set()))
        reg_versions = []
        for at in moments:
            reg_versions.append((at, {
                "site_code": s.code, "client_inn": s.client.inn,
                "name": new_name if renamed_at is not None and at >= renamed_at else s.name,
                "address": s.address, "region": s.region.name, "lat": s.lat, "lon": s.lon,
                "area_m2": s.area_m2, "engineer_personnel_no": s.engineer_at(at).personnel_no}))
        sink.add_versions("reg_sites", reg_versions, horizon_ms)
        for u in s.units:
            sink.add_versions("hd_equipment", [(u.since_ms, {
                "id": u.hd_id, "serial_number": u.serial, "inventory_number": u.inventory,
                "maintenance_entity_id": s.hd_id, "company_id": s.client.hd_id,
                "kind_code": u.kind.code, "kind_name": u.kind.name, "model_code": u.model[0],
                "model_name": u.model[1], "manufacturer_code": u.model[2],
                "manufacturer_name": u.model[3]})], horizon_ms)
            sink.add_versions("reg_equipment", [(u.since_ms, {
                "serial_number": u.serial, "site_code": s.code, "kind": u.kind.name,
                "manufacturer": u.model[3], "model": u.model[1],
                "commissioned_on": u.commissioned.isoformat(),
                "engineer_personnel_no": u.override_pno})], horizon_ms)
