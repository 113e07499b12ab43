"""Closing the year: the scorecard beside the year-end review form, next year's draft beside
this year's plan, its proposed targets to accept or change, and the annual report's links.

The review goes to the cycle's workflow exactly as `POST /cycles/{p}/{y}/review` sends it
(its validator decides); saved targets are a new draft version of next year's plan, imported
as `POST /plans` imports one.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select
from temporalio.service import RPCError

from api.charts import figure
from api.deps import get_temporal
from api.errors import ApiError
from api.models import ReviewBody
from api.page_text import TEXT
from api.report_pdf import STATUSES, report_downloads
from api.review_facts import review_facts
from api.routes.plan_pages import Portfolio_, Year
from api.routes.task_pages import locale_of, refused_text
from api.updates import cycle_update
from api.web import csrf_ok, gate, page
from domain.model import PlanFile, Role, Unit
from services.plans import import_plans
from store.tables import Cycle, Person, PlanVersion
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import ReviewRequest

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "for the officer (the direction reads)", "content": {"text/html": {}}},
        404: {"description": "no such cycle or draft", "content": {"text/html": {}}},
        409: {"description": "the cycle's workflow refused: why", "content": {"text/html": {}}},
        422: {"description": "a field to correct, shown next to it", "content": {"text/html": {}}},
        503: {"description": "the workflow engine is unreachable", "content": {"text/html": {}}},
    },
)
Staff = Annotated[
    Person, gate(Role.officer, Role.direction, scope="the closing of every portfolio's year")
]
Officer = Annotated[
    Person, gate(Role.officer, scope="records the year-end review and next year's targets")
]
LessonsField = Annotated[str, Form(max_length=40000)]
DecisionsField = Annotated[str, Form(max_length=40000)]
CsrfField = Annotated[str, Form(max_length=100)]


def review_page_url(portfolio: str, year: int) -> str:
    return f"/app/cycles/{portfolio}/{year}/review"


def _render(
    request: Request, person: Person, portfolio: str, year: int, status: int = 200, **extra: Any
) -> Response:
    with request.app.state.sessions() as session:
        locale = locale_of(person, session)
        facts = review_facts(session, portfolio, year, locale, datetime.now(UTC))
    if facts is None:
        return page(request, "message.html", person, 404, title_key="plan", text_key="not_found")
    done = request.query_params.get("done")
    return page(
        request,
        "review.html",
        person,
        status,
        locale=locale,
        **facts,
        downloads=report_downloads(year),
        number=figure,
        statuses=STATUSES,
        is_officer=person.role == "officer",
        done=done if status == 200 else None,
        done_version=request.query_params.get("version", ""),
        nonce=secrets.token_hex(16),
        **extra,
    )


@router.get("/cycles/{portfolio}/{year}/review", response_class=HTMLResponse)
def read_review_page(
    request: Request, portfolio: Portfolio_, year: Year, person: Staff
) -> Response:
    """The year's closing: scorecard and review, next year's draft beside, the report."""
    return _render(request, person, portfolio, year)


def _review_problems(lessons: str, decisions: list[str], t: dict[str, str]) -> dict[str, str]:
    """What ReviewBody (the API's own rules) says about the form, by field, in words."""
    try:
        ReviewBody(lessons=lessons, decisions=decisions)
    except ValidationError as invalid:
        problems: dict[str, str] = {}
        for error in invalid.errors():
            where = error["loc"]
            if where[0] == "lessons":
                too_long = error["type"] == "string_too_long"
                problems.setdefault(
                    "lessons",
                    t["review_too_long"].format(limit=20000)
                    if too_long
                    else t["review_lessons_empty"],
                )
            elif len(where) > 1 and isinstance(where[1], int):
                problem = (
                    t["review_decision_long"].format(limit=error["ctx"].get("max_length", ""))
                    if error["type"] == "string_too_long"
                    else t["review_decision_control"]
                )
                problems.setdefault(
                    "decisions", t["review_decision_bad"].format(line=where[1] + 1, problem=problem)
                )
            else:
                problems.setdefault("decisions", t["review_too_many"].format(limit=100))
        return problems
    if not lessons.strip():
        return {"lessons": t["review_lessons_empty"]}
    return {}


@router.post("/cycles/{portfolio}/{year}/review", response_class=HTMLResponse)
async def record_review_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    csrf: CsrfField = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    lessons: LessonsField = "",
    decisions: DecisionsField = "",
) -> Response:
    """The officer's year-end review, sent to the cycle as the API sends it."""
    lines = [line.strip() for line in decisions.splitlines() if line.strip()]
    form = {"lessons": lessons, "decisions": decisions}
    with request.app.state.sessions() as session:
        t = TEXT[locale_of(person, session)]
    if not csrf_ok(request, csrf):
        return await run_in_threadpool(
            _render, request, person, portfolio, year, 403, form=form, refusal=t["form_expired"]
        )
    problems = _review_problems(lessons, lines, t)
    if problems:
        return await run_in_threadpool(
            _render, request, person, portfolio, year, 422, form=form, problems=problems
        )
    review = ReviewRequest(by=person.id, lessons=lessons.strip(), decisions=lines)
    try:
        temporal = await get_temporal(request)
        # The form's nonce names the update: a double submission is recorded once.
        await cycle_update(
            temporal,
            portfolio,
            year,
            PortfolioCycleWorkflow.record_review,
            review,
            update_id=f"page:{person.id}:{nonce or secrets.token_hex(8)}",
        )
    except ApiError as error:
        with request.app.state.sessions() as session:
            reason = refused_text(error, locale_of(person, session))
        return await run_in_threadpool(
            _render,
            request,
            person,
            portfolio,
            year,
            error.status_code,
            form=form,
            refusal=t["review_refused"].format(reason=reason),
        )
    request.app.state.caches.cycles.clear()
    return RedirectResponse(f"{review_page_url(portfolio, year)}?done=review", status_code=303)


def parse_target(text: str, unit: str, t: dict[str, str]) -> tuple[float | None, str | None]:
    """A target as typed ("25", "25,5", "12 000", ""): its value, or what is wrong with it."""
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    cleaned = cleaned.removesuffix("%").removesuffix("€")
    if not cleaned:
        return None, None
    try:
        value = float(cleaned)
    except ValueError:
        return None, t["review_target_bad"].format(value=text.strip()[:40])
    if not math.isfinite(value):
        return None, t["review_target_bad"].format(value=text.strip()[:40])
    if unit == Unit.percent.value and not 0 <= value <= 100:
        return None, t["review_target_percent"]
    return value, None


def _latest_draft(session: Any, portfolio: str, year: int) -> PlanVersion | None:
    return session.exec(
        select(PlanVersion)
        .where(PlanVersion.portfolio == portfolio, PlanVersion.year == year)
        .order_by(col(PlanVersion.version).desc())
    ).first()


@router.post("/cycles/{portfolio}/{year}/next-targets", response_class=HTMLResponse)
async def save_next_targets(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
) -> Response:
    """Next year's targets as accepted or changed: a new draft version of next year's plan."""
    form = await request.form()
    typed = {
        str(key).removeprefix("target:"): str(value)[:100]
        for key, value in form.items()
        if str(key).startswith("target:")
    }

    def prepare() -> tuple[str, PlanFile | None, dict[str, str], int]:
        """The draft with the typed targets, and any field's problem (or a refusal)."""
        with request.app.state.sessions() as session:
            t = TEXT[locale_of(person, session)]
            if session.get(Cycle, f"{portfolio}/{year}") is None:
                return "", None, {}, 404
            row = _latest_draft(session, portfolio, year + 1)
        if row is None:
            return t["review_no_draft"].format(next_year=year + 1), None, {}, 404
        if row.status != "draft":
            status = t.get(f"review_status_{row.status}", row.status)
            return (
                t["review_targets_locked"].format(next_year=year + 1, status=status),
                None,
                {},
                409,
            )
        document = PlanFile.model_validate(row.document)
        problems: dict[str, str] = {}
        indicators = []
        for indicator in document.indicators:
            if indicator.id not in typed:
                indicators.append(indicator)
                continue
            value, problem = parse_target(typed[indicator.id], indicator.unit.value, t)
            if problem:
                problems[indicator.id] = problem
            indicators.append(indicator.model_copy(update={"target": value}))
        changed = document.model_copy(update={"indicators": indicators})
        same = changed.model_dump(mode="json") == document.model_dump(mode="json")
        return "", None if same else changed, problems, 200

    if not csrf_ok(request, str(form.get("csrf", ""))):
        return await run_in_threadpool(_render_refused, request, person, portfolio, year, 403)
    refusal, draft, problems, status = await run_in_threadpool(prepare)
    if status == 404 and not refusal:
        return page(request, "message.html", person, 404, title_key="plan", text_key="not_found")
    if refusal:
        return await run_in_threadpool(
            _render, request, person, portfolio, year, status, refusal=refusal
        )
    if problems:
        return await run_in_threadpool(
            _render, request, person, portfolio, year, 422, typed=typed, target_problems=problems
        )
    if draft is None:
        return RedirectResponse(f"{review_page_url(portfolio, year)}?done=same", status_code=303)
    try:
        temporal = await get_temporal(request)
        imported = await import_plans(
            draft,
            request.app.state.sessions,
            temporal,
            request.app.state.settings.task_queue,
            by=person.id,
        )
    except (ApiError, RPCError) as failure:
        error = failure if isinstance(failure, ApiError) else ApiError(503, "temporal_down")
        with request.app.state.sessions() as session:
            reason = refused_text(error, locale_of(person, session))
        return await run_in_threadpool(
            _render, request, person, portfolio, year, error.status_code, refusal=reason
        )
    version = imported[0].version if imported else ""
    return RedirectResponse(
        f"{review_page_url(portfolio, year)}?done=targets&version={version}", status_code=303
    )


def _render_refused(
    request: Request, person: Person, portfolio: str, year: int, status: int
) -> Response:
    with request.app.state.sessions() as session:
        t = TEXT[locale_of(person, session)]
    return _render(request, person, portfolio, year, status, refusal=t["form_expired"])
