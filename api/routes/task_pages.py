"""The buyer's pages: "Mes tâches" and a task's page, with what a person does from it.

Signed in by the session cookie (api/web.py). Each action is a plain form that goes to the
task's workflow as the API's routes do (the same validators decide), then back to the page
with what happened, in the person's language.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session, col, select

from api.access import buyer_task_filter, concerns
from api.deps import get_temporal
from api.errors import MESSAGES, ApiError
from api.routes.tasks import (
    LARGEST_EVIDENCE,
    evidence_folder,
)
from api.web import gate, page
from domain.calendar import WorkingCalendar, anchor_datetime
from domain.model import Organisation as OrganisationSettings
from domain.model import PlanFile, PlanItem, Role
from domain.recurrence_words import describe_recurrence_at
from notifications import formatting
from store.facts import cycle_plan
from store.tables import (
    Cycle,
    Evidence,
    Indicator,
    Notification,
    Organisation,
    Person,
    Portfolio,
    Task,
)
from workflows.task import TaskWorkflow
from workflows.types import (
    TaskView,
    task_workflow_id,
)

router = APIRouter(
    prefix="/app/tasks",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "the task does not concern this person", "content": {"text/html": {}}},
        404: {
            "description": "no such task (an address no route serves: a problem)",
            "content": {"text/html": {}, "application/problem+json": {}},
        },
    },
)
TaskId = Annotated[str, PathParam(max_length=200)]
Anyone = Annotated[Person, gate(*Role, scope="their own tasks: assigned to them or inviting them")]
Reader = Annotated[
    Person,
    gate(
        Role.officer,
        Role.buyer,
        Role.direction,
        scope="a buyer: tasks assigned to them, inviting them or of their portfolios",
    ),
]
Actor = Annotated[
    Person,
    gate(Role.officer, Role.buyer, scope="a buyer: tasks that concern them; the officer: all"),
]

SHOWN_DONE = 30  # the most recent done tasks "Mes tâches" lists


def zone_of(session: Session) -> ZoneInfo:
    organisation = session.get(Organisation, 1)
    return ZoneInfo(organisation.timezone if organisation else "Europe/Paris")


def _calendar(session: Session) -> WorkingCalendar:
    organisation = session.get(Organisation, 1)
    document = organisation.document.get("organisation", {}) if organisation else {}
    return WorkingCalendar.of(OrganisationSettings(**(document or {"name": "Boucle"})))


def locale_of(person: Person, session: Session) -> str:
    organisation = session.get(Organisation, 1)
    chosen = person.locale or (organisation.locale if organisation else "fr")
    return chosen if chosen in ("fr", "en") else "fr"


@dataclass(frozen=True)
class TaskLine:
    id: str
    title: str
    portfolio: str
    due_text: str
    status: str
    overdue: bool


def _lines(tasks: list[Task], names: dict[str, str], zone: ZoneInfo, locale: str, now: datetime):  # type: ignore[no-untyped-def]
    return [
        TaskLine(
            task.id,
            task.title,
            names.get(task.portfolio, task.portfolio),
            formatting.when(task.due_at, zone, locale),
            task.status,
            task.status == "open" and task.due_at < now,
        )
        for task in tasks
    ]


@router.get("", response_class=HTMLResponse)
def read_my_task_page(request: Request, person: Anyone) -> Response:
    """Mes tâches: overdue, this week, coming, done."""
    now = datetime.now(UTC)
    with request.app.state.sessions() as session:
        zone = zone_of(session)
        locale = locale_of(person, session)
        names = {p.id: p.name for p in session.exec(select(Portfolio))}
        mine = select(Task).where(buyer_task_filter(session, person, only_mine=True))
        open_tasks = list(
            session.exec(mine.where(Task.status == "open").order_by(col(Task.due_at)))
        )
        closed = list(
            session.exec(
                mine.where(Task.status != "open")
                .order_by(col(Task.done_at).desc(), col(Task.due_at).desc())
                .limit(SHOWN_DONE)
            )
        )
    local_today = now.astimezone(zone).date()
    week_end = datetime.combine(
        local_today + timedelta(days=7 - local_today.weekday()), time(0), tzinfo=zone
    )
    groups = {
        "overdue": [t for t in open_tasks if t.due_at < now],
        "this_week": [t for t in open_tasks if now <= t.due_at < week_end],
        "coming": [t for t in open_tasks if t.due_at >= week_end],
        "done": closed,
    }
    return page(
        request,
        "my_tasks.html",
        person,
        locale=locale,
        groups={name: _lines(rows, names, zone, locale, now) for name, rows in groups.items()},
    )


def refused_text(error: ApiError, locale: str) -> str:
    if error.code == "refused":
        return str(error.facts.get("reason_fr" if locale == "fr" else "reason", ""))
    english, french = MESSAGES.get(error.code, (str(error.detail), str(error.detail)))
    try:
        return (french if locale == "fr" else english).format(**error.facts)
    except (KeyError, IndexError):
        return french if locale == "fr" else english


async def _live_view(request: Request, task_id: str) -> TaskView | None:
    """What the task's workflow knows now (a pending postponement, values), if it runs."""
    try:
        temporal = await get_temporal(request)
        handle = temporal.get_workflow_handle(task_workflow_id(task_id))
        view: TaskView = await asyncio.wait_for(handle.query(TaskWorkflow.view), 3)
        return view
    except Exception:  # noqa: BLE001 - the page shows what the store holds without it
        return None


def _moment(moment: datetime | None, zone: ZoneInfo, locale: str) -> str:
    return formatting.when(moment, zone, locale) if moment else ""


def _recurrence(item: PlanItem | None, locale: str) -> str | None:
    """'le premier lundi de chaque mois à 9 h 30' for an item with a rule; None otherwise."""
    if item is None or not item.rrule:
        return None
    start, date_only = anchor_datetime(item)
    return describe_recurrence_at(item.rrule, start.date() if date_only else start, locale)


def _task_facts(session: Session, task: Task, locale: str) -> dict[str, Any]:
    zone = zone_of(session)
    people = {p.id: p for p in session.exec(select(Person))}
    portfolio = session.get(Portfolio, task.portfolio)
    cycle = session.get(Cycle, task.cycle_id)
    plan: PlanFile | None = cycle_plan(session, cycle) if cycle else None
    item = None
    objective = None
    if plan is not None:
        year_plan = next((p for p in plan.plans if p.portfolio == task.portfolio), None)
        if year_plan is not None:
            item = next((i for i in year_plan.items if i.id == task.item), None)
            if item is not None and item.objective:
                objective = next(
                    (o.statement for o in year_plan.objectives if o.id == item.objective), None
                )
    moved = None
    if task.original_at != task.due_at:
        calendar = _calendar(session)
        original_day: date = task.original_at.astimezone(zone).date()
        holiday = calendar.holiday_name(original_day)
        if holiday:
            reason = holiday
        elif not calendar.is_working_day(original_day):
            reason = "jour non ouvré" if locale == "fr" else "non-working day"
        else:
            reason = "date modifiée" if locale == "fr" else "date changed"
        moved = {"original": formatting.day(task.original_at, zone, locale), "reason": reason}
    indicators = {i.id: i for i in session.exec(select(Indicator))}
    sent = list(
        session.exec(
            select(Notification)
            .where(Notification.task_id == task.id)
            .order_by(col(Notification.created_at))
        )
    )
    evidence = list(
        session.exec(
            select(Evidence).where(Evidence.task_id == task.id).order_by(col(Evidence.uploaded_at))
        )
    )

    def name(person_id: str) -> str:
        return people[person_id].name if person_id in people else person_id

    return {
        "task": task,
        "kind": formatting.kind_label(task.kind, locale),
        "portfolio": portfolio.name if portfolio else task.portfolio,
        "objective": objective,
        "description": item.description if item else None,
        "recurrence": _recurrence(item, locale),
        "due_text": formatting.when(task.due_at, zone, locale),
        "due_local": task.due_at.astimezone(zone).date().isoformat(),
        "moved": moved,
        "assignees": [name(p) for p in task.assignees],
        "attendees": [name(p) for p in task.attendees],
        "indicators": [
            {
                "id": i,
                "name": indicators[i].name if i in indicators else i,
                "unit": indicators[i].unit if i in indicators else "",
            }
            for i in task.indicators
        ],
        "sent": [
            {
                "when": _moment(row.sent_at or row.created_at or row.scheduled_at, zone, locale),
                "to": name(row.person_id),
                "subject": row.subject,
                "status": row.status,
            }
            for row in sent
        ],
        "evidence": evidence,
        "done_text": formatting.when(task.done_at, zone, locale) if task.done_at else None,
        "done_by": name(task.done_by) if task.done_by else None,
        "people": people,
        "zone": zone,
    }


@router.get("/{task_id:path}/evidence/{evidence_id}", response_class=FileResponse)
def read_task_evidence(
    request: Request,
    task_id: TaskId,
    evidence_id: Annotated[str, PathParam(pattern="^[0-9a-f]{64}$")],
    person: Reader,
) -> Response:
    """A file attached to the task, for whoever may read the task."""
    with request.app.state.sessions() as session:
        task = session.get(Task, task_id)
        row = session.get(Evidence, (evidence_id, task_id))
        allowed = task is not None and concerns(session, person, task)
    path = evidence_folder(request) / evidence_id
    if task is not None and not allowed:
        return page(request, "message.html", person, 403, title_key="task", text_key="not_yours")
    if row is None or not path.exists():
        return not_found(request, person)
    return FileResponse(path, media_type=row.media_type, filename=row.filename)


def not_found(request: Request, person: Person) -> HTMLResponse:
    return page(request, "message.html", person, 404, title_key="not_found", text_key="not_found")


@router.get("/{task_id:path}", response_class=HTMLResponse)
async def read_task_page(
    request: Request,
    task_id: TaskId,
    person: Reader,
    done: str | None = None,
) -> Response:
    """A task: what it is, when, with whom, what was sent, and what the person can do."""
    live = await _live_view(request, task_id)

    def render() -> Response:
        with request.app.state.sessions() as session:
            task = session.get(Task, task_id)
            if task is None:
                return not_found(request, person)
            if not concerns(session, person, task):
                return page(
                    request, "message.html", person, 403, title_key="task", text_key="not_yours"
                )
            locale = locale_of(person, session)
            facts = _task_facts(session, task, locale)
        proposal = None
        if live is not None and live.proposal is not None:
            proposal = {
                "due": formatting.when(live.proposal.due, facts["zone"], locale),
                "reason": live.proposal.reason or "—",
                "by": facts["people"][live.proposal.by].name
                if live.proposal.by in facts["people"]
                else live.proposal.by,
            }
        return page(
            request,
            "task.html",
            person,
            locale=locale,
            **facts,
            proposal=proposal,
            values=live.values if live is not None else {},
            is_assignee=person.id in task.assignees,
            is_officer=person.role == "officer",
            can_act=task.status == "open"
            and (person.id in task.assignees or person.role == "officer"),
            outcome=done,
            error=request.query_params.get("error"),
            nonce=secrets.token_hex(16),
            largest=LARGEST_EVIDENCE // (1024 * 1024),
        )

    return await run_in_threadpool(render)
