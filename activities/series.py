"""A recurring event's series as the running plan has it, for its one invitation per person."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from activities.directory import DIRECTORY_TTL
from domain.tasks import Task, plan_tasks
from notifications.ics import series_rule
from notifications.invitations import Series
from store.database import SessionFactory
from store.facts import cycle_plan
from store.tables import Cycle


class SeriesPlans:
    """Looks an item's occurrences up in the plan version its cycle runs (cached briefly)."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._cache: dict[tuple[str, int, str], tuple[float, Series | None]] = {}

    def series(self, task: Task, zone: ZoneInfo) -> Series | None:
        """The item's RRULE and occurrences when one rule tells them all; None otherwise (then
        each occurrence is invited to on its own)."""
        if not task.recurring:
            return None
        key = (task.portfolio, task.year, task.item)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        found: Series | None = None
        with self.sessions() as session:
            cycle = session.get(Cycle, f"{task.portfolio}/{task.year}")
            document = cycle_plan(session, cycle) if cycle is not None else None
        plan = next((p for p in document.plans if p.year == task.year), None) if document else None
        item = next((i for i in plan.items if i.id == task.item), None) if plan else None
        if document is not None and plan is not None and item is not None:
            members = [t for t in plan_tasks(document, plan) if t.item == task.item]
            rule = series_rule(item.rrule, members, zone)
            if rule is not None:
                found = (rule, sorted(members, key=lambda t: t.original))
        self._cache[key] = (time.monotonic() + DIRECTORY_TTL, found)
        return found
