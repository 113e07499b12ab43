"""A whole year of a plan, computed without running anything: occurrences and notices."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from domain.calendar import WorkingCalendar
from domain.model import PlanFile, YearPlan
from domain.tasks import Task, plan_tasks
from domain.timeline import Notice, sent_before, task_timeline


class Assumption(StrEnum):
    on_time = "on-time"
    missed = "missed"


def execution_start(
    document: PlanFile, plan: YearPlan, calendar: WorkingCalendar | None = None
) -> datetime:
    """When the plan's cycle starts executing: its approval deadline, 1 December before."""
    calendar = calendar or WorkingCalendar.of(document.organisation)
    send_time = document.policy_for_defaults().send_time
    if plan.approve_by:
        if "T" in plan.approve_by:
            return datetime.fromisoformat(plan.approve_by).replace(tzinfo=calendar.zone)
        day = date.fromisoformat(plan.approve_by)
    else:
        day = date(plan.year - 1, 12, 1)
    return calendar.local(calendar.next_working_day(day), send_time)


@dataclass
class Simulation:
    """The simulated year: every task and every notice actually sent under an assumption."""

    tasks: list[Task]
    notices: list[Notice]
    moved: list[Task] = field(default_factory=list)

    def load_by_person(self) -> dict[str, Counter[tuple[int, int]]]:
        """How many tasks each person has per ISO (year, week), assignees and attendees."""
        load: dict[str, Counter[tuple[int, int]]] = defaultdict(Counter)
        for task in self.tasks:
            week = task.due.isocalendar()
            for person in task.people:
                load[person][(week.year, week.week)] += 1
        return dict(load)

    def notices_by_person(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for notice in self.notices:
            counts.update(notice.to)
        return counts


def simulate(
    document: PlanFile, year: int | None = None, assume: Assumption = Assumption.on_time
) -> Simulation:
    """Run the calendar and reminder rules over every plan (of `year`, when given)."""
    calendar = WorkingCalendar.of(document.organisation)
    officers = document.officers
    tasks: list[Task] = []
    notices: list[Notice] = []
    for plan in document.plans:
        if year is not None and plan.year != year:
            continue
        start = execution_start(document, plan)
        for task in plan_tasks(document, plan):
            tasks.append(task)
            timeline = task_timeline(task, calendar, officers, start)
            done_at = task.due if assume == Assumption.on_time else None
            notices.extend(sent_before(timeline, done_at))
    tasks.sort(key=lambda task: (task.due, task.id))
    notices.sort(key=lambda notice: (notice.at, notice.task, notice.type.value))
    moved = [task for task in tasks if task.shifted_from is not None]
    return Simulation(tasks=tasks, notices=notices, moved=moved)
