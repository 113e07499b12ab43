"""Tasks: what people do with them goes to the task's workflow as a validated update."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import AwareDatetime, BaseModel, Field
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile as StarletteUpload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.access import Officer, TaskActor, TaskReader, require_concerns
from api.deps import SessionDep, get_temporal
from api.errors import ApiError, responses
from api.models import CompleteTask, EvidencePublic, TaskPublic, ValuesBody
from api.routes.cycles import task_public
from api.updates import once, refusal
from domain.model import FreeText
from services.plans import cycle_handle
from store.tables import Evidence, Person, Task
from workflows.cycle import PortfolioCycleWorkflow
from workflows.task import TaskWorkflow
from workflows.types import (
    CompleteRequest,
    RescheduleDecision,
    RescheduleProposal,
    ValuesRequest,
    task_workflow_id,
)

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=responses(401, 403, 404))
TaskId = Annotated[str, Path(max_length=200)]

WRITE_RESPONSES = responses(409, 422, 503)

LARGEST_EVIDENCE = 10 * 1024 * 1024
# media type: (extensions, leading bytes that prove it, or None for text)
EVIDENCE_TYPES: dict[str, tuple[tuple[str, ...], tuple[bytes, ...] | None]] = {
    "application/pdf": ((".pdf",), (b"%PDF-",)),
    "image/png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "application/vnd.oasis.opendocument.text": ((".odt",), (b"PK\x03\x04",)),
    "application/vnd.oasis.opendocument.spreadsheet": ((".ods",), (b"PK\x03\x04",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        (".docx",),
        (b"PK\x03\x04",),
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        (".xlsx",),
        (b"PK\x03\x04",),
    ),
    "text/csv": ((".csv",), None),
    "text/plain": ((".txt",), None),
}


def stored_task(session: Session, person: Person, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise ApiError(404, "no_task", task=task_id)
    require_concerns(session, person, task)
    return task


async def _act(
    request: Request,
    session: Session,
    person: Person,
    task_id: str,
    update: Any,
    argument: Any,
) -> TaskPublic:
    """Run an update on a task's workflow, once for this request, and return the task as the
    store now has it.

    Who may act is checked before the workflow engine is reached. A refusal becomes 403, 409
    or 422 with its reason; a task whose workflow has not started yet (its first notice is
    weeks away) is started by its cycle first; a task that has ended, 409.
    """
    task = stored_task(session, person, task_id)
    temporal = await get_temporal(request)

    async def act(update_id: str) -> TaskPublic:
        await update_task(temporal, task, update, argument, update_id)
        request.app.state.caches.my_tasks.clear()
        await run_in_threadpool(session.refresh, task)
        return task_public(task, datetime.now(UTC))

    return await once(request, person, TaskPublic, act)


async def update_task(
    temporal: Client, task: Task, update: Any, argument: Any, update_id: str
) -> None:
    handle = temporal.get_workflow_handle(task_workflow_id(task.id))
    for attempt in range(2):
        try:
            await handle.execute_update(update, argument, id=update_id)
            return
        except WorkflowUpdateFailedError as error:
            raise refusal(error) from None
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise ApiError(503, "temporal_down") from None
            if attempt or task.status != "open":
                raise ApiError(409, "task_closed") from None
        # No workflow yet: its cycle starts it (it decides what the task's workflow runs).
        try:
            running = await cycle_handle(temporal, task.portfolio, task.year).execute_update(
                PortfolioCycleWorkflow.start_task, task.id, id=f"start:{task.id}"
            )
        except WorkflowUpdateFailedError as error:
            raise refusal(error) from None
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise ApiError(503, "temporal_down") from None
            raise ApiError(409, "task_closed") from None
        if not running:
            raise ApiError(409, "task_closed")


class RescheduleRequestBody(BaseModel):
    due: AwareDatetime
    reason: FreeText | None = Field(default=None, max_length=2000)


class RescheduleDecisionBody(BaseModel):
    approve: bool
    reason: FreeText | None = Field(default=None, max_length=2000)


@router.get(
    "/{task_id:path}/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def read_evidence(
    task_id: TaskId,
    evidence_id: Annotated[str, Path(pattern="^[0-9a-f]{64}$")],
    request: Request,
    session: SessionDep,
    person: TaskReader,
) -> FileResponse:
    """A file attached to a task, to whoever may read the task."""
    stored_task(session, person, task_id)
    row = session.get(Evidence, (evidence_id, task_id))
    path = evidence_folder(request) / evidence_id
    if row is None or not path.exists():
        raise ApiError(404, "no_evidence")
    return FileResponse(path, media_type=row.media_type, filename=row.filename)


@router.get("/{task_id:path}/evidence", response_model=list[EvidencePublic])
def read_evidence_list(
    task_id: TaskId, session: SessionDep, person: TaskReader
) -> list[EvidencePublic]:
    stored_task(session, person, task_id)
    rows = session.exec(
        select(Evidence).where(Evidence.task_id == task_id).order_by(col(Evidence.uploaded_at))
    )
    return [_evidence(row) for row in rows]


@router.get("/{task_id:path}", response_model=TaskPublic)
def read_task(task_id: TaskId, session: SessionDep, person: TaskReader) -> TaskPublic:
    """One task (a buyer: one of theirs or of their portfolios)."""
    return task_public(stored_task(session, person, task_id), datetime.now(UTC))


@router.post("/{task_id:path}/complete", response_model=TaskPublic, responses=WRITE_RESPONSES)
async def complete_task(
    task_id: TaskId,
    body: CompleteTask,
    session: SessionDep,
    person: TaskActor,
    request: Request,
) -> TaskPublic:
    """Mark a task done, with a comment and an evidence link (an assignee or the officer)."""
    completion = CompleteRequest(
        by=person.id,
        comment=body.comment,
        evidence_url=str(body.evidence_url) if body.evidence_url else None,
    )
    return await _act(request, session, person, task_id, TaskWorkflow.complete, completion)


@router.post("/{task_id:path}/values", response_model=TaskPublic, responses=WRITE_RESPONSES)
async def submit_values(
    task_id: TaskId,
    body: ValuesBody,
    session: SessionDep,
    person: TaskActor,
    request: Request,
) -> TaskPublic:
    """Indicator values for a checkpoint; it completes once every listed indicator has one."""
    values = ValuesRequest(by=person.id, values=body.values, comment=body.comment)
    return await _act(request, session, person, task_id, TaskWorkflow.submit_values, values)


@router.post(
    "/{task_id:path}/reschedule-request", response_model=TaskPublic, responses=WRITE_RESPONSES
)
async def request_reschedule(
    task_id: TaskId,
    body: RescheduleRequestBody,
    session: SessionDep,
    person: TaskActor,
    request: Request,
) -> TaskPublic:
    """An assignee asks to move the task; the officers are told and decide."""
    proposal = RescheduleProposal(by=person.id, due=body.due, reason=body.reason)
    return await _act(request, session, person, task_id, TaskWorkflow.request_reschedule, proposal)


@router.post(
    "/{task_id:path}/reschedule-decision", response_model=TaskPublic, responses=WRITE_RESPONSES
)
async def decide_reschedule(
    task_id: TaskId,
    body: RescheduleDecisionBody,
    session: SessionDep,
    person: Officer,
    request: Request,
) -> TaskPublic:
    """The officer approves (the task moves, its reminders follow) or refuses."""
    decision = RescheduleDecision(by=person.id, approve=body.approve, reason=body.reason)
    return await _act(request, session, person, task_id, TaskWorkflow.decide_reschedule, decision)


def evidence_folder(request: Request) -> FilePath:
    folder: FilePath = request.app.state.settings.data_dir / "evidence"
    return folder


def _evidence(row: Evidence) -> EvidencePublic:
    return EvidencePublic(**row.model_dump(), url=f"/tasks/{row.task_id}/evidence/{row.id}")


@router.post(
    "/{task_id:path}/evidence",
    response_model=EvidencePublic,
    status_code=201,
    responses=responses(413, 415, 422),
)
async def upload_evidence(
    task_id: TaskId,
    file: UploadFile,
    request: Request,
    session: SessionDep,
    person: TaskActor,
) -> EvidencePublic:
    """Attach a file (PDF, image, office document, CSV; 10 MB at most) to a task.

    Its address can then be given as `evidence_url` when completing the task.
    """
    stored_task(session, person, task_id)
    return _evidence(await keep_evidence(request, person, task_id, file))


async def keep_evidence(
    request: Request, person: Person, task_id: str, file: StarletteUpload
) -> Evidence:
    """Check and keep one evidence file for a task; 413 or 415 when it cannot be one."""
    name = FilePath(file.filename or "piece").name[:200] or "piece"
    media_type = (file.content_type or "").split(";")[0].strip().lower()
    accepted = ", ".join(sorted(EVIDENCE_TYPES))
    if media_type not in EVIDENCE_TYPES:
        raise ApiError(415, "evidence_type", accepted=accepted)
    extensions, signatures = EVIDENCE_TYPES[media_type]
    content = await file.read(LARGEST_EVIDENCE + 1)
    if len(content) > LARGEST_EVIDENCE:
        raise ApiError(413, "too_large", limit=LARGEST_EVIDENCE)
    looks_right = (
        any(content.startswith(signature) for signature in signatures)
        if signatures
        else _is_text(content)
    )
    if not name.lower().endswith(extensions) or not looks_right:
        raise ApiError(415, "evidence_type", accepted=accepted)
    digest = hashlib.sha256(content).hexdigest()
    folder = evidence_folder(request)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        partial = folder / f".{digest}.part"
        partial.write_bytes(content)
        partial.replace(target)  # never a half-written file under its final name
    row = Evidence(
        id=digest,
        task_id=task_id,
        filename=name,
        media_type=media_type,
        size=len(content),
        uploaded_by=person.id,
        uploaded_at=datetime.now(UTC),
    )

    def save() -> Evidence:
        with request.app.state.sessions() as session:
            kept = session.get(Evidence, (digest, task_id)) or row  # the same file twice: one row
            session.add(kept)
            session.commit()
            session.refresh(kept)
            return kept

    return await run_in_threadpool(save)


def _is_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in content
