"""Payloads shared by workflows and activities (pydantic, through the pydantic converter)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.execution import ExecutedPlan, PlanChanges
from domain.model import Organisation, PlanFile
from domain.next_year import Review
from domain.scorecard import ContractGap, IndicatorValuePoint, Scorecard, TaskOutcome
from domain.tasks import Task
from domain.timeline import Notice

TASK_QUEUE = "boucle"


class Phase(StrEnum):
    planning = "planning"
    executing = "executing"
    evaluating = "evaluating"
    improving = "improving"
    closed = "closed"


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"
    missed = "missed"  # its close time passed unfinished


FINAL_STATUSES = (TaskStatus.done, TaskStatus.cancelled, TaskStatus.missed)


def cycle_workflow_id(portfolio: str, year: int) -> str:
    return f"cycle:{portfolio}:{year}"


def task_workflow_id(task_id: str) -> str:
    return f"task:{task_id}"


# --- task workflow -----------------------------------------------------------------------


class TaskInput(BaseModel):
    task: Task
    organisation: Organisation
    holidays: dict[str, str]  # ISO date → name: fixed for the life of the workflow
    officers: tuple[str, ...]
    assignable: tuple[str, ...]  # people who may be assigned (buyers and officers)
    execution_start: datetime
    closes_at: datetime  # read by workflows started before schedules were pinned
    state: TaskState | None = None
    # Set by the cycles of 2026-11-27 (notices sent as local activities without asking a
    # patch); their task workflows still read it. Today's are versioned by workflow.patched.
    sends_locally: bool = False


class TaskState(BaseModel):
    task: Task
    status: TaskStatus = TaskStatus.open
    handled: list[str] = Field(default_factory=list)  # notice keys sent or skipped
    done_at: datetime | None = None
    done_by: str | None = None
    comment: str | None = None
    evidence_url: str | None = None
    values: dict[str, float] = Field(default_factory=dict)
    sequence: int = 0
    proposal: RescheduleProposal | None = None
    # The notices this task sends, computed when it started and again only when it changes:
    # a release that changes a reminder rule never moves the timers of a running year.
    schedule: list[Notice] | None = None
    closes_at: datetime | None = None


class ScheduleRequest(BaseModel):
    """What a task's notices are computed from."""

    task: Task
    organisation: Organisation
    holidays: dict[str, str]
    officers: tuple[str, ...]
    execution_start: datetime


class PinnedSchedule(BaseModel):
    schedule: list[Notice]
    closes_at: datetime


class TaskEnded(BaseModel):
    """A task workflow tells its cycle it has reached its final state."""

    task: str
    status: TaskStatus


class CompleteRequest(BaseModel):
    by: str
    comment: str | None = None
    evidence_url: str | None = None


class ValuesRequest(BaseModel):
    by: str
    values: dict[str, float]
    comment: str | None = None


class RescheduleRequest(BaseModel):
    by: str
    due: datetime
    reason: str | None = None
    quiet: bool = False  # an amendment tells people itself (events still send their .ics)


class RescheduleProposal(BaseModel):
    """A buyer asks to move a task; the officer decides."""

    by: str
    due: datetime
    reason: str | None = None


class RescheduleDecision(BaseModel):
    by: str
    approve: bool
    reason: str | None = None


class ReassignRequest(BaseModel):
    by: str
    assignees: list[str]
    reason: str | None = None
    quiet: bool = False


class CancelRequest(BaseModel):
    by: str
    reason: str | None = None
    quiet: bool = False


class TaskView(BaseModel):
    id: str
    status: TaskStatus
    due: datetime
    assignees: tuple[str, ...]
    done_at: datetime | None
    done_by: str | None
    values: dict[str, float]
    sequence: int
    next_notice: datetime | None
    sent: int
    proposal: RescheduleProposal | None = None
    closes_at: datetime | None = None


# --- notifications -----------------------------------------------------------------------


class TaskNotice(BaseModel):
    """Ask the notification activity to tell people about a task."""

    key: str
    message: str  # a notifications.messages.MessageType value
    task: Task
    to: tuple[str, ...]
    scheduled_at: datetime
    sequence: int = 0
    change: str | None = None
    overdue_days: int = 0
    proposal: RescheduleProposal | None = None


class PlanNotice(BaseModel):
    key: str
    message: str
    portfolio: str
    year: int
    to: tuple[str, ...]
    scheduled_at: datetime
    facts: dict[str, Any] = Field(default_factory=dict)


# The error type of a message that cannot be written (a template or context bug): retrying
# cannot help, so it is not retried.
MESSAGE_BROKEN = "MessageBroken"


def mail_queue(task_queue: str) -> str:
    """The task queue of a workflow queue's sends, limited to the relay's quota."""
    return f"{task_queue}-mail"


class SendReport(BaseModel):
    sent: int = 0
    skipped: int = 0
    failed: int = 0


# --- projections -------------------------------------------------------------------------


class TaskRow(BaseModel):
    task: Task
    cycle_id: str
    status: TaskStatus = TaskStatus.open
    done_at: datetime | None = None
    done_by: str | None = None
    comment: str | None = None
    evidence_url: str | None = None
    sequence: int = 0
    closes_at: datetime | None = None
    schedule: list[Notice] | None = None  # None: leave the stored one as it is


class TaskChange(BaseModel):
    """An amendment reaching one started task, as the update its workflow validates."""

    task_id: str
    update_id: str  # a retried activity runs the update once
    by: str
    reason: str | None = None
    assignees: list[str] | None = None
    due: datetime | None = None
    cancel: bool = False


class TaskChangeOutcome(BaseModel):
    task_id: str
    applied: bool
    reason: str | None = None  # why it was skipped: the task had ended, or was refused


class CycleRow(BaseModel):
    portfolio: str
    year: int
    phase: Phase
    plan_version: int | None = None
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    approved_by: str | None = None
    evaluate_on: datetime | None = None


class ValuesRecord(BaseModel):
    portfolio: str
    period: str
    task_id: str | None
    author: str
    values: dict[str, float]
    comment: str | None = None
    recorded_at: datetime


class EvaluationFacts(BaseModel):
    values: list[IndicatorValuePoint]
    outcomes: list[TaskOutcome]
    earlier: list[IndicatorValuePoint] = Field(default_factory=list)  # earlier years
    # The portfolio's DECP figures (`decp.*`: percent of the year's contracts), when stored.
    contract_shares: dict[str, float | None] = Field(default_factory=dict)
    art35_gaps: list[ContractGap] = Field(default_factory=list)  # the portfolio's contracts


class DraftRecord(BaseModel):
    portfolio: str
    year: int
    document: dict[str, Any]
    created_by: str | None = None


# --- cycle workflow ----------------------------------------------------------------------


class Amendment(PlanChanges):
    """Changes to a running plan, by the officer; each part may be empty."""

    by: str
    reason: str | None = None


class PlanRevision(BaseModel):
    """A new version of the draft, imported while the cycle waits in planning."""

    by: str | None
    document: PlanFile
    version: int


class ApprovalRequest(BaseModel):
    by: str


class SubmitRequest(BaseModel):
    by: str


class PlanReturn(BaseModel):
    """The direction sends the submitted plan back to the officer, saying what to revise."""

    by: str
    comment: str


class ReviewRequest(BaseModel):
    by: str
    lessons: str
    decisions: list[str] = Field(default_factory=list)


class CycleState(BaseModel):
    opened_at: datetime | None = None
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    approved_at: datetime | None = None
    approved_by: str | None = None
    execution_start: datetime | None = None
    started: list[str] = Field(default_factory=list)
    handled: list[str] = Field(default_factory=list)
    cancelled_items: list[str] = Field(default_factory=list)
    scorecard: Scorecard | None = None
    review: Review | None = None
    values_requested_at: datetime | None = None
    next_plan_version: int | None = None
    # Since the engine of 2026-12: the plan with its amendments, the tasks that have ended,
    # whether every task row is in the store, and how many review reminders went out.
    executed: ExecutedPlan | None = None
    ended: dict[str, TaskStatus] = Field(default_factory=dict)
    projected: bool = False
    review_reminders: int = 0
    review_reminded_at: datetime | None = None
    invited: list[str] = Field(default_factory=list)  # events the cycle has invited people to
    # The direction's last return of the plan (who, when, why) and how many there were.
    returned_at: datetime | None = None
    returned_by: str | None = None
    return_comment: str | None = None
    returns: int = 0


class CycleInput(BaseModel):
    portfolio: str
    year: int
    document: PlanFile  # the organisation and exactly this plan
    holidays: dict[str, str]  # ISO date → name over the cycle's years (see holiday_table)
    plan_version: int
    phase: Phase = Phase.planning
    state: CycleState = Field(default_factory=CycleState)
    search_attributes: bool = True  # the time-skipping test server has none


class CycleView(BaseModel):
    portfolio: str
    year: int
    phase: Phase
    plan_version: int
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    tasks_started: int
    tasks_planned: int
    review_recorded: bool
    tasks_ended: int = 0
    launched_until: datetime | None = None  # every task needing its workflow by then has one
    returned_at: datetime | None = None  # the direction's last return of the plan, if any
    returned_by: str | None = None
    return_comment: str | None = None


TaskInput.model_rebuild()


class ActivityName(StrEnum):
    """Activities are called by name so workflow modules never import their dependencies."""

    send_task_notice = "send_task_notice"
    send_task_notices = "send_task_notices"
    send_plan_notice = "send_plan_notice"
    send_digests = "send_digests"
    project_cycle = "project_cycle"
    project_tasks = "project_tasks"
    record_values = "record_values"
    evaluation_facts = "evaluation_facts"
    save_scorecard = "save_scorecard"
    save_review = "save_review"
    save_draft = "save_draft"
    holiday_table = "holiday_table"
    project_planned_tasks = "project_planned_tasks"
    start_tasks = "start_tasks"
    change_tasks = "change_tasks"
    ended_tasks = "ended_tasks"
    task_schedule = "task_schedule"
    report_stuck_workflows = "report_stuck_workflows"
    send_sign_in = "send_sign_in"


class Refusal(StrEnum):
    """Why an update was refused; the API maps each to an HTTP status."""

    forbidden = "Forbidden"  # 403
    conflict = "Conflict"  # 409: not possible in the current state
    invalid = "Invalid"  # 422: the request itself is wrong


# The activities that send mail: the mail queue's worker runs these, within the relay's quota.
MAIL_ACTIVITIES = frozenset(
    {
        ActivityName.send_task_notice,
        ActivityName.send_task_notices,
        ActivityName.send_plan_notice,
        ActivityName.send_digests,
        ActivityName.report_stuck_workflows,
        ActivityName.send_sign_in,
    }
)
