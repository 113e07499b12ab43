"""The officer amends a running year from an occurrence's page: move it, cancel it, cancel
its item, or give the item to others, each with the reason the people concerned will read.

Amendments go to the cycle's workflow as the API's do (services/amendments.py): its validator
decides, once per form (its nonce is the update's id); a refusal is said on the form.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import get_temporal
from api.errors import ApiError
from api.page_text import TEXT
from api.routes.cycle_pages import ACTIONS
from api.routes.plan_pages import Portfolio_, Year, zone_of
from api.routes.task_pages import locale_of, refused_text
from api.updates import engine_error, refusal
from api.web import csrf_ok, gate, page
from domain.model import Role
from notifications import formatting
from notifications.urls import cycle_page
from services.amendments import amend_cycle, amendment_of
from store.tables import Person, Task
from workflows.types import Amendment

router = APIRouter(
    prefix="/app",
    tags=["pages"],
    responses={
        303: {"description": "not signed in: to the sign-in page, then back"},
        403: {"description": "for the officer", "content": {"text/html": {}}},
        404: {"description": "no such occurrence in this year", "content": {"text/html": {}}},
    },
)
Officer = Annotated[Person, gate(Role.officer, scope="amends the plan of a running year")]
ASSIGNABLE = ("buyer", "officer")


def message_page(
    request: Request, person: Person, status: int, text: str, portfolio: str, year: int
) -> HTMLResponse:
    """Why the year cannot be changed so, with the way back to it."""
    return page(
        request, "cycle_message.html", person, status, text=text, back=cycle_page(portfolio, year)
    )


def _amend_facts(
    session: Session, person: Person, portfolio: str, year: int, task_id: str
) -> dict[str, Any] | tuple[int, str]:
    """What the amendment page shows of one occurrence, or why it cannot be amended (a status
    and its words)."""
    locale = locale_of(person, session)
    words = TEXT[locale]
    task = session.get(Task, task_id)
    if task is None or task.cycle_id != f"{portfolio}/{year}":
        return 404, words["not_in_cycle"]
    if task.status != "open":
        status = words.get(f"status_{task.status}", task.status)
        return 409, words["occurrence_closed"].format(status=status)
    zone = zone_of(session)
    siblings = session.exec(
        select(Task).where(
            Task.cycle_id == task.cycle_id, Task.item == task.item, Task.status == "open"
        )
    ).all()
    people = session.exec(
        select(Person).where(col(Person.role).in_(ASSIGNABLE), col(Person.active).is_(True))
    ).all()
    local = task.due_at.astimezone(zone)
    return {
        "locale": locale,
        "task": task,
        "when": formatting.when(task.due_at, zone, locale),
        "kind": formatting.kind_label(task.kind, locale),
        "day": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "open_count": len(siblings),
        "people": sorted(people, key=lambda p: p.name),
        "assigned": set(task.assignees),
        "zone": zone,
    }


def _amend_page(
    request: Request,
    person: Person,
    facts: dict[str, Any] | tuple[int, str],
    portfolio: str,
    year: int,
    status: int = 200,
    **shown: Any,
) -> HTMLResponse:
    """The occurrence's amendment forms, as typed and with what was wrong; or why not."""
    if isinstance(facts, tuple):
        return message_page(request, person, facts[0], facts[1], portfolio, year)
    return page(
        request,
        "cycle_amend.html",
        person,
        status,
        **facts,
        back=cycle_page(portfolio, year),
        action_url=f"{cycle_page(portfolio, year)}/amend",
        nonce=secrets.token_hex(16),
        errors=shown.pop("errors", {}),
        typed=shown.pop("typed", {}),
        refused=shown.pop("refused", None),
        form_error=shown.pop("form_error", None),
    )


@router.get("/cycles/{portfolio}/{year}/amend", response_class=HTMLResponse)
def read_amendment_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    task: Annotated[str, Query(max_length=200)],
) -> Response:
    """One occurrence and the changes the officer may make to it or to its item: move it,
    cancel it, cancel the item, give the item to others; each with its reason."""
    with request.app.state.sessions() as session:
        facts = _amend_facts(session, person, portfolio, year, task)
    error = request.query_params.get("error")
    expired = error if error == "form_expired" else None
    return _amend_page(request, person, facts, portfolio, year, form_error=expired)


def _form_errors(
    action: str, reason: str, day: str, hour: str, chosen: list[str], people: list[Person]
) -> tuple[dict[str, str], datetime | None]:
    """Each wrong field of the form, by its id; and the new due time of a move."""
    errors: dict[str, str] = {}
    if not reason.strip():
        errors[f"{action}-reason"] = "reason_missing"
    moved = None
    if action == "reschedule":
        try:
            moved_day = date.fromisoformat(day.strip())
        except ValueError:
            errors["reschedule-day"] = "day_invalid"
        try:
            moved_time = time.fromisoformat(hour.strip())
        except ValueError:
            errors["reschedule-time"] = "time_invalid"
        if not errors.keys() & {"reschedule-day", "reschedule-time"}:
            moved = datetime.combine(moved_day, moved_time.replace(tzinfo=None))
    if action == "reassign":
        known = {p.id for p in people}
        if not chosen:
            errors["reassign-people"] = "nobody_chosen"
        elif set(chosen) - known:
            errors["reassign-people"] = "unknown_people|" + ", ".join(sorted(set(chosen) - known))
    return errors, moved


@router.post(
    "/cycles/{portfolio}/{year}/amend",
    response_class=HTMLResponse,
    responses={
        409: {"description": "the cycle's workflow refused: why", "content": {"text/html": {}}},
        422: {"description": "a field of the form is wrong: which", "content": {"text/html": {}}},
        503: {"description": "the workflow engine is unreachable", "content": {"text/html": {}}},
    },
)
async def amend_from_cycle_page(
    request: Request,
    portfolio: Portfolio_,
    year: Year,
    person: Officer,
    task: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    hour: Annotated[str, Form(alias="time", max_length=8)] = "",
    assignees: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Amend the running plan from an occurrence's page; the people concerned are told why."""
    if not csrf_ok(request, csrf):
        query = urlencode({"task": task, "error": "form_expired"})
        target = f"{cycle_page(portfolio, year)}/amend?{query}"
        return RedirectResponse(target, status_code=303)
    chosen = [p for p in dict.fromkeys(assignees or []) if p]
    typed = {"reason": reason, "day": day, "time": hour, "assignees": set(chosen), "action": action}

    def check() -> tuple[Any, dict[str, str], Amendment | None]:
        with request.app.state.sessions() as session:
            facts = _amend_facts(session, person, portfolio, year, task)
            if isinstance(facts, tuple) or action not in ACTIONS:
                return facts, {}, None
            errors, moved = _form_errors(action, reason, day, hour, chosen, facts["people"])
            if errors:
                return facts, _said(errors, facts["locale"]), None
            found: Task = facts["task"]
            parts: dict[str, Any]
            if action == "reschedule" and moved is not None:
                parts = {"reschedule_tasks": {found.id: moved.replace(tzinfo=facts["zone"])}}
            elif action == "cancel_task":
                parts = {"cancel_tasks": [found.id]}
            elif action == "cancel_item":
                parts = {"cancel_items": [found.item]}
            else:
                parts = {"reassign_items": {found.item: chosen}}
            return facts, {}, amendment_of(session, person.id, reason=reason, **parts)

    facts, errors, amendment = await run_in_threadpool(check)
    if isinstance(facts, tuple):
        return _amend_page(request, person, facts, portfolio, year)
    if amendment is None:
        errors = errors or _said({"form": "action_unknown"}, facts["locale"])
        return _amend_page(request, person, facts, portfolio, year, 422, errors=errors, typed=typed)
    try:
        temporal: Client = await get_temporal(request)
        await amend_cycle(
            temporal,
            portfolio,
            year,
            amendment,
            f"page:{person.id}:{nonce or secrets.token_hex(8)}",
        )
    except WorkflowUpdateFailedError as failed:
        error = refusal(failed)
        words = refused_text(error, facts["locale"])
        return _amend_page(
            request, person, facts, portfolio, year, error.status_code, refused=words, typed=typed
        )
    except (ApiError, RPCError) as failed:
        error = engine_error(failed) if isinstance(failed, RPCError) else failed
        down = error.status_code == 503
        text = (
            TEXT[facts["locale"]]["engine_down"] if down else refused_text(error, facts["locale"])
        )
        return message_page(request, person, error.status_code, text, portfolio, year)
    request.app.state.caches.my_tasks.clear()
    return RedirectResponse(f"{cycle_page(portfolio, year)}?done={action}", status_code=303)


def _said(errors: dict[str, str], locale: str) -> dict[str, str]:
    """Each field's error in the person's words (a key, and its parameters after a '|')."""
    words = TEXT[locale]
    said = {}
    for field, key in errors.items():
        code, _, people = key.partition("|")
        said[field] = words[code].format(people=people)
    return said
