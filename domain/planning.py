"""The planning phase's notices: the officer until the plan is submitted, then the direction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from domain.calendar import WorkingCalendar
from domain.model import PlanFile, YearPlan
from domain.simulation import execution_start

SUBMIT_REMINDERS = (21, 14, 7, 3)  # days before the approval deadline
APPROVAL_REMINDERS = (3, 0)
AFTER_DEADLINE = (3, 7, 14)


class PlanningNoticeType(StrEnum):
    submit_request = "plan_submit_request"
    approval_request = "plan_approval_request"


class PlanningNotice(NamedTuple):
    at: datetime
    type: PlanningNoticeType
    to: tuple[str, ...]
    round: int = 0  # how many times the plan had been sent back when it was due

    @property
    def key(self) -> str:
        # A plan never sent back keeps the keys cycles recorded before returns existed.
        suffix = f"|round-{self.round}" if self.round else ""
        return f"{self.type.value}|{self.at.isoformat()}{suffix}"


def approval_deadline(
    document: PlanFile, plan: YearPlan, calendar: WorkingCalendar | None = None
) -> datetime:
    """When the plan should be approved by: `approve_by`, by default early December before."""
    return execution_start(document, plan, calendar)


def planning_notices(
    document: PlanFile,
    plan: YearPlan,
    opened_at: datetime,
    submitted_at: datetime | None,
    calendar: WorkingCalendar | None = None,
    returned_at: datetime | None = None,
    returns: int = 0,
) -> list[PlanningNotice]:
    """Reminders to submit (officers) and to approve (direction), sorted by time.

    Submission reminders stop at submission; the direction is asked at submission and reminded
    before, on and after the deadline. Nothing is sent before the cycle opened. A plan the
    direction sent back (`returns` times, the last at `returned_at`) is a draft again: the
    officer is reminded from then on, and each resubmission asks the direction anew.
    """
    calendar = calendar or WorkingCalendar.of(document.organisation)
    send_time = document.policy_for_defaults().send_time
    deadline = approval_deadline(document, plan, calendar)
    deadline_day = deadline.astimezone(calendar.zone).date()

    def at(day: date, earlier: bool) -> datetime:
        moved = calendar.previous_working_day(day) if earlier else calendar.next_working_day(day)
        return calendar.local(moved, send_time)

    notices: list[PlanningNotice] = []
    officers, directors = document.officers, document.directors
    if submitted_at is None:
        since = max(opened_at, returned_at) if returned_at else opened_at
        moments = [at(deadline_day - timedelta(days=n), True) for n in SUBMIT_REMINDERS]
        moments += [at(deadline_day + timedelta(days=n), False) for n in AFTER_DEADLINE]
        notices += [
            PlanningNotice(moment, PlanningNoticeType.submit_request, officers, returns)
            for moment in moments
            if moment >= since
        ]
    else:
        moments = [submitted_at]
        moments += [at(deadline_day - timedelta(days=n), True) for n in APPROVAL_REMINDERS]
        moments += [at(deadline_day + timedelta(days=n), False) for n in AFTER_DEADLINE]
        notices += [
            PlanningNotice(moment, PlanningNoticeType.approval_request, directors, returns)
            for moment in moments
            if moment >= submitted_at
        ]
    unique = {(notice.at, notice.type): notice for notice in notices if notice.to}
    return sorted(unique.values())
