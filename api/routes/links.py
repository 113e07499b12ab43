"""One-click links from emails: GET shows what will happen, only the POST acts, once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from starlette.datastructures import UploadFile as StarletteUpload
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.access import anyone
from api.deps import SessionDep, get_temporal
from api.errors import ApiError
from api.page_text import TEXT
from api.routes.tasks import keep_evidence
from api.updates import refusal_for_people
from api.web import page
from domain.calendar import WorkingCalendar
from domain.model import Organisation as OrganisationSettings
from domain.values_csv import french_number
from notifications import formatting
from notifications.links import LinkClaim, LinkError, link_digest, verify_link
from notifications.urls import task_page
from store.tables import Indicator, Organisation, Person, Portfolio, Task, UsedLink
from workflows.task import TaskWorkflow
from workflows.types import (
    CompleteRequest,
    RescheduleProposal,
    ValuesRequest,
    task_workflow_id,
)

router = APIRouter(
    prefix="/act",
    tags=["one-click links"],
    dependencies=[anyone("the signed link is the credential: one task, one person, one use")],
    responses={
        status: {"description": description, "content": {"text/html": {}}}
        for status, description in (
            (400, "invalid, tampered or expired link"),
            (403, "the person the link was sent to no longer has access"),
            (404, "the task no longer exists"),
            (409, "link already used, or the task can no longer change"),
            (422, "a value in the form is not a number: the form again, the link unused"),
            (503, "the workflow engine is unreachable: try again later, the link still works"),
        )
    },
)


def _person_locale(session: SessionDep, person_id: str | None) -> str:
    person = session.get(Person, person_id) if person_id else None
    organisation = session.get(Organisation, 1)
    chosen = (person.locale if person else None) or (organisation.locale if organisation else None)
    return chosen if chosen in ("fr", "en") else "fr"


def act_page(
    request: Request,
    session: SessionDep,
    title_key: str,
    status: int = 200,
    *,
    person_id: str | None = None,
    task: Task | None = None,
    **context: Any,
) -> HTMLResponse:
    """A one-click page in its recipient's language, with the task it is about."""
    facts: dict[str, Any] = {}
    locale = _person_locale(session, person_id)
    if task is not None:
        portfolio = session.get(Portfolio, task.portfolio)
        facts = {
            "portfolio": portfolio.name if portfolio else task.portfolio,
            "due_text": formatting.when(task.due_at, _zone(session), locale or "fr"),
        }
    context.setdefault("text_key", None)
    context.setdefault("text", None)
    context.setdefault("form", None)
    return page(
        request,
        "act.html",
        None,
        status,
        locale=locale,
        title_key=title_key,
        code=status,
        task=task,
        **facts,
        **context,
    )


def _secret(request: Request) -> str:
    return str(request.app.state.settings.link_secret)


ACTIONS = ("complete", "values", "postpone")
LINK_ERRORS = {
    "this link is not valid": "act_invalid",
    "this link has been altered": "act_altered",
    "this link has expired": "act_expired",
}


def checked_link(
    request: Request, session: SessionDep, token: str
) -> tuple[LinkClaim, str, Task] | HTMLResponse:
    """The link's claim, its digest and its task, or the page saying why it cannot be used."""
    try:
        claim = verify_link(_secret(request), token, datetime.now(UTC))
    except LinkError as error:
        key = LINK_ERRORS.get(str(error), "act_invalid")
        return act_page(request, session, "act_invalid_title", 400, text_key=key)
    if claim.action not in ACTIONS:  # a sign-in link is signed alike, and is no task action
        return act_page(request, session, "act_invalid_title", 400, text_key="act_invalid")
    request.state.actor = claim.person  # the audit trail names who the link was for
    request.state.audit_target = claim.task  # and the task, never the link itself
    digest = link_digest(token)
    # Links used before migration 0006 were recorded by the digest of their text (30 days).
    if session.get(UsedLink, digest) or session.get(UsedLink, legacy_digest(token)):
        task = session.get(Task, claim.task)
        return act_page(
            request,
            session,
            "act_used_title",
            409,
            person_id=claim.person,
            task=task,
            text_key="act_used",
        )
    person = session.get(Person, claim.person)
    if person is None or not person.active:
        return act_page(request, session, "act_departed_title", 403, text_key="act_departed")
    task = session.get(Task, claim.task)
    if task is None:
        return act_page(
            request, session, "act_gone_title", 404, person_id=claim.person, text_key="act_gone"
        )
    return claim, digest, task


def legacy_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.get("/{token}", response_class=HTMLResponse)
def confirm_link(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Show the task and a button; a link scanner that only GETs changes nothing."""
    checked = checked_link(request, session, token)
    if isinstance(checked, HTMLResponse):
        if checked.status_code in (400, 409):  # an old email clicked again: a page, not an error
            checked.status_code = 200
        return checked
    claim, _, task = checked
    if task.status != "open":  # done, cancelled or missed since the email: nothing to confirm
        return act_page(
            request,
            session,
            "act_refused_title",
            person_id=claim.person,
            task=task,
            text_key="act_closed",
        )
    if claim.action == "values":
        return values_form(request, session, task, claim.person)
    if claim.action == "postpone":
        locale = _person_locale(session, claim.person) or "fr"
        when = formatting.when(postponed_due(session, task), _zone(session), locale)
        return act_page(
            request,
            session,
            "act_postpone_title",
            person_id=claim.person,
            task=task,
            form="postpone",
            postponed_text=when,
        )
    return act_page(
        request,
        session,
        "act_complete_title",
        person_id=claim.person,
        task=task,
        form="complete",
    )


def values_form(
    request: Request,
    session: SessionDep,
    task: Task,
    person_id: str,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """One number field per indicator the checkpoint collects."""
    names = {row.id: row for row in session.exec(select(Indicator))}
    fields = [
        {
            "id": indicator_id,
            "name": names[indicator_id].name if indicator_id in names else indicator_id,
            "unit": UNITS.get(names[indicator_id].unit, "") if indicator_id in names else "",
        }
        for indicator_id in task.indicators
    ]
    return act_page(
        request,
        session,
        "act_values_title",
        status,
        person_id=person_id,
        task=task,
        form="values",
        fields=fields,
        text=error,
    )


UNITS = {"percent": "%", "euros": "€", "hours": "heures", "count": "nombre"}


def read_values(form: Any, task: Task) -> tuple[dict[str, float], str | None]:
    """The form's numbers by indicator (a decimal comma is fine), or what is wrong."""
    values: dict[str, float] = {}
    for indicator_id in task.indicators:
        text = str(form.get(f"value-{indicator_id}", "")).strip()
        try:
            values[indicator_id] = french_number(text)
        except ValueError:
            return {}, f"« {text} » n'est pas un nombre ({indicator_id})."
    return values, None


def _zone(session: SessionDep) -> ZoneInfo:
    organisation = session.get(Organisation, 1)
    return ZoneInfo(organisation.timezone if organisation else "Europe/Paris")


def postponed_due(session: SessionDep, task: Task) -> datetime:
    """A week later at the same local time, moved to the next working day if needed."""
    organisation = session.get(Organisation, 1)
    settings = OrganisationSettings(
        **(organisation.document.get("organisation", {}) if organisation else {"name": "Boucle"})
    )
    calendar = WorkingCalendar.of(settings)
    local = task.due_at.astimezone(calendar.zone)
    day = calendar.next_working_day(local.date() + timedelta(days=7))
    return calendar.local(day, local.time().replace(tzinfo=None))


@router.post("/{token}", response_class=HTMLResponse)
async def use_link(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Run the link's update once, then record the link as used (never before it succeeds)."""
    checked = await run_in_threadpool(checked_link, request, session, token)
    if isinstance(checked, HTMLResponse):
        return checked
    claim, digest, task = checked
    words = TEXT[await run_in_threadpool(_person_locale, session, claim.person) or "fr"]
    form = await request.form()
    comment = str(form.get("comment") or "").strip()[:2000] or None
    update: Any
    argument: Any
    if claim.action == "values":
        values, problem = read_values(form, task)
        if problem:  # the link is not used up by a typing mistake
            return await run_in_threadpool(
                values_form, request, session, task, claim.person, problem, 422
            )
        update = TaskWorkflow.submit_values
        argument = ValuesRequest(by=claim.person, values=values, comment=comment)
        done = ("act_saved_title", "act_saved")
    elif claim.action == "postpone":
        update = TaskWorkflow.request_reschedule
        argument = RescheduleProposal(
            by=claim.person,
            due=await run_in_threadpool(postponed_due, session, task),
            reason=comment or words["act_postpone_reason"],
        )
        done = ("act_sent_title", "act_sent")
    else:
        evidence_url = None
        person = await run_in_threadpool(session.get, Person, claim.person)
        for upload in form.getlist("files"):
            if not isinstance(upload, StarletteUpload) or not upload.filename or person is None:
                continue
            try:
                kept = await keep_evidence(request, person, task.id, upload)
            except ApiError as error:
                return act_page(
                    request,
                    session,
                    "act_refused_title",
                    error.status_code,
                    person_id=claim.person,
                    task=task,
                    text=str(error.detail),
                )
            base = str(request.app.state.settings.base_url).rstrip("/")
            evidence_url = evidence_url or f"{task_page(task.id, base)}/evidence/{kept.id}"
        update = TaskWorkflow.complete
        argument = CompleteRequest(
            by=claim.person,
            comment=comment or words["act_done_comment"],
            evidence_url=evidence_url,
        )
        done = ("act_done_title", "act_done")
    try:
        temporal = await get_temporal(request)
        handle = temporal.get_workflow_handle(task_workflow_id(claim.task))
        # One update id per link: a double click or a retry after a lost answer runs it once.
        await handle.execute_update(update, argument, id=f"link:{digest}")
    except WorkflowUpdateFailedError as error:
        reason = refusal_for_people(error, request)
        return act_page(
            request,
            session,
            "act_refused_title",
            409,
            person_id=claim.person,
            task=task,
            text=reason,
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return act_page(
                request,
                session,
                "act_refused_title",
                409,
                person_id=claim.person,
                task=task,
                text_key="act_closed",
            )
        return engine_unreachable(request, session, claim.person)
    except ApiError:
        return engine_unreachable(request, session, claim.person)
    request.app.state.caches.my_tasks.clear()
    await run_in_threadpool(record_used, session, digest, claim)
    await run_in_threadpool(session.refresh, task)
    return act_page(request, session, done[0], person_id=claim.person, task=task, text_key=done[1])


def record_used(session: SessionDep, digest: str, claim: LinkClaim) -> None:
    used = UsedLink(digest=digest, person_id=claim.person, task_id=claim.task)
    used.used_at = datetime.now(UTC)
    session.add(used)
    try:
        session.commit()
    except IntegrityError:  # a double click recorded it first; the update ran once
        session.rollback()


def engine_unreachable(request: Request, session: SessionDep, person_id: str) -> HTMLResponse:
    return act_page(
        request, session, "act_later_title", 503, person_id=person_id, text_key="act_later"
    )
