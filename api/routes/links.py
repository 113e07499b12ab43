"""One-click links from emails: GET shows what will happen, only the POST acts, once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.access import anyone
from api.deps import SessionDep, get_temporal
from api.errors import ApiError
from api.updates import refusal_for_people
from domain.calendar import WorkingCalendar
from domain.model import Organisation as OrganisationSettings
from domain.values_csv import french_number
from notifications.links import LinkClaim, LinkError, link_digest, verify_link
from store.tables import Indicator, Organisation, Person, Task, UsedLink
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

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Boucle</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;
line-height:1.5;color:#1d1d1b">
<h1 style="font-size:1.4rem">{title}</h1>{body}</body></html>"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), body=body), status_code=status)


def _secret(request: Request) -> str:
    return str(request.app.state.settings.link_secret)


LINK_ERRORS = {
    "this link is not valid": "ce lien n'est pas valide",
    "this link has been altered": "ce lien a été modifié",
    "this link has expired": "ce lien a expiré",
}
USED = ("Lien déjà utilisé", "<p>Ce lien a déjà servi.</p>")


def checked_link(
    request: Request, session: SessionDep, token: str
) -> tuple[LinkClaim, str, Task] | HTMLResponse:
    """The link's claim, its digest and its task, or the page saying why it cannot be used."""
    try:
        claim = verify_link(_secret(request), token, datetime.now(UTC))
    except LinkError as error:
        reason = LINK_ERRORS.get(str(error), str(error))
        return page("Lien invalide", f"<p>{escape(reason)}.</p>", 400)
    request.state.actor = claim.person  # the audit trail names who the link was for
    request.state.audit_target = claim.task  # and the task, never the link itself
    digest = link_digest(token)
    # Links used before migration 0006 were recorded by the digest of their text (30 days).
    if session.get(UsedLink, digest) or session.get(UsedLink, legacy_digest(token)):
        return page(*USED, 409)
    person = session.get(Person, claim.person)
    if person is None or not person.active:
        return page(
            "Lien expiré",
            "<p>Ce lien n'est plus valable : son destinataire n'a plus accès.</p>",
            403,
        )
    task = session.get(Task, claim.task)
    if task is None:
        return page("Tâche introuvable", "<p>Cette tâche n'existe plus.</p>", 404)
    return claim, digest, task


def legacy_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.get("/{token}", response_class=HTMLResponse)
def confirm_link(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Show the task and a button; a link scanner that only GETs changes nothing."""
    checked = checked_link(request, session, token)
    if isinstance(checked, HTMLResponse):
        return checked
    claim, _, task = checked
    if claim.action == "values":
        return values_form(session, task, token)
    if claim.action == "postpone":
        when = format_datetime(
            postponed_due(session, task),
            "EEEE d MMMM y 'à' H:mm",
            locale="fr",
            tzinfo=_zone(session),
        )
        title, button = "Reporter d'une semaine", f"Demander le report au {when}"
    else:
        title, button = "Marquer comme fait", "Confirmer : c'est fait"
    body = (
        f"<p><strong>{escape(task.title)}</strong></p>"
        f'<form method="post"><button type="submit" style="padding:.6rem 1rem;'
        f'background:#1f5c3a;color:#fff;border:0;font-weight:bold">'
        f"{escape(button)}</button></form>"
    )
    return page(title, body)


def values_form(
    session: SessionDep, task: Task, token: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """One number field per indicator the checkpoint collects."""
    names = {row.id: row for row in session.exec(select(Indicator))}
    fields = []
    for indicator_id in task.indicators:
        indicator = names.get(indicator_id)
        label = indicator.name if indicator else indicator_id
        unit = UNITS.get(indicator.unit, "") if indicator else ""
        fields.append(
            f'<p><label for="v-{escape(indicator_id)}">{escape(label)}'
            f"{' (' + unit + ')' if unit else ''}</label><br>"
            f'<input id="v-{escape(indicator_id)}" name="value-{escape(indicator_id)}" '
            f'inputmode="decimal" required style="padding:.4rem;font-size:1rem"></p>'
        )
    alert = f'<p role="alert" style="color:#b3261e">{escape(error)}</p>' if error else ""
    body = (
        f"<p><strong>{escape(task.title)}</strong></p>{alert}"
        f'<form method="post" action="/act/{escape(token)}">{"".join(fields)}'
        '<p><label for="comment">Commentaire (facultatif)</label><br>'
        '<textarea id="comment" name="comment" rows="3" cols="40"></textarea></p>'
        '<button type="submit" style="padding:.6rem 1rem;background:#1f5c3a;color:#fff;'
        'border:0;font-weight:bold">Enregistrer les valeurs</button></form>'
    )
    return page("Saisir les valeurs", body, status)


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
    update: Any
    argument: Any
    if claim.action == "values":
        form = await request.form()
        values, problem = read_values(form, task)
        if problem:  # the link is not used up by a typing mistake
            return await run_in_threadpool(values_form, session, task, token, problem, 422)
        comment = str(form.get("comment") or "").strip()[:2000] or None
        update = TaskWorkflow.submit_values
        argument = ValuesRequest(by=claim.person, values=values, comment=comment)
        done = ("Valeurs enregistrées", VALUES_SAVED)
    elif claim.action == "postpone":
        update = TaskWorkflow.request_reschedule
        argument = RescheduleProposal(
            by=claim.person,
            due=await run_in_threadpool(postponed_due, session, task),
            reason="report d'une semaine demandé depuis le courriel",
        )
        done = ("Demande envoyée", POSTPONE_SENT)
    else:
        update = TaskWorkflow.complete
        argument = CompleteRequest(
            by=claim.person, comment="marquée comme faite depuis le courriel"
        )
        done = ("Tâche faite", TASK_DONE)
    try:
        temporal = await get_temporal(request)
        handle = temporal.get_workflow_handle(task_workflow_id(claim.task))
        # One update id per link: a double click or a retry after a lost answer runs it once.
        await handle.execute_update(update, argument, id=f"link:{digest}")
    except WorkflowUpdateFailedError as error:
        reason = escape(refusal_for_people(error, request))
        return page("Impossible", f"<p>{reason}</p>", 409)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return page("Impossible", "<p>Cette tâche est close.</p>", 409)
        return engine_unreachable()
    except ApiError:
        return engine_unreachable()
    request.app.state.caches.my_tasks.clear()
    await run_in_threadpool(record_used, session, digest, claim)
    return page(*done)


def record_used(session: SessionDep, digest: str, claim: LinkClaim) -> None:
    used = UsedLink(digest=digest, person_id=claim.person, task_id=claim.task)
    used.used_at = datetime.now(UTC)
    session.add(used)
    try:
        session.commit()
    except IntegrityError:  # a double click recorded it first; the update ran once
        session.rollback()


VALUES_SAVED = "<p>Merci : les valeurs sont enregistrées et le point d'étape est fait.</p>"
POSTPONE_SENT = (
    "<p>Le responsable Qualité &amp; DD est prévenu ; vous recevrez sa réponse par courriel.</p>"
)
TASK_DONE = "<p>C'est noté : la tâche est marquée comme faite ; les rappels s'arrêtent.</p>"


def engine_unreachable() -> HTMLResponse:
    return page(
        "Réessayez plus tard",
        "<p>Boucle ne peut pas enregistrer cela pour le moment. Réessayez dans quelques "
        "minutes : ce lien reste valable.</p>",
        503,
    )
