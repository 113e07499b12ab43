"""What a cycle's evaluation is computed from: its indicator values and its tasks' outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.model import PlanFile
from domain.scorecard import (
    IndicatorValuePoint,
    Scorecard,
    TaskOutcome,
    compute_scorecard,
    score_tasks,
)
from domain.values_csv import ORGANISATION
from store.decp import contract_facts
from store.tables import Cycle, IndicatorValue, Organisation, PlanVersion, Task


def period_year(period: str) -> str:
    """The year of a value's period: a task id (portfolio/year/item/date) or '2027', '2027-Q4'."""
    parts = period.split("/")
    return parts[1] if len(parts) >= 4 else period[:4]


def evaluation_facts(
    session: Session, cycle_id: str
) -> tuple[list[IndicatorValuePoint], list[TaskOutcome], list[IndicatorValuePoint]]:
    """This year's values, the tasks' outcomes, and the values of earlier years."""
    portfolio, year = cycle_id.rsplit("/", 1)
    tasks = session.exec(select(Task).where(Task.cycle_id == cycle_id)).all()
    # Organisation-wide indicators are recorded once, under `organisation`, for every portfolio.
    values = session.exec(
        select(IndicatorValue).where(
            col(IndicatorValue.portfolio_id).in_([portfolio, ORGANISATION])
        )
    )
    everything = [
        IndicatorValuePoint(
            indicator=v.indicator_id,
            period=v.period,
            value=v.value,
            recorded_at=v.recorded_at or datetime.now(UTC),
            year=int(period_year(v.period)) if period_year(v.period).isdigit() else None,
        )
        for v in values
    ]
    points = [p for p in everything if p.year == int(year)]
    earlier = [p for p in everything if p.year is not None and p.year < int(year)]
    outcomes = [
        TaskOutcome(task=t.id, kind=t.kind, due=t.due_at, status=t.status, done_at=t.done_at)
        for t in tasks
    ]
    return points, outcomes, earlier


def cycle_plan(session: Session, cycle: Cycle) -> PlanFile | None:
    """The plan version the cycle runs (the approved one, or its draft while planning)."""
    query = select(PlanVersion).where(
        PlanVersion.portfolio == cycle.portfolio, PlanVersion.year == cycle.year
    )
    if cycle.plan_version is not None:
        query = query.where(PlanVersion.version == cycle.plan_version)
    row = session.exec(query.order_by(PlanVersion.version.desc())).first()  # type: ignore[attr-defined]
    return PlanFile.model_validate(row.document) if row is not None else None


def cycle_scorecard(session: Session, cycle: Cycle, now: datetime) -> Scorecard:
    """The cycle's scorecard as its values and tasks stand now."""
    document = cycle_plan(session, cycle)
    points, outcomes, earlier = evaluation_facts(session, cycle.id)
    if document is None:  # no stored plan: the task record alone, in the organisation's zone
        organisation = session.get(Organisation, 1)
        zone = ZoneInfo(organisation.timezone if organisation else "Europe/Paris")
        return Scorecard(
            portfolio=cycle.portfolio,
            year=cycle.year,
            computed_at=now,
            indicators=[],
            tasks=score_tasks(outcomes, zone, now),
        )
    shares, gaps = contract_facts(session, cycle.portfolio, cycle.year)
    return compute_scorecard(
        document,
        cycle.portfolio,
        cycle.year,
        points,
        outcomes,
        now,
        earlier=earlier,
        contract_shares=shares,
        art35_gaps=gaps,
    )
