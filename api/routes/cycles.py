"""Cycles: every portfolio-year's phase and progress, read from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.cache import TtlCache
from api.deps import CurrentPerson, SessionDep
from api.errors import PROBLEM_RESPONSES
from api.models import CycleDetail, CycleSummary, TaskPublic
from store.tables import Cycle, Portfolio, Task, TaskPerson

router = APIRouter(prefix="/cycles", tags=["cycles"], responses=PROBLEM_RESPONSES)


def summaries(session: Session, cycles: list[Cycle]) -> list[CycleSummary]:
    """Counts for many cycles in one grouped query."""
    now = datetime.now(UTC)
    ids = [cycle.id for cycle in cycles]
    is_open = col(Task.status) == "open"
    counts: dict[str, Any] = {}
    if ids:
        rows = session.execute(
            sa_select(
                col(Task.cycle_id),
                func.count(),
                func.sum(case((col(Task.status) == "done", 1), else_=0)),
                func.sum(case((is_open, 1), else_=0)),
                func.sum(case((is_open & (col(Task.due_at) < now), 1), else_=0)),
                func.sum(case((col(Task.status) == "cancelled", 1), else_=0)),
                func.min(case((is_open & (col(Task.due_at) >= now), col(Task.due_at)), else_=None)),
            )
            .where(col(Task.cycle_id).in_(ids))
            .group_by(col(Task.cycle_id))
        ).all()
        counts = {row[0]: row[1:] for row in rows}
    names = {p.id: p.name for p in session.exec(select(Portfolio))}
    result = []
    for cycle in cycles:
        total, done, open_, overdue, cancelled, next_due = counts.get(
            cycle.id, (0, 0, 0, 0, 0, None)
        )
        if isinstance(next_due, str):  # SQLite returns MIN() of a datetime as text
            next_due = datetime.fromisoformat(next_due)
        if next_due is not None and next_due.tzinfo is None:
            next_due = next_due.replace(tzinfo=UTC)
        result.append(
            CycleSummary(
                id=cycle.id,
                portfolio=cycle.portfolio,
                portfolio_name=names.get(cycle.portfolio),
                year=cycle.year,
                phase=cycle.phase,
                plan_version=cycle.plan_version,
                approved_at=cycle.approved_at,
                tasks_total=total or 0,
                tasks_done=done or 0,
                tasks_open=open_ or 0,
                tasks_overdue=overdue or 0,
                tasks_cancelled=cancelled or 0,
                next_due=next_due,
            )
        )
    return result


def task_public(task: Task, now: datetime) -> TaskPublic:
    return TaskPublic(
        id=task.id,
        portfolio=task.portfolio,
        year=task.year,
        item=task.item,
        kind=task.kind,
        title=task.title,
        due=task.due_at,
        original=task.original_at,
        assignees=task.assignees,
        attendees=task.attendees,
        status=task.status,
        overdue=task.status == "open" and task.due_at < now,
        done_at=task.done_at,
        done_by=task.done_by,
        comment=task.comment,
        evidence_url=task.evidence_url,
    )


# The status board is read far more often than it changes: a list is reused two seconds.
CYCLES_CACHE = TtlCache[bytes](ttl=2.0)
_LIST = TypeAdapter(list[CycleSummary])


@router.get("", response_model=list[CycleSummary])
async def read_cycles(
    request: Request,
    person: CurrentPerson,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    phase: str | None = None,
    portfolio: str | None = None,
) -> Response:
    def compute() -> bytes:
        query = select(Cycle).order_by(col(Cycle.year), col(Cycle.portfolio))
        if year is not None:
            query = query.where(Cycle.year == year)
        if phase is not None:
            query = query.where(Cycle.phase == phase)
        if portfolio is not None:
            query = query.where(Cycle.portfolio == portfolio)
        with request.app.state.sessions() as session:
            return _LIST.dump_json(summaries(session, list(session.exec(query))))

    body = await CYCLES_CACHE.get((year, phase, portfolio), lambda: run_in_threadpool(compute))
    return Response(body, media_type="application/json")


@router.get("/{portfolio}/{year}", response_model=CycleDetail)
def read_cycle(
    portfolio: str, year: int, session: SessionDep, person: CurrentPerson
) -> CycleDetail:
    cycle = session.get(Cycle, f"{portfolio}/{year}")
    if cycle is None:
        raise HTTPException(404, f"no cycle for portfolio {portfolio!r} in {year}")
    (summary,) = summaries(session, [cycle])
    now = datetime.now(UTC)
    query = select(Task).where(Task.cycle_id == cycle.id)
    if person.role == "buyer":
        # A buyer sees the cycle's progress, but only the tasks that concern them.
        mine = select(TaskPerson.task_id).where(TaskPerson.person_id == person.id)
        query = query.where(col(Task.id).in_(mine))
    tasks = session.exec(query.order_by(col(Task.due_at), col(Task.id))).all()
    return CycleDetail(
        **summary.model_dump(),
        submitted_at=cycle.submitted_at,
        approved_by=cycle.approved_by,
        evaluate_on=cycle.evaluate_on,
        scorecard=cycle.scorecard,
        review=cycle.review,
        tasks=[task_public(task, now) for task in tasks],
    )
