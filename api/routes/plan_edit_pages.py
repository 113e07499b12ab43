"""The officer's plan pages that hold a form: the upload (with its located errors) and one
item's form; shared by the plan page and the routes that save."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import select

from api.item_form import ItemForm
from api.page_text import TEXT
from api.routes.task_pages import locale_of
from api.web import page
from domain.errors import PlanError
from domain.model import PlanFile, YearPlan
from store.tables import Person, PlanVersion, Portfolio


def portfolio_name(request: Request, portfolio: str) -> str | None:
    with request.app.state.sessions() as session:
        row = session.get(Portfolio, portfolio)
        return row.name if row else None


def located(errors: list[PlanError], locale: str) -> list[dict[str, str]]:
    """Each error with its place: a workbook's sheet!cell and column, else the file's line."""
    words = TEXT[locale]
    rows = []
    for error in errors:
        location = error.location
        if location is not None:
            place = f"{location.sheet}!{location.cell}" if location.cell else location.sheet
            rows.append(
                {"place": place or "—", "field": location.column, "message": error.message(locale)}
            )
        else:
            place = words["plan_line"].format(line=error.line) if error.line else "—"
            rows.append({"place": place, "field": error.path, "message": error.message(locale)})
    return rows


def upload_page(
    request: Request,
    person: Person,
    portfolio: str,
    year: int,
    errors: list[PlanError] | None = None,
    problem: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The upload form (and the start from last year's plan), with what went wrong."""
    with request.app.state.sessions() as session:
        locale = locale_of(person, session)
        has_plan = (
            session.exec(
                select(PlanVersion.id).where(
                    PlanVersion.portfolio == portfolio, PlanVersion.year == year
                )
            ).first()
            is not None
        )
        last_year = (
            session.exec(
                select(PlanVersion.id).where(
                    PlanVersion.portfolio == portfolio, PlanVersion.year == year - 1
                )
            ).first()
            is not None
        )
        folio = session.get(Portfolio, portfolio)
    if folio is None and not has_plan:
        return page(request, "message.html", person, 404, title_key="plan", text_key="not_found")
    return page(
        request,
        "plan_upload.html",
        person,
        status,
        locale=locale,
        portfolio=portfolio,
        portfolio_name=folio.name if folio else portfolio,
        year=year,
        has_plan=has_plan,
        last_year=last_year and not has_plan,
        errors=located(errors or [], locale),
        problem=problem,
        nonce=secrets.token_hex(16),
    )


def item_page(
    request: Request,
    person: Person,
    document: PlanFile,
    plan: YearPlan,
    version: int,
    form: ItemForm,
    item_id: str | None,
    status: int = 200,
) -> HTMLResponse:
    """One item's form, filled in, with its errors at their fields."""
    with request.app.state.sessions() as session:
        locale = locale_of(person, session)
        active = {p.id for p in session.exec(select(Person).where(Person.active == True))}  # noqa: E712
        folio = session.get(Portfolio, plan.portfolio)
    words = TEXT[locale]
    existing = next((item for item in plan.items if item.id == item_id), None)
    heading = (
        words["item_form_title_edit"].format(title=existing.title)
        if existing
        else words["item_form_title_new"]
    )
    people = sorted(
        ((p.id, p.name) for p in document.people if p.id in active or not active),
        key=lambda pair: pair[1],
    )
    action = f"/app/plans/{plan.portfolio}/{plan.year}/items" + (f"/{item_id}" if item_id else "")
    context: dict[str, Any] = {
        "portfolio": plan.portfolio,
        "portfolio_name": folio.name if folio else plan.portfolio,
        "year": plan.year,
        "version": version,
        "heading": heading,
        "action": action,
        "values": form.values,
        "errors": form.errors,
        "others": form.others,
        "people": people,
        "indicators": [(i.id, i.name) for i in document.indicators],
        "objectives": [(o.id, o.statement[:80]) for o in plan.objectives],
        "nonce": secrets.token_hex(16),
    }
    return page(request, "plan_item.html", person, status, locale=locale, **context)
