"""What the cycle's update validators check, shared by today's cycle and the legacy one."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.documents import as_data, validate_data
    from domain.model import TEXT_CONTROL_CHARACTER, PlanFile, Role
    from domain.tasks import plan_tasks
    from workflows.common import refuse
    from workflows.types import (
        ApprovalRequest,
        CycleState,
        Phase,
        PlanReturn,
        PlanRevision,
        Refusal,
        ReviewRequest,
        SubmitRequest,
    )


def _plan_valid(document: PlanFile) -> None:
    _, errors = validate_data(as_data(document))
    if errors:
        detail = "; ".join(f"{e.path}: {e.message('en')}" for e in errors[:5])
        raise refuse(
            Refusal.invalid, "plan_invalid", f"the plan is not valid: {detail}", errors=detail
        )


def check_submit(
    phase: Phase, state: CycleState, document: PlanFile, request: SubmitRequest
) -> None:
    if phase != Phase.planning or state.submitted_at is not None:
        raise refuse(
            Refusal.conflict, "not_a_draft", "the plan is not a draft waiting for submission"
        )
    if request.by not in document.officers:
        raise refuse(
            Refusal.forbidden, "officer_submits", "only the Quality & SD officer submits the plan"
        )


def check_revise(
    phase: Phase, state: CycleState, portfolio: str, year: int, revision: PlanRevision
) -> None:
    if phase != Phase.planning or state.approved_at is not None:
        raise refuse(
            Refusal.conflict,
            "not_replaceable",
            "only a plan waiting for approval can be replaced",
        )
    plans = revision.document.plans
    if len(plans) != 1 or (plans[0].portfolio, plans[0].year) != (portfolio, year):
        raise refuse(
            Refusal.invalid,
            "revision_elsewhere",
            f"the revision is not this portfolio's plan for {year}",
            year=year,
        )
    _plan_valid(revision.document)


def check_approve(
    phase: Phase,
    state: CycleState,
    document: PlanFile,
    calendar: WorkingCalendar,
    request: ApprovalRequest,
) -> None:
    if phase != Phase.planning or state.approved_at is not None:
        raise refuse(
            Refusal.conflict, "not_awaiting_approval", "the plan is not waiting for approval"
        )
    person = document.people_by_id.get(request.by)
    if person is None or person.role != Role.direction:
        raise refuse(Refusal.forbidden, "direction_approves", "only the direction approves a plan")
    if state.submitted_at is None:
        raise refuse(
            Refusal.conflict, "not_submitted", "the officer has not submitted the plan yet"
        )
    _plan_valid(document)
    if not plan_tasks(document, document.plans[0], calendar):
        raise refuse(Refusal.invalid, "plan_empty", "the plan has no occurrence to run")


RETURN_COMMENT_LIMIT = 4000  # characters: what the officer reads in an email


def return_comment(request: PlanReturn) -> str:
    """The comment as it is kept: line endings made plain, blank lines around it left out."""
    return request.comment.replace("\r\n", "\n").strip()


def check_send_back(
    phase: Phase, state: CycleState, document: PlanFile, request: PlanReturn
) -> None:
    if phase != Phase.planning or state.approved_at is not None:
        raise refuse(
            Refusal.conflict, "not_awaiting_approval", "the plan is not waiting for approval"
        )
    person = document.people_by_id.get(request.by)
    if person is None or person.role != Role.direction:
        raise refuse(
            Refusal.forbidden, "direction_sends_back", "only the direction sends a plan back"
        )
    if state.submitted_at is None:
        raise refuse(
            Refusal.conflict, "not_submitted", "the officer has not submitted the plan yet"
        )
    comment = return_comment(request)
    if not comment:
        raise refuse(
            Refusal.invalid,
            "return_comment_missing",
            "say what the officer should revise: a plan is sent back with a comment",
        )
    if len(comment) > RETURN_COMMENT_LIMIT:
        raise refuse(
            Refusal.invalid,
            "return_comment_too_long",
            f"the comment is too long: at most {RETURN_COMMENT_LIMIT} characters",
            limit=RETURN_COMMENT_LIMIT,
        )
    if found := TEXT_CONTROL_CHARACTER.search(comment):
        character = f"U+{ord(found.group()):04X}"
        raise refuse(
            Refusal.invalid,
            "return_comment_control",
            f"control character {character} is not allowed in the comment",
            character=character,
        )


def check_review(
    phase: Phase, state: CycleState, document: PlanFile, request: ReviewRequest
) -> None:
    if state.review is not None:  # said first: once recorded, the cycle has moved on
        raise refuse(Refusal.conflict, "review_recorded", "the review is already recorded")
    if phase != Phase.evaluating or state.scorecard is None:
        raise refuse(
            Refusal.conflict,
            "review_not_open",
            "the year-end review opens with the evaluation",
        )
    if request.by not in document.officers:
        raise refuse(
            Refusal.forbidden,
            "officer_reviews",
            "only the Quality & SD officer records the review",
        )
    if not request.lessons.strip():
        raise refuse(Refusal.invalid, "review_empty", "the review needs its lessons learned")
