"""Tasks: the dated occurrences of a yearly plan, each with its people and reminder policy."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from domain.calendar import WorkingCalendar, expand_item, task_id
from domain.durations import parse_duration
from domain.model import Kind, PlanFile, PlanItem, ReminderPolicy, YearPlan


class Task(BaseModel):
    """One occurrence of a plan item, the unit people are reminded about and complete."""

    model_config = ConfigDict(frozen=True)

    id: str
    portfolio: str
    year: int
    item: str
    kind: Kind
    title: str
    due: datetime
    original: datetime
    assignees: tuple[str, ...]
    attendees: tuple[str, ...] = ()
    duration: str | None = None
    location: str | None = None
    indicators: tuple[str, ...] = ()
    objective: str | None = None
    description: str | None = None
    policy: ReminderPolicy = ReminderPolicy()
    recurring: bool = False
    # Moved by a person (an amendment, an accepted postponement), not by the working calendar.
    rescheduled: bool = False

    @property
    def shifted_from(self) -> datetime | None:
        """The planned day a holiday or weekend moved this task from; None when not moved so."""
        if self.rescheduled or self.original == self.due:
            return None
        return self.original

    @property
    def is_event(self) -> bool:
        return self.kind.is_event

    @property
    def end(self) -> datetime:
        """When an event ends (its start plus duration; one hour when none is given)."""
        length = parse_duration(self.duration).total if self.duration else timedelta(hours=1)
        return self.due + length

    @property
    def people(self) -> tuple[str, ...]:
        """Assignees then attendees, each once: who an event's messages go to."""
        return tuple(dict.fromkeys((*self.assignees, *self.attendees)))


def item_tasks(
    plan: YearPlan, item: PlanItem, policy: ReminderPolicy, calendar: WorkingCalendar
) -> list[Task]:
    """The tasks of one plan item in its plan's year."""
    tasks = []
    for occurrence in expand_item(item, plan.year, calendar):
        tasks.append(
            Task.model_construct(
                id=task_id(plan.portfolio, plan.year, item.id, occurrence.original),
                portfolio=plan.portfolio,
                year=plan.year,
                item=item.id,
                kind=item.kind,
                title=item.title,
                due=occurrence.due,
                original=occurrence.original,
                assignees=tuple(item.assignees),
                attendees=tuple(item.attendees),
                duration=item.duration,
                location=item.location,
                indicators=tuple(item.indicators),
                objective=item.objective,
                description=item.description,
                policy=policy,
                recurring=bool(item.rrule),
            )
        )
    return tasks


def plan_tasks(
    document: PlanFile, plan: YearPlan, calendar: WorkingCalendar | None = None
) -> list[Task]:
    """Every task of a yearly plan, sorted by due instant then id."""
    calendar = calendar or WorkingCalendar.of(document.organisation)
    tasks: list[Task] = []
    for item in plan.items:
        tasks.extend(item_tasks(plan, item, document.policy_for(item), calendar))
    tasks.sort(key=lambda task: (task.due, task.id))
    return tasks
