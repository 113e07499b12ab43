"""What a person does from a task's page: done, postpone, values, the officer's decision.

Each form goes to the task's workflow as the API's routes do (the same validators decide),
once per form (its nonce is the update's id), then back to the page saying what happened.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import concerns
from api.deps import get_temporal
from api.errors import ApiError
from api.routes.task_pages import (
    Actor,
    locale_of,
    not_found,
    refused_text,
    zone_of,
)
from api.routes.tasks import keep_evidence, update_task
from api.web import csrf_ok, gate, page
from domain.model import Role
from notifications.urls import task_page
from store.tables import Evidence, Person, Task
from workflows.task import TaskWorkflow
from workflows.types import CompleteRequest, RescheduleDecision, RescheduleProposal, ValuesRequest

router = APIRouter(
    prefix="/app/tasks",
    tags=["pages"],
    responses={
        303: {"description": "done, or not signed in: back to the page, or to the sign-in page"},
        403: {"description": "the task does not concern this person", "content": {"text/html": {}}},
        409: {
            "description": "the task's workflow refused: the reason",
            "content": {"text/html": {}},
        },
        404: {
            "description": "no such task (an address no route serves: a problem)",
            "content": {"text/html": {}, "application/problem+json": {}},
        },
        422: {
            "description": "a value in the form is wrong (a form no page served: JSON)",
            "content": {"text/html": {}, "application/problem+json": {}},
        },
        503: {"description": "the workflow engine is unreachable", "content": {"text/html": {}}},
    },
)
TaskId = Annotated[str, PathParam(max_length=200)]
Nonce = Annotated[str, Form(max_length=64)]
Csrf = Annotated[str, Form(max_length=100)]
Decider = Annotated[Person, gate(Role.officer, scope="postponements the buyers asked for")]


def _back(task_id: str, outcome: str | None = None, error: str | None = None) -> RedirectResponse:
    query = urlencode({k: v for k, v in (("done", outcome), ("error", error)) if v})
    return RedirectResponse(task_page(task_id) + (f"?{query}" if query else ""), status_code=303)


async def _checked(request: Request, person: Person, task_id: str, csrf: str) -> Any:
    """The task this form may act on, or the answer to give instead."""
    if not csrf_ok(request, csrf):
        return _back(task_id, error="form_expired")

    def load() -> tuple[Task | None, bool, str]:
        with request.app.state.sessions() as session:
            task = session.get(Task, task_id)
            return (
                task,
                task is not None and concerns(session, person, task),
                locale_of(person, session),
            )

    task, allowed, locale = await run_in_threadpool(load)
    if task is None:
        return await run_in_threadpool(not_found, request, person)
    if not allowed:
        return page(request, "message.html", person, 403, title_key="task", text_key="not_yours")
    return task, locale


async def _run(
    request: Request, person: Person, task: Task, update: Any, argument: Any, nonce: str
) -> HTMLResponse | None:
    """Send the update (once per form: its nonce is the update's id); the refusal, if any."""
    try:
        temporal = await get_temporal(request)
        await update_task(temporal, task, update, argument, f"page:{person.id}:{nonce}")
    except ApiError as error:
        with request.app.state.sessions() as session:
            text = refused_text(error, locale_of(person, session))
        return _error_page(request, person, task.id, text, error.status_code)
    request.app.state.caches.my_tasks.clear()
    return None


def _error_page(
    request: Request, person: Person, task_id: str, text: str, status: int = 409
) -> HTMLResponse:
    return page(request, "message.html", person, status, title_key="task", text=text, back=task_id)


@router.post("/{task_id:path}/done", response_class=HTMLResponse)
async def mark_task_done(
    request: Request,
    task_id: TaskId,
    person: Actor,
    csrf: Csrf = "",
    nonce: Nonce = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Mark the task done, with a comment and evidence files."""
    checked = await _checked(request, person, task_id, csrf)
    if not isinstance(checked, tuple):
        return checked  # type: ignore[no-any-return]
    task, locale = checked
    kept: list[Evidence] = []
    for upload in files or []:
        if not upload.filename:
            continue  # the browser sends an empty part when no file was chosen
        try:
            kept.append(await keep_evidence(request, person, task.id, upload))
        except ApiError as error:
            return _error_page(request, person, task_id, refused_text(error, locale), 422)
    evidence_url = None
    if kept:
        base = str(request.app.state.settings.base_url).rstrip("/")
        evidence_url = f"{task_page(task.id, base)}/evidence/{kept[0].id}"
    completion = CompleteRequest(
        by=person.id, comment=comment.strip() or None, evidence_url=evidence_url
    )
    refused = await _run(request, person, task, TaskWorkflow.complete, completion, nonce)
    if refused:
        return refused
    return _back(task_id, "done")


@router.post("/{task_id:path}/postpone", response_class=HTMLResponse)
async def ask_to_postpone(
    request: Request,
    task_id: TaskId,
    person: Actor,
    csrf: Csrf = "",
    nonce: Nonce = "",
    due: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Ask the officer to move the task to another day, with a reason."""
    checked = await _checked(request, person, task_id, csrf)
    if not isinstance(checked, tuple):
        return checked  # type: ignore[no-any-return]
    task, locale = checked
    try:
        day = date.fromisoformat(due)
    except ValueError:
        text = (
            f"« {due} » n'est pas une date (AAAA-MM-JJ)."
            if locale == "fr"
            else f"“{due}” is not a date (YYYY-MM-DD)."
        )
        return _error_page(request, person, task_id, text, 422)
    with request.app.state.sessions() as session:
        zone = zone_of(session)
    wished = datetime.combine(day, task.due_at.astimezone(zone).time(), tzinfo=zone)
    proposal = RescheduleProposal(by=person.id, due=wished, reason=reason.strip() or None)
    refused = await _run(request, person, task, TaskWorkflow.request_reschedule, proposal, nonce)
    if refused:
        return refused
    return _back(task_id, "postpone")


@router.post("/{task_id:path}/decision", response_class=HTMLResponse)
async def decide_postponement(
    request: Request,
    task_id: TaskId,
    person: Decider,
    csrf: Csrf = "",
    nonce: Nonce = "",
    approve: Annotated[str, Form(max_length=5)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The officer accepts or refuses a postponement asked for."""
    checked = await _checked(request, person, task_id, csrf)
    if not isinstance(checked, tuple):
        return checked  # type: ignore[no-any-return]
    task, _ = checked
    decision = RescheduleDecision(
        by=person.id, approve=approve == "yes", reason=reason.strip() or None
    )
    refused = await _run(request, person, task, TaskWorkflow.decide_reschedule, decision, nonce)
    if refused:
        return refused
    return _back(task_id, "decision")


@router.post("/{task_id:path}/values", response_class=HTMLResponse)
async def enter_values(request: Request, task_id: TaskId, person: Actor) -> Response:
    """Indicator values for a checkpoint, one field per indicator, French decimals accepted."""
    form = await request.form()
    checked = await _checked(request, person, task_id, str(form.get("csrf", "")))
    if not isinstance(checked, tuple):
        return checked  # type: ignore[no-any-return]
    task, locale = checked
    values: dict[str, float] = {}
    for indicator in task.indicators:
        text = str(form.get(f"value-{indicator}", "")).strip().replace("\u202f", "")
        if not text:
            continue
        try:
            values[indicator] = float(text.replace(" ", "").replace(",", "."))
        except ValueError:
            said = (
                f"« {text} » n'est pas un nombre ({indicator})."
                if locale == "fr"
                else f"“{text}” is not a number ({indicator})."
            )
            return _error_page(request, person, task_id, said, 422)
    comment = str(form.get("comment", "")).strip()[:4000] or None
    request_values = ValuesRequest(by=person.id, values=values, comment=comment)
    nonce = str(form.get("nonce", ""))[:64]
    refused = await _run(request, person, task, TaskWorkflow.submit_values, request_values, nonce)
    if refused:
        return refused
    return _back(task_id, "values")
