"""Views computed from the store with `domain/`: a cycle's timeline and its live scorecard."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from api.models import TimelineEntry
from domain.calendar import WorkingCalendar
from domain.tasks import plan_tasks
from domain.timeline import NoticeType, task_timeline
from store.facts import cycle_plan
from store.tables import Cycle, Notification, Task

SERIES = "|series-invitation|"
OUTBOX_STATES: dict[str, Literal["sent", "failed", "pending"]] = {
    "sent": "sent",
    "failed": "failed",
    "pending": "pending",
    "grouped": "sent",  # carried by the series invitation sent for the whole item
}


def cycle_timeline(
    session: Session, cycle: Cycle, now: datetime, coming: int, only_for: str | None
) -> list[TimelineEntry]:
    """Messages sent (from the outbox) then the notices still planned for open tasks."""
    query = select(Notification).where(Notification.cycle_id == cycle.id)
    if only_for is not None:
        query = query.where(Notification.person_id == only_for)
    sent = session.exec(query.order_by(col(Notification.scheduled_at), col(Notification.id)))
    entries: list[TimelineEntry] = []
    handled: set[str] = set()
    invited: set[str] = set()  # an event's invitation is planned "now" until one is written
    for message in sent:
        if SERIES in message.key:
            continue  # the series email itself: its occurrences are listed one by one
        handled.add(message.key.rsplit("|", 1)[0])
        if message.type == "invitation" and message.task_id:
            invited.add(message.task_id)
        entries.append(
            TimelineEntry(
                at=message.sent_at or message.scheduled_at or message.created_at or now,
                type=message.type,
                task=message.task_id,
                to=[message.person_id],
                state=OUTBOX_STATES.get(message.status, "pending"),
            )
        )
    document = cycle_plan(session, cycle)
    if document is None or coming == 0 or cycle.phase != "executing":
        return entries
    plan = next((p for p in document.plans if p.year == cycle.year), None)
    if plan is None:
        return entries
    calendar = WorkingCalendar.of(document.organisation)
    officers = document.officers
    rows = {
        row.id: row
        for row in session.exec(
            select(Task).where(Task.cycle_id == cycle.id, Task.status == "open")
        )
    }
    planned: list[TimelineEntry] = []
    for task in plan_tasks(document, plan, calendar):
        row = rows.get(task.id)
        if row is None:
            continue
        current = task.model_copy(
            update={
                "due": row.due_at,
                "assignees": tuple(row.assignees),
                "attendees": tuple(row.attendees),
            }
        )
        for notice in task_timeline(current, calendar, officers, now):
            if notice.key in handled or (
                notice.type == NoticeType.invitation and task.id in invited
            ):
                continue
            to = [p for p in notice.to if only_for is None or p == only_for]
            if to:
                planned.append(
                    TimelineEntry(
                        at=notice.at, type=notice.type.value, task=task.id, to=to, state="planned"
                    )
                )
    planned.sort(key=lambda entry: entry.at)
    return entries + planned[:coming]
