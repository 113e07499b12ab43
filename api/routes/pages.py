"""Pages for people: the direction's dashboard and the annual report, server-rendered.

A browser cannot send a bearer header when following a link, so these read-only pages also
accept the page session the login form opens (api/routes/login.py); no API route does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select

from api.access import Rule, Staff
from api.charts import figure
from api.deps import person_of_token
from api.errors import responses
from api.page_text import TEXT
from api.report_pdf import PHASES, report_context, report_pdf, report_pdf_html
from api.routes.cycles import summaries
from api.routes.login import COOKIE, login_form
from api.routes.login import login_router as login_router  # api.main serves it with the pages
from api.templating import PAGES
from api.web import csrf_token, to_sign_in
from domain.model import Role
from domain.report import AnnualReport, report_csv
from notifications import formatting
from services.tokens import page_session_person
from store.facts import cycle_scorecard
from store.report import gather_report
from store.tables import Cycle, Organisation, Person, Portfolio

router: APIRouter = APIRouter(
    tags=["pages"],
    responses={
        303: {"description": "no token: to the login page"},
        403: {"description": "for the officer and the direction", "content": {"text/html": {}}},
    },
)
VIEWERS = (Role.officer, Role.direction)
RESERVED = "Ce tableau de bord est réservé au responsable Qualité & DD et à la direction."
Year = Annotated[int, PathParam(ge=2000, le=2100)]


def render_report_html(report: AnnualReport, zone: Any) -> str:
    return PAGES.get_template("report.html").render(**report_context(report, zone))


def _report_file(report: AnnualReport, zone: Any, kind: Literal["csv", "pdf", "html"]) -> Response:
    """The report as a file to download: CSV for a spreadsheet, PDF to publish, or one HTML
    page (its styles inside, no link to Boucle) for the organisation's website."""
    name = f"bilan-spaser-{report.year}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "html":
        page = report_pdf_html(report, zone).encode("utf-8")
        return Response(page, media_type="text/html; charset=utf-8", headers=disposition)
    if kind == "csv":
        return Response(
            report_csv(report).encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers=disposition,
        )
    return Response(report_pdf(report, zone), media_type="application/pdf", headers=disposition)


async def page_viewer(request: Request) -> Person | None:
    """The person behind the bearer header or the page session's cookie, if any."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return await person_of_token(request, header[7:].strip())
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None

    def lookup() -> Person | None:
        with request.app.state.sessions() as session:
            return page_session_person(session, secret)

    person = await run_in_threadpool(lookup)
    if person is not None:
        request.state.actor = person.id
    return person


page_viewer.rule = Rule(  # type: ignore[attr-defined]
    VIEWERS,
    "a bearer token, or the page session the login form opens; without one, the login page",
)
Viewer = Annotated[Person | None, Depends(page_viewer)]


def _gate(request: Request, person: Person | None) -> Response | None:
    if person is None:
        return to_sign_in(request)
    if person.role not in VIEWERS:
        return login_form(request, RESERVED, 403)
    return None


def _zone(session: Session) -> Any:
    from zoneinfo import ZoneInfo

    organisation = session.get(Organisation, 1)
    return ZoneInfo(organisation.timezone if organisation else "Europe/Paris")


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    person: Viewer,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """Every portfolio's cycle at a glance: phase, progress, overdue work, indicators."""
    refused = _gate(request, person)
    if refused is not None or person is None:
        return refused or RedirectResponse("/dashboard/login", status_code=303)
    now = datetime.now(UTC)
    shown_year = year or now.year

    def render() -> str:
        with request.app.state.sessions() as session:
            zone = _zone(session)
            organisation = session.get(Organisation, 1)
            names = {p.id: p.name for p in session.exec(select(Portfolio))}
            cycles = list(
                session.exec(
                    select(Cycle).where(Cycle.year == shown_year).order_by(col(Cycle.portfolio))
                )
            )
            rows = []
            for cycle, summary in zip(cycles, summaries(session, cycles), strict=True):
                card = cycle_scorecard(session, cycle, now)
                rows.append(
                    {
                        "portfolio": cycle.portfolio,
                        "year": cycle.year,
                        "name": names.get(cycle.portfolio, cycle.portfolio),
                        "phase": cycle.phase,
                        "done": summary.tasks_done,
                        "total": summary.tasks_total - summary.tasks_cancelled,
                        "overdue": summary.tasks_overdue,
                        "next_due": formatting.day(summary.next_due, zone, "fr")
                        if summary.next_due
                        else None,
                        "indicators": card.indicators,
                    }
                )
        return PAGES.get_template("dashboard.html").render(
            organisation=organisation.name if organisation else "Boucle",
            person=person,
            year=shown_year,
            rows=rows,
            done=sum(r["done"] for r in rows),
            overdue=sum(r["overdue"] for r in rows),
            off_track=sum(
                1 for r in rows for s in r["indicators"] if s.status.value == "off_track"
            ),
            number=figure,
            phases=PHASES,
            now_text=formatting.when(now, zone, "fr"),
            t=TEXT["fr"],
            csrf=csrf_token(request),
        )

    return HTMLResponse(await run_in_threadpool(render))


@router.get("/dashboard/report/{year}", response_class=HTMLResponse)
async def dashboard_report(request: Request, year: Year, person: Viewer) -> Response:
    """The annual report as a printable page."""
    refused = _gate(request, person)
    if refused is not None:
        return refused

    def render() -> str:
        with request.app.state.sessions() as session:
            report = gather_report(
                session, year, datetime.now(UTC), request.app.state.settings.art35_from
            )
            return render_report_html(report, _zone(session))

    return HTMLResponse(await run_in_threadpool(render))


@router.get(
    "/dashboard/report/{year}/{kind}",
    responses={
        200: {
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            }
        }
    },
)
async def download_report(
    request: Request, year: Year, kind: Literal["pdf", "csv", "html"], person: Viewer
) -> Response:
    """The annual report to download: PDF (A4, ready to publish), CSV (French spreadsheet) or
    one HTML page for the organisation's website."""
    refused = _gate(request, person)
    if refused is not None:
        return refused

    def build() -> Response:
        with request.app.state.sessions() as session:
            report = gather_report(
                session, year, datetime.now(UTC), request.app.state.settings.art35_from
            )
            zone = _zone(session)
        return _report_file(report, zone, kind)

    return await run_in_threadpool(build)


reports_router: APIRouter = APIRouter(
    prefix="/reports", tags=["reports"], responses=responses(401, 403)
)


@reports_router.get(
    "/{year}",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def read_report(
    request: Request,
    year: Year,
    person: Staff,
    format: Literal["json", "csv", "html", "pdf"] = "json",  # noqa: A002 - the report's format
) -> Response:
    """The annual SPASER follow-up report: JSON, CSV (French spreadsheet), HTML or PDF (A4)."""

    def build() -> tuple[AnnualReport, Any]:
        with request.app.state.sessions() as session:
            return gather_report(
                session, year, datetime.now(UTC), request.app.state.settings.art35_from
            ), _zone(session)

    report, zone = await run_in_threadpool(build)
    if format in ("csv", "pdf"):
        return await run_in_threadpool(_report_file, report, zone, format)
    if format == "html":
        return HTMLResponse(render_report_html(report, zone))
    return Response(report.model_dump_json(), media_type="application/json")
