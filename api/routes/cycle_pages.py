"""The cycle's page: a portfolio's year under way, its phase and its tasks by month; for the
officer, what running the year needs: the postponements to decide, the values not entered and
the overdue work by person, and a link to amend each open occurrence (cycle_forms.py)."""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from api.access import reads_portfolio
from api.deps import get_temporal
from api.errors import ApiError
from api.routes.plan_pages import Portfolio_, Reader, Year, month_name, zone_of
from api.routes.task_pages import locale_of
from api.web import page
from domain.model import Aggregation, Role
from domain.scorecard import portfolio_indicators
from notifications import formatting
from store.facts import cycle_plan, evaluation_facts
from store.tables import Cycle, Indicator, IndicatorValue, Notification, Person, Portfolio, Task
from workflows.task import TaskWorkflow
from workflows.types import RescheduleProposal, task_workflow_id

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "for the portfolio's people", "content": {"text/html": {}}},
        404: {"description": "no such cycle", "content": {"text/html": {}}},
    },
)
# What an amendment from a page does; the cycle page says which one was done.
ACTIONS = ("reschedule", "cancel_task", "cancel_item", "reassign", "add_item")


@router.get("/cycles/{portfolio}/{year}", response_class=HTMLResponse)
async def read_cycle_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Reader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """A portfolio's year: its phase, its tasks by month and how far they are; for the officer,
    the postponements to decide, the values not entered and the overdue work by person."""
    now = datetime.now(UTC)
    running = person.role == Role.officer

    def load() -> dict[str, Any] | Response:
        with request.app.state.sessions() as session:
            locale = locale_of(person, session)
            cycle = session.get(Cycle, f"{portfolio}/{year}")
            if cycle is None:
                return page(
                    request, "message.html", person, 404, title_key="plan", text_key="not_found"
                )
            if not reads_portfolio(session, person, portfolio):
                return page(
                    request, "message.html", person, 403, title_key="plan", text_key="not_yours"
                )
            portfolio_row = session.get(Portfolio, portfolio)
            tasks = list(
                session.exec(
                    select(Task).where(Task.cycle_id == cycle.id).order_by(col(Task.due_at))
                )
            )
            facts = {
                "locale": locale,
                "cycle": cycle,
                "portfolio_name": portfolio_row.name if portfolio_row else portfolio,
                "tasks": tasks,
                "zone": zone_of(session),
            }
            if running:
                facts |= _running_facts(session, cycle, tasks, locale, now)
            return facts

    facts = await run_in_threadpool(load)
    if isinstance(facts, Response):
        return facts
    tasks: list[Task] = facts.pop("tasks")
    zone, locale = facts.pop("zone"), facts["locale"]
    if running:
        facts["requests"] = await _waiting_postponements(
            request, facts.pop("asked"), facts["names"], zone, locale
        )
    months: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        months[task.due_at.astimezone(zone).month].append(task)
    return page(
        request,
        "cycle.html",
        person,
        **facts,
        running=running,
        outcome=done if done in ACTIONS else None,
        done=sum(1 for t in tasks if t.status == "done"),
        total=sum(1 for t in tasks if t.status != "cancelled"),
        overdue=sum(1 for t in tasks if t.status == "open" and t.due_at < now),
        nonce=secrets.token_hex(16),
        months=[
            {
                "name": month_name(month, locale),
                "tasks": [
                    {
                        "id": t.id,
                        "title": t.title,
                        "when": formatting.day(t.due_at, zone, locale),
                        "status": t.status,
                        "overdue": t.status == "open" and t.due_at < now,
                    }
                    for t in months[month]
                ],
            }
            for month in sorted(months)
        ],
    )


def _running_facts(
    session: Session, cycle: Cycle, tasks: list[Task], locale: str, now: datetime
) -> dict[str, Any]:
    """What the officer runs the year with: who has not entered which values, who is late,
    and the tasks someone asked to postpone (their workflows say which still wait)."""
    zone = zone_of(session)
    names = {p.id: p.name for p in session.exec(select(Person))}
    indicators = {i.id: i.name for i in session.exec(select(Indicator))}
    have = {
        (v.indicator_id, key)
        for v in session.exec(
            select(IndicatorValue).where(IndicatorValue.portfolio_id == cycle.portfolio)
        )
        for key in (v.period, v.task_id)
        if key
    }
    missing = []
    for task in tasks:
        asked = task.status == "missed" or (task.status == "open" and task.due_at <= now)
        if task.kind != "indicator_checkpoint" or not asked:
            continue
        lacking = [i for i in task.indicators if (i, task.id) not in have]
        if lacking:
            missing.append(
                {
                    "id": task.id,
                    "title": task.title,
                    "when": formatting.day(task.due_at, zone, locale),
                    "status": task.status,
                    "who": ", ".join(names.get(p, p) for p in task.assignees),
                    "indicators": ", ".join(indicators.get(i, i) for i in lacking),
                }
            )
    document = cycle_plan(session, cycle)
    points, _, _ = evaluation_facts(session, cycle.id)
    valued = {point.indicator for point in points}
    # Computed indicators (Boucle's tasks, DECP contracts) and ratios (from the two they
    # divide) are never typed in: only the others can lack a value.
    year_missing = [
        indicator.name
        for indicator in (portfolio_indicators(document, cycle.portfolio) if document else [])
        if indicator.id not in valued
        and indicator.computed is None
        and indicator.aggregation != Aggregation.ratio
    ]
    late: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        if task.status == "open" and task.due_at < now:
            for assignee in task.assignees:
                late[assignee].append(
                    {
                        "id": task.id,
                        "title": task.title,
                        "when": formatting.day(task.due_at, zone, locale),
                        "days": (now - task.due_at).days,
                    }
                )
    open_ids = [t.id for t in tasks if t.status == "open"]
    asked_ids = set(
        session.exec(
            select(Notification.task_id).where(
                Notification.type == "reschedule_requested",
                col(Notification.task_id).in_(open_ids),
            )
        )
    )
    return {
        "names": names,
        "missing": missing,
        "year_missing": ", ".join(year_missing),
        "late": [
            {"name": names.get(p, p), "tasks": rows}
            for p, rows in sorted(late.items(), key=lambda pair: (-len(pair[1]), pair[0]))
        ],
        "asked": [t for t in tasks if t.id in asked_ids],
    }


async def _waiting_postponements(
    request: Request, asked: list[Task], names: dict[str, str], zone: Any, locale: str
) -> list[dict[str, Any]] | None:
    """The postponements still waiting for the officer, as their tasks' workflows hold them;
    None when the engine cannot be asked."""
    if not asked:
        return []
    try:
        temporal = await get_temporal(request)
    except ApiError:
        return None

    async def proposal_of(task: Task) -> RescheduleProposal | None:
        handle = temporal.get_workflow_handle(task_workflow_id(task.id))
        view = await asyncio.wait_for(handle.query(TaskWorkflow.view), 3)
        return view.proposal  # type: ignore[no-any-return]

    found = await asyncio.gather(*(proposal_of(task) for task in asked), return_exceptions=True)
    if all(isinstance(answer, BaseException) for answer in found):
        return None
    return [
        {
            "id": task.id,
            "title": task.title,
            "due": formatting.when(task.due_at, zone, locale),
            "wished": formatting.when(proposal.due, zone, locale),
            "by": names.get(proposal.by, proposal.by),
            "reason": proposal.reason or "—",
        }
        for task, proposal in zip(asked, found, strict=True)
        if isinstance(proposal, RescheduleProposal)
    ]
