"""Pages for people: the direction's dashboard and the annual report, server-rendered.

A browser cannot send a bearer header when following a link, so the login form turns a token
into a page session: an HttpOnly, SameSite=Strict cookie scoped to /dashboard that holds no
API token, expires after eight hours, ends at logout or when its token is revoked, and opens
only these read-only pages. The form itself answers only to a page it served (its form key,
and the browser's Origin or Referer when sent), so no other site can log someone in.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, col, select

from api.access import Rule, Staff
from api.charts import COLOURS, LEGEND, Bar, completion_bars, figure, indicator_bars
from api.deps import person_of_token
from api.errors import responses
from api.routes.cycles import summaries
from boucle.tokens import close_page_session, open_page_session, page_session_person
from domain.model import Role
from domain.report import AnnualReport, report_csv
from notifications import formatting
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
COOKIE = "boucle_session"
LOGIN_COOKIE = "boucle_login"  # the login form's key, as the form carries it too
PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
STATUSES = {
    "on_track": "en bonne voie",
    "at_risk": "à surveiller",
    "off_track": "hors trajectoire",
    "no_data": "sans valeur",
}
PHASES = {
    "planning": "en préparation",
    "executing": "en cours",
    "evaluating": "en évaluation",
    "improving": "en amélioration",
    "closed": "clos",
}
VIEWERS = (Role.officer, Role.direction)
RESERVED = "Ce tableau de bord est réservé au responsable Qualité & DD et à la direction."
Year = Annotated[int, PathParam(ge=2000, le=2100)]


def render_report_html(report: AnnualReport, zone: Any) -> str:
    charts = {
        p.portfolio: {
            "indicators": indicator_bars(
                f"{p.name} : indicateurs et cibles",
                [
                    Bar(s.name, s.value, s.target, s.status.value, s.unit)
                    for s in p.scorecard.indicators
                ],
            ),
            "months": completion_bars(f"{p.name} : tâches par mois d'échéance", p.months),
        }
        for p in report.portfolios
    }
    return PAGES.get_template("report.html").render(
        report=report,
        organisation=report.organisation,
        totals=report.totals,
        charts=charts,
        number=figure,
        statuses=STATUSES,
        phases=PHASES,
        legend=LEGEND,
        colours=COLOURS,
        generated_text=formatting.day(report.generated_at, zone, "fr"),
    )


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
        return RedirectResponse("/dashboard/login", status_code=303)
    if person.role not in VIEWERS:
        return _login_page(request, RESERVED, 403)
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
            report = gather_report(session, year, datetime.now(UTC))
            return render_report_html(report, _zone(session))

    return HTMLResponse(await run_in_threadpool(render))


login_router: APIRouter = APIRouter(
    tags=["pages"],
    responses={
        303: {"description": "no token: to the login page"},
        403: {"description": "for the officer and the direction", "content": {"text/html": {}}},
    },
)


async def _public() -> None:
    return None


_public.rule = Rule(  # type: ignore[attr-defined]
    (), "the login form, from a page it served: a valid token opens a page session"
)


async def _ending() -> None:
    return None


_ending.rule = Rule((), "ends the page session its cookie names")  # type: ignore[attr-defined]


def _secure(request: Request) -> bool:
    """Cookies are Secure whenever people reach Boucle over https, behind a proxy too."""
    public = str(request.app.state.settings.public_url)
    return request.url.scheme == "https" or public.startswith("https://")


def _login_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    key = secrets.token_urlsafe(32)
    page = PAGES.get_template("login.html").render(organisation="Boucle", error=error, key=key)
    response = HTMLResponse(page, status_code=status)
    response.set_cookie(
        LOGIN_COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
        path="/dashboard/login",
    )
    return response


def _same_origin(request: Request) -> bool:
    """Whether the browser says the form came from Boucle (it may say nothing)."""
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    public = urlsplit(str(request.app.state.settings.public_url))
    if public.scheme and public.netloc:
        allowed.add(f"{public.scheme}://{public.netloc}")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in allowed  # "null" (a sandboxed or privacy-stripped page) is not
    referer = urlsplit(request.headers.get("referer", ""))
    return not referer.netloc or f"{referer.scheme}://{referer.netloc}" in allowed


FOREIGN_FORM = "Ce formulaire de connexion a expiré ou ne vient pas de Boucle : rechargez la page."


@login_router.get("/dashboard/login", response_class=HTMLResponse, dependencies=[Depends(_public)])
def login_page(request: Request) -> HTMLResponse:
    return _login_page(request)


@login_router.post(
    "/dashboard/login",
    response_class=HTMLResponse,
    dependencies=[Depends(_public)],
    responses={
        303: {"description": "to the dashboard"},
        401: {"content": {"text/html": {}}},
    },
)
async def log_in(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    form_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Open a page session for a valid token, from the form this page served."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not (expected and hmac.compare_digest(expected, form_key) and _same_origin(request)):
        return _login_page(request, FOREIGN_FORM, 403)
    person = await person_of_token(request, token.strip())
    bearer = getattr(request.state, "bearer", None)
    if person is None or bearer is None:
        return _login_page(request, "Jeton inconnu, révoqué ou expiré.", 401)

    def open_session() -> tuple[str, datetime]:
        with request.app.state.sessions() as session:
            secret, row = open_page_session(session, bearer)
            return secret, row.expires_at

    secret, until = await run_in_threadpool(open_session)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=max(0, int((until - datetime.now(UTC)).total_seconds())),
        path="/dashboard",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/dashboard/login")
    return response


@login_router.post(
    "/dashboard/logout",
    response_class=HTMLResponse,
    dependencies=[Depends(_ending)],
    responses={303: {"description": "to the login page"}},
)
async def log_out(request: Request) -> Response:
    """End the page session: its cookie opens nothing any more."""
    secret = request.cookies.get(COOKIE)
    if secret and _same_origin(request):

        def close() -> None:
            with request.app.state.sessions() as session:
                row = close_page_session(session, secret)
                if row is not None:
                    request.state.actor = row.person_id

        await run_in_threadpool(close)
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


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
            }
        }
    },
)
async def read_report(
    request: Request,
    year: Year,
    person: Staff,
    format: Literal["json", "csv", "html"] = "json",  # noqa: A002 - the report's format
) -> Response:
    """The annual SPASER follow-up report: JSON, CSV (French spreadsheet) or printable HTML."""

    def build() -> tuple[AnnualReport, Any]:
        with request.app.state.sessions() as session:
            return gather_report(session, year, datetime.now(UTC)), _zone(session)

    report, zone = await run_in_threadpool(build)
    if format == "csv":
        return Response(
            report_csv(report).encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="bilan-spaser-{year}.csv"'},
        )
    if format == "html":
        return HTMLResponse(render_report_html(report, zone))
    return Response(report.model_dump_json(), media_type="application/json")
