"""Tasks: what people do with them goes to the task's workflow as a validated update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, Field
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentPerson, SessionDep, TemporalDep
from api.errors import PROBLEM_RESPONSES
from api.models import CompleteTask, TaskPublic
from api.routes.cycles import task_public
from store.tables import Task
from workflows.task import TaskWorkflow
from workflows.types import (
    CompleteRequest,
    Refusal,
    RescheduleDecision,
    RescheduleProposal,
    task_workflow_id,
)

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=PROBLEM_RESPONSES)

REFUSAL_STATUS = {
    Refusal.forbidden.value: 403,
    Refusal.conflict.value: 409,
    Refusal.invalid.value: 422,
}


def refusal(error: WorkflowUpdateFailedError) -> HTTPException:
    cause = error.cause
    kind = getattr(cause, "type", None) or ""
    return HTTPException(REFUSAL_STATUS.get(kind, 409), str(getattr(cause, "message", cause)))


@router.post("/{task_id:path}/complete", response_model=TaskPublic)
async def complete_task(
    task_id: str,
    body: CompleteTask,
    session: SessionDep,
    person: CurrentPerson,
    temporal: TemporalDep,
) -> TaskPublic:
    request = CompleteRequest(
        by=person.id,
        comment=body.comment,
        evidence_url=str(body.evidence_url) if body.evidence_url else None,
    )
    return await _act(session, temporal, task_id, TaskWorkflow.complete, request)


class RescheduleRequestBody(BaseModel):
    due: AwareDatetime
    reason: str | None = Field(default=None, max_length=2000)


class RescheduleDecisionBody(BaseModel):
    approve: bool
    reason: str | None = Field(default=None, max_length=2000)


async def _act(
    session: SessionDep, temporal: TemporalDep, task_id: str, update: Any, argument: Any
) -> TaskPublic:
    """Run an update on a task's workflow and return the task as the store now has it.

    A refusal becomes 403, 409 or 422 with its reason; a closed task, 409.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise HTTPException(404, f"no task {task_id!r}")
    handle = temporal.get_workflow_handle(task_workflow_id(task_id))
    try:
        await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as error:
        raise refusal(error) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(409, "this task is closed: it can no longer change") from None
        raise
    session.refresh(task)
    return task_public(task, datetime.now(UTC))


@router.post("/{task_id:path}/reschedule-request", response_model=TaskPublic)
async def request_reschedule(
    task_id: str,
    body: RescheduleRequestBody,
    session: SessionDep,
    person: CurrentPerson,
    temporal: TemporalDep,
) -> TaskPublic:
    """An assignee asks to move the task; the officers are told and decide."""
    proposal = RescheduleProposal(by=person.id, due=body.due, reason=body.reason)
    return await _act(session, temporal, task_id, TaskWorkflow.request_reschedule, proposal)


@router.post("/{task_id:path}/reschedule-decision", response_model=TaskPublic)
async def decide_reschedule(
    task_id: str,
    body: RescheduleDecisionBody,
    session: SessionDep,
    person: CurrentPerson,
    temporal: TemporalDep,
) -> TaskPublic:
    """The officer approves (the task moves, its reminders follow) or refuses."""
    decision = RescheduleDecision(by=person.id, approve=body.approve, reason=body.reason)
    return await _act(session, temporal, task_id, TaskWorkflow.decide_reschedule, decision)
