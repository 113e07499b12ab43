"""A running year's rules: when evaluation opens, when each task starts and closes, and how
amendments change the plan a cycle executes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import WorkingCalendar
from domain.documents import as_data, validate_data
from domain.model import Person, PlanFile, PlanItem, YearPlan
from domain.tasks import Task, plan_tasks
from domain.timeline import Notice

# A plan approved late still gets a few weeks of execution before its evaluation.
MINIMUM_EXECUTION = timedelta(days=28)
# An unfinished task is missed this long after its last notice (its escalation, usually).
TASK_CLOSE_AFTER = timedelta(days=60)
# A task's workflow starts at most this long before its first notice, not at approval: a
# région's year is 10,000 tasks, and most of them have nothing to do for months.
LAUNCH_AHEAD = timedelta(days=7)


def evaluation_opens(document: PlanFile, plan: YearPlan, calendar: WorkingCalendar) -> datetime:
    """When the year-end evaluation is due: `evaluate_on`, by default 1 November (a working
    day, at the send time), leaving time to plan next year."""
    day = date.fromisoformat(plan.evaluate_on[:10]) if plan.evaluate_on else date(plan.year, 11, 1)
    return calendar.local(calendar.next_working_day(day), document.policy_for_defaults().send_time)


def evaluation_time(
    document: PlanFile, plan: YearPlan, calendar: WorkingCalendar, execution_start: datetime
) -> datetime:
    """When this cycle starts evaluating: the evaluation date, or four weeks after a late start."""
    return max(evaluation_opens(document, plan, calendar), execution_start + MINIMUM_EXECUTION)


def close_time(task: Task, schedule: list[Notice]) -> datetime:
    """When an unfinished task becomes missed: some weeks after its due time and last notice."""
    return max([task.due, *(notice.at for notice in schedule)]) + TASK_CLOSE_AFTER


def first_need(task: Task, schedule: list[Notice]) -> datetime:
    """The first instant the task's workflow has something to do: its first notice, or its due
    time when it sends nothing."""
    return min([task.due, *(notice.at for notice in schedule)])


class OccurrenceChange(BaseModel):
    """An amendment to one occurrence: moved to another due time, or cancelled."""

    model_config = ConfigDict(frozen=True)

    due: datetime | None = None
    cancelled: bool = False
    changed_at: datetime | None = None  # nothing planned before this is sent for it


class PlanChanges(BaseModel):
    """What one amendment changes; each part may be empty."""

    add: list[PlanItem] = Field(default_factory=list)
    cancel_items: list[str] = Field(default_factory=list)
    reassign_items: dict[str, list[str]] = Field(default_factory=dict)
    reschedule_tasks: dict[str, datetime] = Field(default_factory=dict)
    cancel_tasks: list[str] = Field(default_factory=list)
    # People it names whom the cycle's document does not list yet (from the directory).
    people: list[Person] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.add
            or self.cancel_items
            or self.reassign_items
            or self.reschedule_tasks
            or self.cancel_tasks
        )


class ExecutedPlan(BaseModel):
    """The plan a running cycle executes: its document with every accepted amendment."""

    document: PlanFile  # the organisation and exactly this plan, items added and reassigned
    cancelled_items: list[str] = Field(default_factory=list)
    occurrences: dict[str, OccurrenceChange] = Field(default_factory=dict)  # by task id
    added_at: dict[str, datetime] = Field(default_factory=dict)  # items added by an amendment

    @property
    def plan(self) -> YearPlan:
        return self.document.plans[0]


def with_changes(executed: ExecutedPlan, changes: PlanChanges, now: datetime) -> ExecutedPlan:
    """The executed plan once `changes`, made at `now`, apply to it (nothing is checked)."""
    items = []
    for item in executed.plan.items:
        if item.id in changes.reassign_items:
            item = item.model_copy(update={"assignees": changes.reassign_items[item.id]})
        items.append(item)
    items += changes.add
    plan = executed.plan.model_copy(update={"items": items})
    known = {person.id for person in executed.document.people}
    people = [*executed.document.people, *(p for p in changes.people if p.id not in known)]
    occurrences = dict(executed.occurrences)
    for task_id, due in changes.reschedule_tasks.items():
        occurrences[task_id] = OccurrenceChange(due=due, changed_at=now)
    for task_id in changes.cancel_tasks:
        occurrences[task_id] = OccurrenceChange(cancelled=True, changed_at=now)
    return ExecutedPlan(
        document=executed.document.model_copy(update={"plans": [plan], "people": people}),
        cancelled_items=list(dict.fromkeys([*executed.cancelled_items, *changes.cancel_items])),
        occurrences=occurrences,
        added_at={**executed.added_at, **{item.id: now for item in changes.add}},
    )


def notices_from(executed: ExecutedPlan, task: Task, execution_start: datetime) -> datetime:
    """From when a task's notices count: execution's start, or the amendment that added or
    moved it (what it would have sent before that is not sent late)."""
    moments = [execution_start, executed.added_at.get(task.item)]
    change = executed.occurrences.get(task.id)
    if change is not None:
        moments.append(change.changed_at)
    return max(moment for moment in moments if moment is not None)


def every_task(executed: ExecutedPlan, calendar: WorkingCalendar) -> list[Task]:
    """Every occurrence of the executed plan, moved where an amendment moved it, cancelled ones
    included (see `is_cancelled`); sorted by due instant then id."""
    tasks = []
    for task in plan_tasks(executed.document, executed.plan, calendar):
        change = executed.occurrences.get(task.id)
        if change is not None and change.due is not None:
            task = task.model_copy(update={"due": change.due, "rescheduled": True})
        tasks.append(task)
    tasks.sort(key=lambda task: (task.due, task.id))
    return tasks


def is_cancelled(executed: ExecutedPlan, task: Task) -> bool:
    change = executed.occurrences.get(task.id)
    return task.item in executed.cancelled_items or (change is not None and change.cancelled)


class Problem(BaseModel):
    """Why a change cannot be accepted: a stable code, its parameters, an English sentence."""

    code: str
    params: dict[str, str] = Field(default_factory=dict)
    message: str


def amendment_problems(
    executed: ExecutedPlan,
    changes: PlanChanges,
    calendar: WorkingCalendar,
    now: datetime,
    ended: set[str],
) -> list[Problem]:
    """Everything wrong with `changes` against the plan as already amended (amendments accepted
    but not yet applied included); `ended` holds the tasks already finished."""
    if changes.empty:
        return [Problem(code="amendment_empty", message="the amendment changes nothing")]
    items = {item.id for item in executed.plan.items}
    cancelled = set(executed.cancelled_items)
    problems = []
    unknown = [i for i in [*changes.cancel_items, *changes.reassign_items] if i not in items]
    if unknown:
        problems.append(
            Problem(
                code="unknown_items",
                params={"items": ", ".join(unknown)},
                message="unknown items: " + ", ".join(unknown),
            )
        )
    gone = [i for i in [*changes.cancel_items, *changes.reassign_items] if i in cancelled]
    if gone:
        problems.append(
            Problem(
                code="items_cancelled",
                params={"items": ", ".join(gone)},
                message="these items are already cancelled: " + ", ".join(gone),
            )
        )
    tasks = {task.id: task for task in every_task(executed, calendar)}
    named = [*changes.reschedule_tasks, *changes.cancel_tasks]
    missing = [t for t in named if t not in tasks]
    if missing:
        problems.append(
            Problem(
                code="unknown_tasks",
                params={"tasks": ", ".join(missing)},
                message="unknown occurrences: " + ", ".join(missing),
            )
        )
    closed = [t for t in named if t in tasks and (t in ended or is_cancelled(executed, tasks[t]))]
    if closed:
        problems.append(
            Problem(
                code="tasks_closed",
                params={"tasks": ", ".join(closed)},
                message="these occurrences are already closed: " + ", ".join(closed),
            )
        )
    for _task_id, due in changes.reschedule_tasks.items():
        problem = due_problem(due, calendar, now, executed.plan.year)
        if problem is not None:
            problems.append(problem)
    _, errors = validate_data(as_data(with_changes(executed, changes, now).document))
    if errors:
        detail = "; ".join(f"{e.path}: {e.message('en')}" for e in errors[:10])
        problems.append(
            Problem(code="plan_invalid", params={"errors": detail}, message=f"{detail}")
        )
    return problems


def due_problem(
    due: datetime, calendar: WorkingCalendar, now: datetime, year: int | None = None
) -> Problem | None:
    """Why a task of `year`'s cycle cannot be moved to `due`, or None when it can."""
    if due.tzinfo is None:
        return Problem(code="due_without_offset", message="the new due time needs a UTC offset")
    if due <= now:
        return Problem(code="due_in_past", message="the new due time is in the past")
    day = due.astimezone(calendar.zone).date()
    if year is not None and day.year != year:
        # Its year's evaluation counts it, and the holidays known are that year's.
        return Problem(
            code="due_outside_year",
            params={"day": day.isoformat(), "year": str(year)},
            message=f"{day.isoformat()} is outside the cycle's year {year}",
        )
    if calendar.is_working_day(day):
        return None
    name = calendar.holiday_name(day)
    if name is None:
        return Problem(
            code="non_working_day",
            params={"day": day.isoformat()},
            message=f"{day.isoformat()} is not a working day",
        )
    return Problem(
        code="holiday",
        params={"day": day.isoformat(), "name": name},
        message=f"{day.isoformat()} is not a working day ({name})",
    )


def amendment_effects(
    before: ExecutedPlan,
    after: ExecutedPlan,
    calendar: WorkingCalendar,
    ended: set[str],
) -> dict[str, dict[str, list[dict[str, str | int]]]]:
    """What an amendment changes for each person, over the tasks still open: items given to
    them or taken from them, items added or cancelled, occurrences moved or cancelled.

    Each entry names the item (`title`), how many open occurrences it concerns, and the next
    or moved due times as ISO text.
    """
    old = {t.id: t for t in every_task(before, calendar) if t.id not in ended}
    new = {t.id: t for t in every_task(after, calendar) if t.id not in ended}
    effects: dict[str, dict[str, list[dict[str, str | int]]]] = {}

    def tell(people: set[str], kind: str, entry: dict[str, str | int]) -> None:
        for person in sorted(people):
            effects.setdefault(person, {}).setdefault(kind, []).append(entry)

    def summary(tasks: list[Task]) -> dict[str, str | int]:
        tasks = sorted(tasks, key=lambda task: task.due)
        return {
            "title": tasks[0].title,
            "occurrences": len(tasks),
            "next": tasks[0].due.isoformat(),
        }

    by_item: dict[str, tuple[list[Task], list[Task]]] = {}
    for task in old.values():
        if not is_cancelled(before, task):
            by_item.setdefault(task.item, ([], []))[0].append(task)
    for task in new.values():
        if not is_cancelled(after, task):
            by_item.setdefault(task.item, ([], []))[1].append(task)
    for item, (was, now) in by_item.items():
        item_cancelled = item in after.cancelled_items and item not in before.cancelled_items
        if item_cancelled and was:
            tell({p for t in was for p in t.people}, "cancelled", summary(was))
            continue
        if not now:
            continue
        if not was:
            tell({p for t in now for p in t.people}, "added", summary(now))
            continue
        had, has = {p for t in was for p in t.people}, {p for t in now for p in t.people}
        tell(has - had, "assigned", summary(now))
        tell(had - has, "unassigned", summary(was))
    for task_id, change in after.occurrences.items():
        if before.occurrences.get(task_id) == change or task_id not in old:
            continue
        task = old[task_id]
        if change.cancelled:
            tell(set(task.people), "cancelled", summary([task]))
        elif change.due is not None and task_id in new:
            moved: dict[str, str | int] = {
                "title": task.title,
                "occurrences": 1,
                "from": task.due.isoformat(),
                "next": new[task_id].due.isoformat(),
            }
            tell(set(new[task_id].people), "moved", moved)
    return effects
