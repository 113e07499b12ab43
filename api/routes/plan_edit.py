"""The officer prepares a plan in the browser: upload a file or workbook, start from last
year's plan, add or edit an item. Each saves a new draft version through the use case of
`POST /plans`; a cycle still in planning is revised to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select
from temporalio.service import RPCError

from api import page_text_plan
from api.deps import get_temporal
from api.errors import ApiError
from api.item_form import ItemForm, form_values, place_item, read_form
from api.page_text import TEXT
from api.routes.plan_edit_pages import item_page, upload_page
from api.routes.plan_pages import Portfolio_, Year, _cycle_view, _refused_page
from api.routes.task_pages import locale_of
from api.web import csrf_ok, gate, page
from domain.errors import PlanInvalid
from domain.model import PlanFile, Role
from notifications.urls import plan_page
from services.plan_files import read_plan_bytes
from services.plans import last_year_draft, save_plan
from store.tables import Cycle, Person, PlanVersion

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "saved, or not signed in: to the plan page or the sign-in page"},
        403: {"description": "for the officer", "content": {"text/html": {}}},
        404: {"description": "no such plan, portfolio or item", "content": {"text/html": {}}},
        409: {"description": "the plan is approved: amend it from its cycle's page"},
        422: {"description": "the file or the form is wrong: every error at its place"},
        503: {"description": "the workflow engine is unreachable", "content": {"text/html": {}}},
    },
)
Officer = Annotated[Person, gate(Role.officer, scope="prepares the plans")]
ItemId = Annotated[str, PathParam(max_length=64, pattern="^[a-z0-9][a-z0-9_-]*$")]
LARGEST_UPLOAD = 5_000_000  # bytes: a région's workbook is about 1 MB, its YAML 600 kB


def _saved(portfolio: str, year: int, key: str, version: int | None) -> RedirectResponse:
    query = f"?{key}={version}" if version is not None else "?done=unchanged"
    return RedirectResponse(plan_page(portfolio, year) + query, status_code=303)


async def _approved(request: Request, portfolio: str, year: int) -> bool:
    """Whether the direction approved the plan: from then on, only amendments change it."""
    view = await _cycle_view(request, portfolio, year)
    if view is not None:
        return view.approved_at is not None

    def stored() -> bool:
        with request.app.state.sessions() as session:
            cycle = session.get(Cycle, f"{portfolio}/{year}")
            return cycle is not None and cycle.approved_at is not None

    return await run_in_threadpool(stored)


async def _save(
    request: Request, person: Person, document: PlanFile, portfolio: str, year: int, key: str
) -> Response:
    if await _approved(request, portfolio, year):
        refusal = ApiError(
            409,
            "refused",
            reason=page_text_plan.EN["plan_approved_refused"],
            reason_fr=page_text_plan.FR["plan_approved_refused"],
        )
        return await _refused_page(request, person, portfolio, year, refusal)
    try:
        temporal = await get_temporal(request)
        imported = await save_plan(
            document,
            portfolio,
            year,
            request.app.state.sessions,
            temporal,
            request.app.state.settings.task_queue,
            by=person.id,
        )
    except (ApiError, RPCError):
        return await _refused_page(request, person, portfolio, year, ApiError(503, "temporal_down"))
    return _saved(portfolio, year, key, imported.version if imported.new_version else None)


def _expired(portfolio: str, year: int) -> RedirectResponse:
    return RedirectResponse(plan_page(portfolio, year) + "?error=form_expired", status_code=303)


@router.post("/plans/{portfolio}/{year}/upload", response_class=HTMLResponse)
async def upload_plan_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A plan file or workbook becomes the plan's new draft; else every error at its place."""
    if not csrf_ok(request, csrf):
        return _expired(portfolio, year)

    def refuse(problem: str = "", errors: PlanInvalid | None = None) -> HTMLResponse:
        return upload_page(
            request, person, portfolio, year, errors.errors if errors else [], problem, 422
        )

    with request.app.state.sessions() as session:
        words = TEXT[locale_of(person, session)]
    if file is None or not file.filename:
        return await run_in_threadpool(refuse, words["plan_upload_empty"])
    data = await file.read(LARGEST_UPLOAD + 1)
    if len(data) > LARGEST_UPLOAD:
        return await run_in_threadpool(
            refuse, words["plan_upload_too_large"].format(limit=LARGEST_UPLOAD)
        )
    try:
        document = await run_in_threadpool(read_plan_bytes, file.filename, data)
    except PlanInvalid as invalid:
        return await run_in_threadpool(refuse, "", invalid)
    if not any(p.portfolio == portfolio and p.year == year for p in document.plans):
        found = ", ".join(f"{p.portfolio}/{p.year}" for p in document.plans) or "—"
        problem = words["plan_upload_no_plan"].format(portfolio=portfolio, year=year, found=found)
        return await run_in_threadpool(refuse, problem)
    return await _save(request, person, document, portfolio, year, "uploaded")


@router.post("/plans/{portfolio}/{year}/from-last-year", response_class=HTMLResponse)
async def plan_from_last_year_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The plan's first draft made from last year's: recurring items moved on a year."""
    if not csrf_ok(request, csrf):
        return _expired(portfolio, year)
    draft = await run_in_threadpool(last_year_draft, request.app.state.sessions, portfolio, year)
    if draft is None:
        return await run_in_threadpool(
            page, request, "message.html", person, 404, title_key="plan", text_key="not_found"
        )
    return await _save(request, person, draft, portfolio, year, "uploaded")


def _latest(request: Request, portfolio: str, year: int) -> tuple[PlanFile, int] | None:
    with request.app.state.sessions() as session:
        row = session.exec(
            select(PlanVersion)
            .where(PlanVersion.portfolio == portfolio, PlanVersion.year == year)
            .order_by(col(PlanVersion.version).desc())
        ).first()
        return (PlanFile.model_validate(row.document), row.version) if row else None


def _not_found(request: Request, person: Person) -> HTMLResponse:
    return page(request, "message.html", person, 404, title_key="plan", text_key="not_found")


@router.get("/plans/{portfolio}/{year}/items/new", response_class=HTMLResponse)
async def read_new_item_page(
    request: Request, portfolio: Portfolio_, year: Year, person: Officer
) -> Response:
    """The form of a new item of the plan."""
    return await _item_form_page(request, person, portfolio, year, None)


@router.get("/plans/{portfolio}/{year}/items/{item_id}", response_class=HTMLResponse)
async def read_item_page(
    request: Request, portfolio: Portfolio_, year: Year, item_id: ItemId, person: Officer
) -> Response:
    """The form of one item of the plan, filled in."""
    return await _item_form_page(request, person, portfolio, year, item_id)


async def _item_form_page(
    request: Request, person: Person, portfolio: str, year: int, item_id: str | None
) -> Response:
    def render() -> HTMLResponse:
        latest = _latest(request, portfolio, year)
        if latest is None:
            return _not_found(request, person)
        document, version = latest
        plan = document.plans[0]
        item = next((i for i in plan.items if i.id == item_id), None)
        if item_id is not None and item is None:
            return _not_found(request, person)
        form = ItemForm(form_values(item))
        return item_page(request, person, document, plan, version, form, item_id)

    return await run_in_threadpool(render)


@router.post("/plans/{portfolio}/{year}/items", response_class=HTMLResponse)
async def add_item_page(
    request: Request, portfolio: Portfolio_, year: Year, person: Officer
) -> Response:
    """Add the form's item: a new draft version, or the form again with its errors."""
    return await _save_item(request, person, portfolio, year, None)


@router.post("/plans/{portfolio}/{year}/items/{item_id}", response_class=HTMLResponse)
async def edit_item_page(
    request: Request, portfolio: Portfolio_, year: Year, item_id: ItemId, person: Officer
) -> Response:
    """Save the edited item: a new draft version, or the form again with its errors."""
    return await _save_item(request, person, portfolio, year, item_id)


async def _save_item(
    request: Request, person: Person, portfolio: str, year: int, item_id: str | None
) -> Response:
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf") or "")):
        return _expired(portfolio, year)
    values = read_form(form)

    def check() -> tuple[Response | None, PlanFile | None]:
        latest = _latest(request, portfolio, year)
        if latest is None:
            return _not_found(request, person), None
        document, version = latest
        plan = document.plans[0]
        if item_id is not None and all(i.id != item_id for i in plan.items):
            return _not_found(request, person), None
        with request.app.state.sessions() as session:
            locale = locale_of(person, session)
        placed, checked = place_item(document, portfolio, year, values, locale, item_id)
        if placed is None:
            return item_page(request, person, document, plan, version, checked, item_id, 422), None
        return None, placed.document

    answer, document = await run_in_threadpool(check)
    if answer is not None or document is None:
        return answer or _not_found(request, person)
    return await _save(request, person, document, portfolio, year, "saved")
