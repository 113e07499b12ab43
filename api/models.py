"""Response and request models, separate from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, FiniteFloat, HttpUrl

from domain.model import EMAIL_PATTERN, FreeText, Role, SingleLine


class Health(BaseModel):
    status: str
    database: bool
    temporal: bool


class CycleSummary(BaseModel):
    id: str
    portfolio: str
    portfolio_name: str | None
    year: int
    phase: str
    plan_version: int | None
    approved_at: datetime | None
    tasks_total: int
    tasks_done: int
    tasks_open: int
    tasks_overdue: int
    tasks_cancelled: int
    next_due: datetime | None


class TaskPublic(BaseModel):
    id: str
    portfolio: str
    year: int
    item: str
    kind: str
    title: str
    due: datetime
    original: datetime
    assignees: list[str]
    attendees: list[str]
    status: str
    overdue: bool
    done_at: datetime | None
    done_by: str | None
    comment: str | None
    evidence_url: str | None


class CycleDetail(CycleSummary):
    submitted_at: datetime | None
    approved_by: str | None
    evaluate_on: datetime | None
    scorecard: dict[str, Any] | None
    review: dict[str, Any] | None
    tasks: list[TaskPublic]


class CompleteTask(BaseModel):
    comment: FreeText | None = Field(default=None, max_length=4000)
    evidence_url: HttpUrl | None = None


class PersonPublic(BaseModel):
    id: str
    name: str
    email: str
    role: str
    locale: str | None
    digest_only: bool
    active: bool


class PersonWrite(BaseModel):
    name: SingleLine = Field(min_length=1, max_length=200)
    email: Annotated[SingleLine, Field(pattern=EMAIL_PATTERN.pattern, max_length=320)]
    role: Role = Field(description="Changed by an admin only, never one's own.")
    locale: Literal["fr", "en"] | None = None
    digest_only: bool = False
    active: bool | None = Field(
        default=None,
        description="Changed by an admin only, never one's own; left out, it stays as it is "
        "(a new person starts active).",
    )


class PersonProposalPublic(BaseModel):
    """What a plan import listed about a person and may not apply itself."""

    id: int
    person_id: str
    current_role: str | None
    record: dict[str, Any]
    source: str
    proposed_at: datetime | None
    settled_by: str | None
    settled_at: datetime | None
    outcome: str | None


class PortfolioPublic(BaseModel):
    id: str
    name: str
    owner_id: str | None
    buyers: list[str]


class IndicatorPublic(BaseModel):
    id: str
    name: str
    unit: str
    direction: str
    baseline: float | None
    target: float | None
    floor: float | None
    portfolios: list[str]
    source: str | None
    aggregation: str
    scope: str
    computed: str | None


class IndicatorValuePublic(BaseModel):
    indicator_id: str
    portfolio_id: str
    period: str
    value: float
    author_id: str | None
    comment: str | None
    source: str | None
    task_id: str | None
    recorded_at: datetime | None


class PlanVersionSummary(BaseModel):
    portfolio: str
    year: int
    version: int
    status: str
    origin: str
    digest: str
    created_by: str | None
    created_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None


class PlanVersionDetail(PlanVersionSummary):
    document: dict[str, Any]


class LocatedError(BaseModel):
    """One plan error, located as the command line reports it."""

    line: int | None
    path: str
    message: str
    text: str


class PlanCheck(BaseModel):
    valid: bool
    plans: list[str]
    occurrences: int
    errors: list[LocatedError]


class ImportedPlanPublic(BaseModel):
    portfolio: str
    year: int
    version: int
    new_version: bool
    cycle_started: bool
    cycle_revised: bool


class CycleStatus(BaseModel):
    """A running cycle as its workflow answers after a change."""

    portfolio: str
    year: int
    phase: str
    plan_version: int
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    tasks_started: int
    tasks_planned: int
    review_recorded: bool
    returned_at: datetime | None = Field(
        default=None, description="When the direction last sent the plan back, if it did."
    )
    returned_by: str | None = None
    return_comment: str | None = Field(
        default=None, description="What the direction asked the officer to revise."
    )


class PlanReturnBody(BaseModel):
    comment: FreeText = Field(
        min_length=1, max_length=4000, description="What the officer should revise."
    )


class AmendmentBody(BaseModel):
    add: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    cancel_items: list[SingleLine] = Field(default_factory=list, max_length=200)
    reassign_items: dict[SingleLine, list[SingleLine]] = Field(default_factory=dict)
    reschedule_tasks: dict[SingleLine, AwareDatetime] = Field(
        default_factory=dict, description="Occurrences (task ids) moved to a new due time."
    )
    cancel_tasks: list[SingleLine] = Field(
        default_factory=list, max_length=500, description="Occurrences (task ids) cancelled."
    )
    reason: FreeText | None = Field(default=None, max_length=2000)


class ReviewBody(BaseModel):
    lessons: FreeText = Field(min_length=1, max_length=20000)
    # Each decision becomes the title of an action in next year's plan: one line.
    decisions: list[SingleLine] = Field(default_factory=list, max_length=100)


class TimelineEntry(BaseModel):
    at: datetime
    type: str
    task: str | None
    to: list[str]
    state: Literal["sent", "failed", "pending", "planned"]


class ValuesBody(BaseModel):
    values: dict[SingleLine, FiniteFloat] = Field(min_length=1, max_length=50)
    comment: FreeText | None = Field(default=None, max_length=4000)


class EvidencePublic(BaseModel):
    id: str
    task_id: str
    filename: str
    media_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime | None
    url: str


class AuditPublic(BaseModel):
    id: int
    at: datetime
    person_id: str | None
    token_id: int | None
    method: str
    path: str
    action: str
    target: str | None
    status: int


class TokenPublic(BaseModel):
    id: int
    person_id: str
    label: str | None
    created_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(BaseModel):
    person_id: SingleLine = Field(min_length=1, max_length=64)
    label: SingleLine | None = Field(default=None, max_length=200)
    expires_at: AwareDatetime | None = None


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once; only its digest is kept.")


class Me(PersonPublic):
    portfolios: list[str]
