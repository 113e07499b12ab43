"""The cycle's page: a portfolio's year under way, its phase and its tasks by month."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from api.access import reads_portfolio
from api.routes.plan_pages import Portfolio_, Reader, Year, month_name, zone_of
from api.routes.task_pages import locale_of
from api.web import page
from notifications import formatting
from store.tables import Cycle, Portfolio, Task

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "for the portfolio's people", "content": {"text/html": {}}},
        404: {"description": "no such cycle", "content": {"text/html": {}}},
    },
)


@router.get("/cycles/{portfolio}/{year}", response_class=HTMLResponse)
def read_cycle_page(
    request: Request, portfolio: Portfolio_, year: Year, person: Reader
) -> Response:
    """A portfolio's year: its phase, its tasks by month and how far they are."""
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
        zone = zone_of(session)
        portfolio_row = session.get(Portfolio, portfolio)
        tasks = list(
            session.exec(select(Task).where(Task.cycle_id == cycle.id).order_by(col(Task.due_at)))
        )
    now = datetime.now(UTC)
    months: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        months[task.due_at.astimezone(zone).month].append(task)
    return page(
        request,
        "cycle.html",
        person,
        locale=locale,
        cycle=cycle,
        portfolio_name=portfolio_row.name if portfolio_row else portfolio,
        done=sum(1 for t in tasks if t.status == "done"),
        total=sum(1 for t in tasks if t.status != "cancelled"),
        overdue=sum(1 for t in tasks if t.status == "open" and t.due_at < now),
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
