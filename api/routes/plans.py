"""Plans: validate and import plan files, read their versions, submit, approve or send back,
and amend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlmodel import col, func, select

from api.access import Director, Officer, Staff
from api.deps import SessionDep, TemporalDep
from api.errors import ApiError, locale_of, responses
from api.models import (
    AmendmentBody,
    CycleStatus,
    ImportedPlanPublic,
    LocatedError,
    PlanCheck,
    PlanReturnBody,
    PlanVersionDetail,
    PlanVersionSummary,
)
from api.paging import PageDep
from api.updates import cycle_write
from domain.errors import PlanInvalid
from domain.model import PlanFile, PlanItem
from domain.tasks import plan_tasks
from domain.validation import load_plan
from services.amendments import amendment_of
from services.plans import import_plans
from store.tables import PlanVersion
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import ApprovalRequest, PlanReturn, SubmitRequest

router = APIRouter(prefix="/plans", tags=["plans"], responses=responses(401, 403))

LARGEST_PLAN = 2_000_000  # bytes: a région's plan with 4,000 items is about 600 kB
PLAN_TYPES = {
    "application/yaml": False,
    "application/x-yaml": False,
    "text/yaml": False,
    "text/x-yaml": False,
    "text/plain": False,
    "application/json": True,
}
PLAN_BODY = Body(
    media_type="application/yaml",
    description="A plan file, as YAML (application/yaml) or JSON (application/json).",
    openapi_examples={
        "yaml": {"summary": "a plan file", "value": "version: 1\norganisation: {}\n"},
    },
)
PortfolioId = Annotated[str, Path(max_length=64)]
Year = Annotated[int, Path(ge=2000, le=2100)]


async def read_plan_body(request: Request) -> PlanFile:
    """The request's plan, or a 422 listing every located error (as `boucle plan check`)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in PLAN_TYPES:
        raise ApiError(415, "plan_media_type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > LARGEST_PLAN:
        raise ApiError(413, "too_large", limit=LARGEST_PLAN)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > LARGEST_PLAN:
            raise ApiError(413, "too_large", limit=LARGEST_PLAN)
    try:
        text = bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "plan_unreadable", reason="not UTF-8 text") from None
    try:
        return await run_in_threadpool(load_plan, text, is_json=PLAN_TYPES[media_type])
    except PlanInvalid as invalid:
        locale = locale_of(request)
        errors = [
            LocatedError(
                line=error.line or None,
                path=error.path,
                message=error.message(locale),
                text=error.format("plan", locale),
            ).model_dump()
            for error in invalid.errors
        ]
        raise ApiError(422, "plan_invalid", errors=errors, count=len(errors)) from None


def _summary(row: PlanVersion) -> PlanVersionSummary:
    return PlanVersionSummary.model_validate(row, from_attributes=True)


@router.post(
    "/validate",
    response_model=PlanCheck,
    responses=responses(413, 415, 422),
    openapi_extra={"requestBody": {"content": {"application/yaml": {}, "application/json": {}}}},
)
async def validate_plan(request: Request, person: Officer) -> PlanCheck:
    """Check a plan file without storing anything (the API twin of `boucle plan check`)."""
    document = await read_plan_body(request)
    occurrences = sum(len(plan_tasks(document, plan)) for plan in document.plans)
    return PlanCheck(
        valid=True,
        plans=[f"{plan.portfolio}/{plan.year}" for plan in document.plans],
        occurrences=occurrences,
        errors=[],
    )


@router.post(
    "",
    response_model=list[ImportedPlanPublic],
    status_code=201,
    responses=responses(413, 415, 422, 503),
    openapi_extra={"requestBody": {"content": {"application/yaml": {}, "application/json": {}}}},
)
async def import_plan(
    request: Request, person: Officer, temporal: TemporalDep
) -> list[ImportedPlanPublic]:
    """Store the organisation and each plan as a new version; start each plan's cycle."""
    document = await read_plan_body(request)
    imported = await import_plans(
        document,
        request.app.state.sessions,
        temporal,
        request.app.state.settings.task_queue,
        by=person.id,
    )
    return [
        ImportedPlanPublic(
            portfolio=plan.portfolio,
            year=plan.year,
            version=plan.version,
            new_version=plan.new_version,
            cycle_started=plan.cycle_started,
            cycle_revised=plan.cycle_revised,
        )
        for plan in imported
    ]


@router.get("", response_model=list[PlanVersionSummary])
def read_plans(
    request: Request,
    response: Response,
    session: SessionDep,
    person: Staff,
    page: PageDep,
    portfolio: Annotated[str | None, Query(max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[PlanVersionSummary]:
    """Every stored version, by portfolio, year and version."""
    query = select(PlanVersion)
    if portfolio is not None:
        query = query.where(PlanVersion.portfolio == portfolio)
    if year is not None:
        query = query.where(PlanVersion.year == year)
    if status is not None:
        query = query.where(PlanVersion.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(PlanVersion.portfolio), col(PlanVersion.year), col(PlanVersion.version))
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    page.headers(request, response, total)
    return [_summary(row) for row in rows]


@router.get(
    "/{portfolio}/{year}/versions/{version}",
    response_model=PlanVersionDetail,
    responses=responses(404),
)
def read_plan_version(
    portfolio: PortfolioId,
    year: Year,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    session: SessionDep,
    person: Staff,
) -> PlanVersionDetail:
    """One version as it was stored: what was approved stays readable."""
    row = session.exec(
        select(PlanVersion).where(
            PlanVersion.portfolio == portfolio,
            PlanVersion.year == year,
            PlanVersion.version == version,
        )
    ).first()
    if row is None:
        raise ApiError(404, "no_plan_version", portfolio=portfolio, year=year, version=version)
    return PlanVersionDetail.model_validate(row, from_attributes=True)


@router.post(
    "/{portfolio}/{year}/submit", response_model=CycleStatus, responses=responses(404, 409, 503)
)
async def submit_plan(
    portfolio: PortfolioId, year: Year, person: Officer, temporal: TemporalDep, request: Request
) -> CycleStatus:
    """The officer submits the current draft to the direction for approval."""
    submission = SubmitRequest(by=person.id)
    return await cycle_write(
        request, person, temporal, portfolio, year, PortfolioCycleWorkflow.submit, submission
    )


@router.post(
    "/{portfolio}/{year}/approve", response_model=CycleStatus, responses=responses(404, 409, 503)
)
async def approve_plan(
    portfolio: PortfolioId, year: Year, person: Director, temporal: TemporalDep, request: Request
) -> CycleStatus:
    """The direction approves the submitted plan: the cycle starts executing."""
    approval = ApprovalRequest(by=person.id)
    return await cycle_write(
        request, person, temporal, portfolio, year, PortfolioCycleWorkflow.approve, approval
    )


@router.post(
    "/{portfolio}/{year}/return",
    response_model=CycleStatus,
    responses=responses(404, 409, 422, 503),
)
async def return_plan(
    portfolio: PortfolioId,
    year: Year,
    body: PlanReturnBody,
    person: Director,
    temporal: TemporalDep,
    request: Request,
) -> CycleStatus:
    """The direction sends the submitted plan back to the officer with a comment: the officer
    is told why, edits the plan and submits it again."""
    sent_back = PlanReturn(by=person.id, comment=body.comment)
    return await cycle_write(
        request, person, temporal, portfolio, year, PortfolioCycleWorkflow.send_back, sent_back
    )


@router.post(
    "/{portfolio}/{year}/amend",
    response_model=CycleStatus,
    responses=responses(404, 409, 422, 503),
)
async def amend_plan(
    portfolio: PortfolioId,
    year: Year,
    body: AmendmentBody,
    person: Officer,
    temporal: TemporalDep,
    session: SessionDep,
    request: Request,
) -> CycleStatus:
    """Mid-cycle changes: add, cancel or reassign items, move or cancel single occurrences;
    the tasks still open follow (a done task stays done)."""
    added = []
    for number, item in enumerate(body.add):
        try:
            added.append(PlanItem.model_validate(item))
        except ValueError as error:
            errors = [
                {"loc": ["body", "add", number, *map(str, e["loc"])], "msg": e["msg"]}
                for e in getattr(error, "errors", lambda: [])()
            ]
            raise ApiError(422, "invalid_request", errors=errors) from None
    amendment = await run_in_threadpool(
        amendment_of,
        session,
        person.id,
        add=added,
        cancel_items=body.cancel_items,
        reassign_items=body.reassign_items,
        reschedule_tasks=body.reschedule_tasks,
        cancel_tasks=body.cancel_tasks,
        reason=body.reason,
    )
    return await cycle_write(
        request, person, temporal, portfolio, year, PortfolioCycleWorkflow.amend, amendment
    )
