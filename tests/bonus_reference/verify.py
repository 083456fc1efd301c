"""Compare the warehouse's bonus marts with the reference recomputed from simulator truth.

`python -m bonus_reference verify --truth DIR [--db URL]` exits 0 when every line
(engineer, period, kind, event, amount) and every summary (total, calc_hash) agree, else 1
and lists the first differences. DIR is `python -m source_simulator truth --out DIR` taken at
the clock the extraction saw.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from bonus_reference.rules import compute_bonus, summarise
from bonus_reference.simulator_truth import world_from_truth

LineKey = tuple[str, date, str, str]

cli = typer.Typer(add_completion=False, help="Independent bonus recomputation (docs/rules.md) and checks.")


@cli.callback()
def main() -> None:
    """bonus_reference: the second opinion on every bonus rouble."""


def differences(db_url: str | None, truth: Path, company_tz: str) -> list[str]:
    from warehouse import connect

    lines = compute_bonus(world_from_truth(truth, company_tz))
    ref = {(ln.personnel_no, ln.period_start, ln.line_kind, ln.source_event_id): ln.amount_rub for ln in lines}
    ref_sum = {k: (s.total_rub, s.calc_hash) for k, s in summarise(lines).items()}
    with connect(db_url) as conn:
        wh: dict[LineKey, Decimal] = {
            (r[0], r[1], r[2], r[3]): r[4]
            for r in conn.execute(
                "select personnel_no, period_start, line_kind, source_event_id, amount_rub from marts.mart_bonus_lines"
            )
        }
        wh_sum = {
            (r[0], r[1]): (r[2], r[3])
            for r in conn.execute("select personnel_no, period_start, total_rub, calc_hash from marts.mart_bonus_summary")
        }
    out = [f"only in the warehouse: {k} {wh[k]}" for k in sorted(set(wh) - set(ref))]
    out += [f"only in the reference: {k} {ref[k]}" for k in sorted(set(ref) - set(wh))]
    out += [f"amount differs: {k} warehouse {wh[k]} reference {ref[k]}" for k in sorted(set(wh) & set(ref)) if wh[k] != ref[k]]
    out += [
        f"summary differs: {k} warehouse {wh_sum.get(k)} reference {ref_sum.get(k)}"
        for k in sorted(set(wh_sum) | set(ref_sum))
        if wh_sum.get(k) != ref_sum.get(k)
    ]
    return out


@cli.command()
def verify(
    truth: Annotated[Path, typer.Option(help="directory written by `python -m source_simulator truth`")],
    db: Annotated[str | None, typer.Option(help="warehouse URL (default WAREHOUSE_URL)")] = None,
    company_tz: Annotated[str, typer.Option(envvar="COMPANY_TZ")] = "Europe/Moscow",
) -> None:
    """Exit 1 unless mart_bonus_lines / mart_bonus_summary equal the reference to the kopeck."""
    diffs = differences(db, truth, company_tz)
    if diffs:
        typer.echo(f"{len(diffs)} differences:")
        for d in diffs[:30]:
            typer.echo(f"  {d}")
        raise typer.Exit(1)
    typer.echo("bonus marts equal the reference: every line, total and calc_hash")
