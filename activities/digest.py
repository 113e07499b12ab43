"""The weekly digest: each person's tasks of the week and their overdue ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select
from temporalio import activity

from activities.notify import NotificationActivities
from notifications import formatting
from notifications.compose import Outgoing
from notifications.context import Recipient, plan_context
from notifications.messages import MessageType
from notifications.urls import tasks_page
from store.database import SessionFactory
from store.tables import Task, TaskPerson
from workflows.types import ActivityName, SendReport


def week_bounds(week: str) -> tuple[date, date]:
    """Monday and next Monday of an ISO week written 2027-W14."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return monday, monday + timedelta(days=7)


class DigestActivities:
    def __init__(self, sessions: SessionFactory, notify: NotificationActivities) -> None:
        self.sessions = sessions
        self.notify = notify

    @activity.defn(name=ActivityName.send_digests)
    async def send_digests(self, week: str) -> SendReport:
        outgoing = await asyncio.to_thread(self._digests, week)
        return await self.notify.delivery.deliver_all(outgoing)

    def _digests(self, week: str) -> list[Outgoing]:
        snapshot = self.notify.directory.snapshot()
        organisation, zone, default_locale = snapshot.organisation, snapshot.zone, snapshot.locale
        monday, next_monday = week_bounds(week)
        start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(next_monday, time(0), tzinfo=zone).astimezone(UTC)
        with self.sessions() as session:
            rows = session.exec(
                select(TaskPerson.person_id, Task)
                .join(Task, col(Task.id) == col(TaskPerson.task_id))
                .where(Task.status == "open", col(Task.due_at) < end)
                .order_by(col(Task.due_at))
            ).all()
        people = {p.id: p for p in snapshot.people.values() if p.active}
        portfolios = snapshot.portfolios
        per_person: dict[str, dict[str, list[dict[str, str]]]] = {}
        for person_id, task in rows:
            person = people.get(person_id)
            if person is None:
                continue
            locale = person.locale or default_locale
            entry = {
                "title": task.title,
                "portfolio_name": portfolios.get(task.portfolio, task.portfolio),
                "due_text": formatting.when(task.due_at, zone, locale),
            }
            bucket = per_person.setdefault(person_id, {"due": [], "overdue": []})
            bucket["due" if task.due_at >= start else "overdue"].append(entry)
        outgoing = []
        for person_id, lists in sorted(per_person.items()):
            person = people[person_id]
            locale = person.locale or default_locale
            context = plan_context(
                Recipient(person.id, person.name, person.email, locale),
                organisation,
                {},
                {"view": tasks_page(self.notify.config.app_url)},
                week=lists,
            )
            outgoing.append(
                Outgoing(
                    key=f"digest|{week}|{person.id}",
                    message=MessageType.digest,
                    person=person,
                    locale=locale,
                    context=context,
                    task_id=None,
                    cycle_id=None,
                    scheduled_at=start,
                )
            )
        return outgoing
