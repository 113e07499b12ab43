"""The notification timeline of a task: the single source of truth for reminder rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from domain.calendar import WorkingCalendar
from domain.durations import parse_duration
from domain.model import Kind
from domain.tasks import Task


class NoticeType(StrEnum):
    invitation = "invitation"
    reminder = "reminder"
    due = "due"
    overdue = "overdue"
    escalation = "escalation"
    checkpoint = "checkpoint"


_ORDER = {kind: index for index, kind in enumerate(NoticeType)}


class Notice(NamedTuple):
    """One message to send about a task, at an instant, to some people."""

    at: datetime
    type: NoticeType
    task: str
    to: tuple[str, ...]

    @property
    def key(self) -> str:
        """Idempotency key: the same task, type and instant is the same message."""
        return f"{self.task}|{self.type.value}|{self.at.astimezone(UTC).isoformat()}"


def _before(task: Task, due: datetime, offset: str, calendar: WorkingCalendar) -> datetime:
    duration = parse_duration(offset)
    if duration.has_time:
        return due - duration.total
    day = calendar.previous_working_day(due.date() - timedelta(days=duration.days))
    return calendar.local(day, task.policy.send_time)


def _after(task: Task, due: datetime, offset: str, calendar: WorkingCalendar) -> datetime:
    duration = parse_duration(offset)
    if duration.has_time:
        return due + duration.total
    day = calendar.next_working_day(due.date() + timedelta(days=duration.days))
    return calendar.local(day, task.policy.send_time)


def task_timeline(
    task: Task,
    calendar: WorkingCalendar,
    officers: tuple[str, ...],
    execution_start: datetime | None = None,
) -> list[Notice]:
    """Every notice a task would send if nobody ever completed it, sorted by time.

    Notices before `execution_start` are dropped: they could not have been sent. An event's
    invitation goes out at `execution_start` (the moment the cycle starts executing).
    """
    policy = task.policy
    due = task.due.astimezone(calendar.zone)
    recipients = task.people if task.is_event else task.assignees
    notices: dict[tuple[datetime, NoticeType], Notice] = {}

    def add(at: datetime, kind: NoticeType, to: tuple[str, ...]) -> None:
        if to and (execution_start is None or at >= execution_start):
            notices.setdefault((at, kind), Notice(at, kind, task.id, to))

    if task.is_event and execution_start is not None and execution_start < due:
        add(execution_start, NoticeType.invitation, task.people)
    for offset in policy.before:
        at = _before(task, due, offset, calendar)
        if at < due:
            add(at, NoticeType.reminder, recipients)
    if policy.on_due and due.time() >= policy.send_time:
        add(calendar.local(due.date(), policy.send_time), NoticeType.due, recipients)
    if task.kind == Kind.indicator_checkpoint:
        _open_with_request(task, notices, calendar, execution_start)
    if not task.is_event:
        for offset in policy.overdue:
            add(_after(task, due, offset, calendar), NoticeType.overdue, task.assignees)
        if policy.escalate_after:
            add(_after(task, due, policy.escalate_after, calendar), NoticeType.escalation, officers)
    return sorted(notices.values(), key=lambda notice: (notice.at, _ORDER[notice.type]))


def _open_with_request(
    task: Task,
    notices: dict[tuple[datetime, NoticeType], Notice],
    calendar: WorkingCalendar,
    execution_start: datetime | None,
) -> None:
    """Make a checkpoint's first notice the request for values (or add one on the due day)."""
    due = task.due.astimezone(calendar.zone)
    upcoming = sorted(key for key in notices if key[1] in (NoticeType.reminder, NoticeType.due))
    if upcoming:
        first = notices.pop(upcoming[0])
        at = first.at
    else:
        at = min(calendar.local(due.date(), task.policy.send_time), due)
        if execution_start is not None and at < execution_start:
            at = execution_start if execution_start <= due else at
    if execution_start is None or at >= execution_start:
        notices[(at, NoticeType.checkpoint)] = Notice(
            at, NoticeType.checkpoint, task.id, task.assignees
        )


def sent_before(notices: list[Notice], done_at: datetime | None) -> list[Notice]:
    """The notices actually sent when the task is done at `done_at` (None: never done)."""
    if done_at is None:
        return list(notices)
    return [notice for notice in notices if notice.at <= done_at]
