"""Which calendar an event's message carries: one occurrence, or the whole series once."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from domain.tasks import Task
from notifications.ics import invitation_calendar, series_uid, task_length, task_uid
from notifications.messages import CALENDAR_METHODS, MessageType

Series = tuple[str, list[Task]]  # the RRULE bounded by UNTIL, and every occurrence


def series_group(task: Task) -> str:
    """The outbox group of an item's series invitation: one email per person for all of it."""
    return f"{task.portfolio}/{task.year}/{task.item}|series-invitation"


def invitation(
    task: Task,
    attendees: list[tuple[str, str]],
    zone: ZoneInfo,
    message: MessageType,
    sequence: int,
    organiser: tuple[str, str],
    stamp: datetime,
    series: Series | None,
) -> tuple[bytes, str | None]:
    """The .ics of an invitation, update or cancellation, and the group it belongs to.

    An occurrence of a recurring event is invited to as its whole series, once per person
    (the group); a later change names the occurrence by its RECURRENCE-ID.
    """
    calendar_of = partial(
        invitation_calendar,
        method=CALENDAR_METHODS[message],
        sequence=sequence,
        title=task.title,
        zone=zone,
        organiser=organiser,
        attendees=attendees,
        stamp=stamp,
        location=task.location,
        description=task.description,
    )
    if series is None:
        calendar = calendar_of(uid=task_uid(task), start=task.due, end=task.due + task_length(task))
        return calendar.to_ical(), None
    rule, members = series
    if message != MessageType.invitation:
        calendar = calendar_of(
            uid=series_uid(task),
            start=task.due,
            end=task.due + task_length(task),
            recurrence_id=task.original,
        )
        return calendar.to_ical(), None
    first = members[0]
    calendar = calendar_of(
        uid=series_uid(task),
        start=first.original,
        end=first.original + task_length(first),
        rule=rule,
        moved=[(m.original, m.due, m.due + task_length(m)) for m in members if m.due != m.original],
    )
    return calendar.to_ical(), series_group(task)
