"""The officer adds an item to a running year: first the reason its people will read, then the
plan item form the plan page uses (api/item_form.py), checked against the plan in force.

The item goes to the cycle's workflow as an amendment (services/amendments.py), whose validator
decides as it does for the API.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import get_temporal
from api.errors import ApiError
from api.item_form import ItemForm, form_values, place_item, read_form
from api.page_text import TEXT
from api.routes.cycle_forms import ASSIGNABLE, Officer, message_page
from api.routes.plan_pages import Portfolio_, Year
from api.routes.task_pages import locale_of, refused_text
from api.updates import engine_error, refusal
from api.web import csrf_ok, page
from domain.scorecard import portfolio_indicators
from notifications.urls import cycle_page
from services.amendments import amend_cycle, amendment_of
from store.facts import cycle_plan
from store.tables import Cycle, Person, Portfolio

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "for the officer", "content": {"text/html": {}}},
        404: {"description": "no such cycle", "content": {"text/html": {}}},
    },
)
REASON_LIMIT = 2000


def _running_plan(request: Request, person: Person, portfolio: str, year: int) -> Any:
    """The plan in force of a year under way and the page's facts, or the page saying why not."""
    with request.app.state.sessions() as session:
        locale = locale_of(person, session)
        cycle = session.get(Cycle, f"{portfolio}/{year}")
        document = cycle_plan(session, cycle) if cycle is not None else None
        if cycle is None or document is None:
            return page(
                request, "message.html", person, 404, title_key="plan", text_key="not_found"
            )
        if cycle.phase not in ("executing", "evaluating"):
            words = TEXT[locale]
            return message_page(request, person, 409, words["add_not_running"], portfolio, year)
        people = session.exec(
            select(Person).where(col(Person.role).in_(ASSIGNABLE), col(Person.active).is_(True))
        ).all()
        folio = session.get(Portfolio, portfolio)
    return document, {
        "locale": locale,
        "portfolio": portfolio,
        "portfolio_name": folio.name if folio else portfolio,
        "year": year,
        "back": cycle_page(portfolio, year),
        "people": sorted(((p.id, p.name) for p in people), key=lambda pair: pair[1]),
        "indicators": [(i.id, i.name) for i in portfolio_indicators(document, portfolio)],
        "objectives": [(o.id, o.statement[:80]) for o in document.plans[0].objectives],
    }


def _add_page(
    request: Request,
    person: Person,
    facts: dict[str, Any],
    reason: str,
    form: ItemForm | None = None,
    status: int = 200,
    **shown: Any,
) -> HTMLResponse:
    """Step one asks for the reason; step two, the item form carrying it."""
    return page(
        request,
        "cycle_add_item.html",
        person,
        status,
        **facts,
        reason=reason,
        change_reason=f"{facts['back']}/items/new?{urlencode({'reason': reason, 'change': 1})}",
        action=f"{facts['back']}/items",
        form=form,
        nonce=secrets.token_hex(16),
        reason_error=shown.pop("reason_error", None),
        refused=shown.pop("refused", None),
    )


@router.get("/cycles/{portfolio}/{year}/items/new", response_class=HTMLResponse)
def read_new_item_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    reason: Annotated[str, Query(max_length=REASON_LIMIT)] = "",
    change: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """Add an item to the year under way: the reason first, then the item's form."""
    found = _running_plan(request, person, portfolio, year)
    if isinstance(found, Response):
        return found
    _, facts = found
    if change or not reason.strip():
        expired = request.query_params.get("error") == "form_expired"
        words = TEXT[facts["locale"]]
        return _add_page(
            request,
            person,
            facts,
            reason.strip(),
            refused=words["form_expired"] if expired else None,
        )
    return _add_page(request, person, facts, reason.strip(), ItemForm(form_values(None)))


@router.post(
    "/cycles/{portfolio}/{year}/items",
    response_class=HTMLResponse,
    responses={
        409: {"description": "the cycle's workflow refused: why", "content": {"text/html": {}}},
        422: {"description": "a field of the form is wrong: which", "content": {"text/html": {}}},
        503: {"description": "the workflow engine is unreachable", "content": {"text/html": {}}},
    },
)
async def add_item_to_running_year(
    request: Request, portfolio: Portfolio_, year: Year, person: Officer
) -> Response:
    """Add the form's item to the plan in force; its people are told, with the reason."""
    form = await request.form()
    reason = str(form.get("reason") or "").strip()[:REASON_LIMIT]
    if not csrf_ok(request, str(form.get("csrf") or "")):
        query = urlencode({"reason": reason, "error": "form_expired"})
        return RedirectResponse(f"{cycle_page(portfolio, year)}/items/new?{query}", 303)
    values = read_form(form)

    def check() -> Any:
        found = _running_plan(request, person, portfolio, year)
        if isinstance(found, Response):
            return found
        document, facts = found
        words = TEXT[facts["locale"]]
        if not reason:
            return _add_page(
                request, person, facts, "", None, 422, reason_error=words["reason_missing"]
            )
        placed, checked = place_item(document, portfolio, year, values, facts["locale"])
        if placed is None:
            return _add_page(request, person, facts, reason, checked, 422)
        with request.app.state.sessions() as session:
            amendment = amendment_of(session, person.id, add=[placed.item], reason=reason)
        return facts, checked, amendment

    checked = await run_in_threadpool(check)
    if isinstance(checked, Response):
        return checked
    facts, item_form, amendment = checked
    try:
        temporal = await get_temporal(request)
        update_id = f"page:{person.id}:{str(form.get('nonce') or secrets.token_hex(8))[:64]}"
        await amend_cycle(temporal, portfolio, year, amendment, update_id)
    except WorkflowUpdateFailedError as failed:
        error = refusal(failed)
        words = refused_text(error, facts["locale"])
        return _add_page(
            request, person, facts, reason, item_form, error.status_code, refused=words
        )
    except (ApiError, RPCError) as failed:
        error = engine_error(failed) if isinstance(failed, RPCError) else failed
        down = error.status_code == 503
        text = (
            TEXT[facts["locale"]]["engine_down"] if down else refused_text(error, facts["locale"])
        )
        return message_page(request, person, error.status_code, text, portfolio, year)
    request.app.state.caches.my_tasks.clear()
    return RedirectResponse(f"{cycle_page(portfolio, year)}?done=add_item", status_code=303)
