"""Cycles: every portfolio-year's phase and progress, read from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.access import (
    Officer,
    OwnReader,
    PortfolioReader,
    Reader,
    buyer_task_filter,
    reads_portfolio,
    require_portfolio,
    sees_everything,
)
from api.deps import SessionDep, TemporalDep
from api.errors import ApiError, responses
from api.models import CycleDetail, CycleStatus, CycleSummary, ReviewBody, TaskPublic, TimelineEntry
from api.paging import PageDep
from api.updates import cycle_write
from api.views import cycle_timeline
from domain.scorecard import Scorecard
from store.facts import cycle_scorecard
from store.tables import Cycle, Portfolio, Task
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import ReviewRequest

router = APIRouter(prefix="/cycles", tags=["cycles"], responses=responses(401, 403))
PortfolioId = Annotated[str, Path(max_length=64)]
Year = Annotated[int, Path(ge=2000, le=2100)]


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


_LIST = TypeAdapter(list[CycleSummary])


@router.get("", response_model=list[CycleSummary])
async def read_cycles(
    request: Request,
    person: Reader,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    phase: Annotated[str | None, Query(max_length=16)] = None,
    portfolio: Annotated[str | None, Query(max_length=64)] = None,
    overdue: Annotated[bool | None, Query(description="Only cycles with overdue work.")] = None,
) -> Response:
    """Every cycle's phase and progress, by year then portfolio (read from the store)."""

    def compute() -> tuple[bytes, int]:
        query = select(Cycle).order_by(col(Cycle.year), col(Cycle.portfolio))
        if year is not None:
            query = query.where(Cycle.year == year)
        if phase is not None:
            query = query.where(Cycle.phase == phase)
        if portfolio is not None:
            query = query.where(Cycle.portfolio == portfolio)
        with request.app.state.sessions() as session:
            rows = summaries(session, list(session.exec(query)))
        if overdue is not None:
            rows = [row for row in rows if (row.tasks_overdue > 0) == overdue]
        return _LIST.dump_json(rows[page.offset : page.offset + page.limit]), len(rows)

    key = (year, phase, portfolio, overdue, page.limit, page.offset)
    cache = request.app.state.caches.cycles
    body, total = await cache.get(key, lambda: run_in_threadpool(compute))
    response = Response(body, media_type="application/json")
    page.headers(request, response, total)
    return response


def stored_cycle(session: Session, portfolio: str, year: int) -> Cycle:
    cycle = session.get(Cycle, f"{portfolio}/{year}")
    if cycle is None:
        raise ApiError(404, "no_cycle", portfolio=portfolio, year=year)
    return cycle


@router.get("/{portfolio}/{year}", response_model=CycleDetail, responses=responses(404))
def read_cycle(
    portfolio: PortfolioId, year: Year, session: SessionDep, person: OwnReader
) -> CycleDetail:
    """A cycle with its tasks (a buyer: their own tasks; scorecard and review of theirs only)."""
    cycle = stored_cycle(session, portfolio, year)
    (summary,) = summaries(session, [cycle])
    now = datetime.now(UTC)
    query = select(Task).where(Task.cycle_id == cycle.id)
    if not sees_everything(person):
        query = query.where(buyer_task_filter(session, person))
    tasks = session.exec(query.order_by(col(Task.due_at), col(Task.id))).all()
    # Its indicator values and review are the portfolio's, read as `/indicators/…/values` are.
    evaluation = reads_portfolio(session, person, cycle.portfolio)
    return CycleDetail(
        **summary.model_dump(),
        submitted_at=cycle.submitted_at,
        approved_by=cycle.approved_by,
        evaluate_on=cycle.evaluate_on,
        scorecard=cycle.scorecard if evaluation else None,
        review=cycle.review if evaluation else None,
        tasks=[task_public(task, now) for task in tasks],
    )


@router.get(
    "/{portfolio}/{year}/timeline", response_model=list[TimelineEntry], responses=responses(404)
)
def read_timeline(
    portfolio: PortfolioId,
    year: Year,
    session: SessionDep,
    person: OwnReader,
    coming: Annotated[int, Query(ge=0, le=2000, description="How many coming notices.")] = 200,
) -> list[TimelineEntry]:
    """What was sent (and to whom) and what is planned next, in time order.

    A buyer sees only the messages addressed to them.
    """
    cycle = stored_cycle(session, portfolio, year)
    mine = None if sees_everything(person) else person.id
    return cycle_timeline(session, cycle, datetime.now(UTC), coming, only_for=mine)


@router.get("/{portfolio}/{year}/scorecard", response_model=Scorecard, responses=responses(404))
def read_scorecard(
    portfolio: PortfolioId, year: Year, session: SessionDep, person: PortfolioReader
) -> Scorecard:
    """Indicators against targets and the year's task record, as computed now."""
    cycle = stored_cycle(session, portfolio, year)
    require_portfolio(session, person, cycle.portfolio)
    return cycle_scorecard(session, cycle, datetime.now(UTC))


@router.post(
    "/{portfolio}/{year}/review",
    response_model=CycleStatus,
    responses=responses(404, 409, 422, 503),
)
async def record_review(
    portfolio: PortfolioId,
    year: Year,
    body: ReviewBody,
    person: Officer,
    temporal: TemporalDep,
    request: Request,
) -> CycleStatus:
    """The officer's year-end review (lessons, decisions): the cycle moves on to improving."""
    review = ReviewRequest(by=person.id, lessons=body.lessons, decisions=body.decisions)
    return await cycle_write(
        request, person, temporal, portfolio, year, PortfolioCycleWorkflow.record_review, review
    )
