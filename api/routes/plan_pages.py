"""The plan's page: what the direction approves (objectives, the year by month, the load per
person, what changed).

Approve, send back and submit are forms that go to the cycle's workflow, whose validators
decide as they do for the API.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import get_temporal
from api.errors import ApiError
from api.page_text import TEXT
from api.routes.plan_edit_pages import upload_page
from api.routes.plan_edit_year import month_name as month_name
from api.routes.plan_edit_year import plan_items, year_facts
from api.routes.task_pages import locale_of, refused_text
from api.updates import refusal
from api.web import csrf_ok, gate, page
from domain.model import PlanFile, PlanItem, Role, YearPlan
from notifications import formatting
from notifications.urls import plan_page
from services.plans import cycle_handle
from store.tables import Cycle, Indicator, Organisation, Person, PlanVersion, Portfolio
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import ApprovalRequest, CycleView, PlanReturn, SubmitRequest

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "for the officer and the direction", "content": {"text/html": {}}},
        404: {"description": "no such plan", "content": {"text/html": {}}},
        409: {"description": "the cycle's workflow refused: why", "content": {"text/html": {}}},
        422: {
            "description": "an empty comment (a form no page served: JSON)",
            "content": {"text/html": {}, "application/problem+json": {}},
        },
        503: {"description": "the workflow engine is unreachable", "content": {"text/html": {}}},
    },
)
Portfolio_ = Annotated[str, PathParam(max_length=64, pattern="^[a-z0-9][a-z0-9-]*$")]
Year = Annotated[int, PathParam(ge=2000, le=2100)]
Staff = Annotated[Person, gate(Role.officer, Role.direction, scope="the plans of every portfolio")]
Director = Annotated[Person, gate(Role.direction, scope="approves or sends back a submitted plan")]
Officer = Annotated[Person, gate(Role.officer, scope="submits the plan to the direction")]
Reader = Annotated[
    Person,
    gate(
        Role.officer,
        Role.direction,
        Role.buyer,
        scope="a buyer: the cycles of their portfolios",
    ),
]
OUTCOMES = ("submitted", "approved", "sent_back", "unchanged")
ITEM_FIELDS = ("title", "kind", "start", "due", "rrule", "assignees", "attendees", "indicators")


def zone_of(session: Session) -> ZoneInfo:
    organisation = session.get(Organisation, 1)
    return ZoneInfo(organisation.timezone if organisation else "Europe/Paris")


def _versions(session: Session, portfolio: str, year: int) -> list[PlanVersion]:
    return list(
        session.exec(
            select(PlanVersion)
            .where(PlanVersion.portfolio == portfolio, PlanVersion.year == year)
            .order_by(col(PlanVersion.version))
        )
    )


def _plan(row: PlanVersion) -> tuple[PlanFile, YearPlan]:
    document = PlanFile.model_validate(row.document)
    return document, document.plans[0]


def _changes(before: YearPlan | None, after: YearPlan) -> list[dict[str, Any]]:
    """What differs item by item: added, removed, or which fields changed."""
    if before is None:
        return []
    old = {item.id: item for item in before.items}
    new = {item.id: item for item in after.items}
    rows: list[dict[str, Any]] = []
    for item_id, item in new.items():
        if item_id not in old:
            rows.append({"change": "added", "title": item.title, "fields": []})
            continue
        fields = [f for f in ITEM_FIELDS if _field(old[item_id], f) != _field(item, f)]
        if fields:
            details = [
                {"field": f, "before": _shown(old[item_id], f), "after": _shown(item, f)}
                for f in fields
            ]
            rows.append(
                {"change": "changed", "title": item.title, "fields": fields, "details": details}
            )
    rows += [
        {"change": "removed", "title": item.title, "fields": []}
        for item_id, item in old.items()
        if item_id not in new
    ]
    return rows


def _shown(item: PlanItem, name: str) -> str:
    value = getattr(item, name)
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return str(getattr(value, "value", value)) if value is not None else "—"


def _field(item: PlanItem, name: str) -> Any:
    value = getattr(item, name)
    return tuple(value) if isinstance(value, list) else value


async def _cycle_view(request: Request, portfolio: str, year: int) -> CycleView | None:
    try:
        temporal = await get_temporal(request)
        handle = cycle_handle(temporal, portfolio, year)
        view: CycleView = await asyncio.wait_for(handle.query(PortfolioCycleWorkflow.view), 3)
        return view
    except Exception:  # noqa: BLE001 - the page shows what the store holds without it
        return None


def plan_facts(
    session: Session, portfolio: str, year: int, locale: str, running: int | None = None
) -> dict[str, Any] | None:
    """Everything the plan's page shows: the version the cycle runs (else the newest)."""
    versions = _versions(session, portfolio, year)
    if not versions:
        return None
    current = next((v for v in versions if v.version == running), versions[-1])
    versions = [v for v in versions if v.version <= current.version]
    document, plan = _plan(current)
    zone = zone_of(session)
    approved = [v for v in versions[:-1] if v.approved_at is not None]
    compared: YearPlan | None = None
    compared_with = ""
    if approved:
        compared = _plan(approved[-1])[1]
        compared_with = (
            f"la version {approved[-1].version} approuvée"
            if locale == "fr"
            else f"approved version {approved[-1].version}"
        )
    else:
        last_year = _versions(session, portfolio, year - 1)
        if last_year:
            compared = _plan(last_year[-1])[1]
            compared_with = f"le plan {year - 1}" if locale == "fr" else f"the {year - 1} plan"
    people = {p.id: p.name for p in session.exec(select(Person))}
    indicators = {i.id: i for i in session.exec(select(Indicator))}
    drawn = year_facts(document, plan, zone, locale, people, TEXT[locale])
    previous = next((v for v in reversed(versions[:-1])), None)
    portfolio_row = session.get(Portfolio, portfolio)
    return {
        "portfolio": portfolio,
        "portfolio_name": portfolio_row.name if portfolio_row else portfolio,
        "year": year,
        "version": current,
        "objectives": [
            {
                "statement": objective.statement,
                "indicators": [
                    {
                        "name": indicators[i].name if i in indicators else i,
                        "target": indicators[i].target if i in indicators else None,
                        "unit": indicators[i].unit if i in indicators else "",
                    }
                    for i in objective.indicators
                ],
            }
            for objective in plan.objectives
        ],
        "item_count": len(plan.items),
        **drawn,
        "items": plan_items(plan, document, locale),
        "previous_version": previous.version if previous else None,
        "previous_changes": _changes(_plan(previous)[1], plan) if previous else [],
        "changes": _changes(compared, plan),
        "compared_with": compared_with,
        "approve_by": formatting.day(
            datetime.fromisoformat(plan.approve_by).replace(tzinfo=zone), zone, locale
        )
        if plan.approve_by
        else None,
        "zone": zone,
        "people": people,
    }


def _state(view: CycleView | None, cycle: Cycle | None, facts: dict[str, Any]) -> dict[str, Any]:
    """Submitted, approved, sent back: from the live cycle, else from its stored row."""
    submitted_at = view.submitted_at if view else (cycle.submitted_at if cycle else None)
    approved_at = view.approved_at if view else (cycle.approved_at if cycle else None)
    approved_by = view.approved_by if view else (cycle.approved_by if cycle else None)
    return {
        "submitted_at": submitted_at,
        "approved_at": approved_at,
        "approved_by": approved_by,
        "returned_at": getattr(view, "returned_at", None),
        "returned_by": getattr(view, "returned_by", None),
        "return_comment": getattr(view, "return_comment", None),
        "phase": view.phase.value if view else (cycle.phase if cycle else "planning"),
    }


@router.get("/plans/{portfolio}/{year}", response_class=HTMLResponse)
async def read_plan_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Staff,
    done: str | None = None,
    saved: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    uploaded: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    """The plan as the direction decides on it and the officer prepares it: objectives, items,
    the year's calendar, notifications per week, load, changes."""
    view = await _cycle_view(request, portfolio, year)

    def render() -> Response:
        with request.app.state.sessions() as session:
            locale = locale_of(person, session)
            cycle = session.get(Cycle, f"{portfolio}/{year}")
            running = view.plan_version if view else (cycle.plan_version if cycle else None)
            facts = plan_facts(session, portfolio, year, locale, running)
        if facts is None:
            if person.role == Role.officer:
                return upload_page(request, person, portfolio, year)
            return page(
                request, "message.html", person, 404, title_key="plan", text_key="not_found"
            )
        state = _state(view, cycle, facts)
        zone, people = facts["zone"], facts["people"]

        def when(moment: datetime | None) -> str:
            return formatting.when(moment, zone, locale) if moment else ""

        submitted = state["submitted_at"] is not None and state["approved_at"] is None
        return page(
            request,
            "plan.html",
            person,
            locale=locale,
            **facts,
            state=state,
            submitted=submitted,
            submitted_text=when(state["submitted_at"]),
            approved_text=when(state["approved_at"]),
            approved_by_name=people.get(state["approved_by"] or "", state["approved_by"]),
            returned_text=when(state["returned_at"]),
            returned_by_name=people.get(state["returned_by"] or "", state["returned_by"]),
            can_decide=person.role == Role.direction and submitted,
            can_submit=person.role == Role.officer
            and state["submitted_at"] is None
            and state["approved_at"] is None
            and cycle is not None,
            outcome=done if done in OUTCOMES else None,
            saved=saved or uploaded,
            saved_key="item_saved" if saved else "plan_uploaded",
            can_edit=person.role == Role.officer and state["approved_at"] is None,
            error=request.query_params.get("error"),
            nonce=secrets.token_hex(16),
        )

    return await run_in_threadpool(render)


def _back(
    portfolio: str, year: int, outcome: str | None = None, error: str | None = None
) -> RedirectResponse:
    suffix = f"?done={outcome}" if outcome else (f"?error={error}" if error else "")
    return RedirectResponse(plan_page(portfolio, year) + suffix, status_code=303)


async def _decide(
    request: Request,
    person: Person,
    portfolio: str,
    year: int,
    csrf: str,
    nonce: str,
    update: Any,
    argument: Any,
    outcome: str,
) -> Response:
    if not csrf_ok(request, csrf):
        return _back(portfolio, year, error="form_expired")
    try:
        temporal = await get_temporal(request)
        await cycle_handle(temporal, portfolio, year).execute_update(
            update, argument, id=f"page:{person.id}:{nonce or secrets.token_hex(8)}"
        )
    except WorkflowUpdateFailedError as failed:
        return await _refused_page(request, person, portfolio, year, refusal(failed))
    except (ApiError, RPCError):
        return await _refused_page(request, person, portfolio, year, ApiError(503, "temporal_down"))
    request.app.state.caches.my_tasks.clear()
    return _back(portfolio, year, outcome)


async def _refused_page(
    request: Request, person: Person, portfolio: str, year: int, error: ApiError
) -> Response:
    def render() -> HTMLResponse:
        with request.app.state.sessions() as session:
            text = refused_text(error, locale_of(person, session))
        return page(
            request,
            "message.html",
            person,
            error.status_code,
            title_key="plan",
            text=text,
            back_plan=plan_page(portfolio, year),
        )

    return await run_in_threadpool(render)


@router.post("/plans/{portfolio}/{year}/approve", response_class=HTMLResponse)
async def approve_plan_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Director,
    csrf: Annotated[str, Form(max_length=100)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The direction approves the submitted plan: the year's invitations go out."""
    return await _decide(
        request,
        person,
        portfolio,
        year,
        csrf,
        nonce,
        PortfolioCycleWorkflow.approve,
        ApprovalRequest(by=person.id),
        "approved",
    )


@router.post("/plans/{portfolio}/{year}/return", response_class=HTMLResponse)
async def send_plan_back_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Director,
    csrf: Annotated[str, Form(max_length=100)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The direction sends the plan back to the officer, saying what to revise."""
    return await _decide(
        request,
        person,
        portfolio,
        year,
        csrf,
        nonce,
        PortfolioCycleWorkflow.send_back,
        PlanReturn(by=person.id, comment=comment.strip()),
        "sent_back",
    )


@router.post("/plans/{portfolio}/{year}/submit", response_class=HTMLResponse)
async def submit_plan_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    csrf: Annotated[str, Form(max_length=100)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The officer submits the draft to the direction."""
    return await _decide(
        request,
        person,
        portfolio,
        year,
        csrf,
        nonce,
        PortfolioCycleWorkflow.submit,
        SubmitRequest(by=person.id),
        "submitted",
    )
