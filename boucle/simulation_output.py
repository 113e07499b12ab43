"""Renderings of a simulated year: JSON, CSV, iCalendar and a readable text timeline."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from domain.model import PlanFile
from domain.simulation import Assumption, Simulation
from domain.tasks import Task
from domain.timeline import Notice


def local_iso(moment: datetime, document: PlanFile) -> str:
    return _local_iso(moment, document.organisation.zone)


@lru_cache(maxsize=65536)
def _local_iso(moment: datetime, zone: ZoneInfo) -> str:
    # Reminders cluster on a few instants (send_at on working days): worth caching.
    return moment.astimezone(zone).isoformat(timespec="seconds")


@lru_cache(maxsize=65536)
def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def occurrence_row(task: Task, document: PlanFile) -> dict[str, object]:
    shifted = task.shifted_from
    return {
        "task": task.id,
        "portfolio": task.portfolio,
        "item": task.item,
        "kind": task.kind.value,
        "due": local_iso(task.due, document),
        "due_utc": utc_iso(task.due),
        "shifted_from": local_iso(shifted, document) if shifted else None,
        "assignees": list(task.assignees),
    }


def notice_row(notice: Notice, document: PlanFile) -> dict[str, object]:
    return {
        "at": local_iso(notice.at, document),
        "at_utc": utc_iso(notice.at),
        "type": notice.type.value,
        "task": notice.task,
        "to": list(notice.to),
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def as_json(simulation: Simulation, document: PlanFile) -> str:
    """One JSON object, one list entry per line (json's C encoder only runs without indent)."""

    def listing(rows: list[dict[str, object]]) -> str:
        if not rows:
            return "[]"
        return "[\n  " + ",\n  ".join(map(_ENCODER.encode, rows)) + "\n ]"

    occurrences = listing([occurrence_row(task, document) for task in simulation.tasks])
    notices = listing([notice_row(notice, document) for notice in simulation.notices])
    return f'{{\n "occurrences": {occurrences},\n "notifications": {notices}\n}}'


def as_csv(simulation: Simulation, document: PlanFile) -> str:
    tasks = {task.id: task for task in simulation.tasks}
    people = document.people_by_id
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["at", "at_utc", "type", "task", "portfolio", "item", "title", "to", "to_email"]
    )
    for notice in simulation.notices:
        task = tasks[notice.task]
        writer.writerow(
            [
                local_iso(notice.at, document),
                utc_iso(notice.at),
                notice.type.value,
                notice.task,
                task.portfolio,
                task.item,
                task.title,
                " ".join(notice.to),
                " ".join(people[p].email for p in notice.to if p in people),
            ]
        )
    return out.getvalue()


def as_ics(simulation: Simulation, document: PlanFile, stamp: datetime) -> str:
    from notifications.ics import plan_calendar  # icalendar is slow to import: only here

    return plan_calendar(document, simulation.tasks, stamp).to_ical().decode("utf-8")


_TEXT: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Simulation {year} — {org}",
        "assume": {
            Assumption.on_time: "hypothèse : chaque tâche est faite à son échéance",
            Assumption.missed: "hypothèse : aucune tâche n'est faite (relances et "
            "escalades comprises)",
        },
        "summary": "{tasks} occurrences, {notices} notifications",
        "recurring": "Éléments récurrents",
        "recurring_row": "{title} [{portfolio}] : {rule} ({count} occurrence{plural})",
        "moved": "déplacée du {original} ({reason})",
        "to": "pour",
        "notices": "notifications",
        "load": "Charge par personne (tâches par semaine ISO)",
        "load_row": "{name} ({id}) : {total} tâches, {notices} notifications ; semaine la "
        "plus chargée S{week} ({count}) ; moyenne {mean} par semaine active",
        "moves": "Occurrences déplacées (jours fériés et jours non ouvrés)",
        "move_row": "{original} → {due} : {title} [{task}] ({reason})",
        "none": "aucune",
        "nonworking": "jour non ouvré",
        "types": {
            "invitation": "invitation",
            "reminder": "rappel",
            "due": "échéance",
            "overdue": "relance",
            "escalation": "escalade",
            "checkpoint": "collecte",
        },
    },
    "en": {
        "title": "Simulation {year} — {org}",
        "assume": {
            Assumption.on_time: "assumption: every task is done when due",
            Assumption.missed: "assumption: no task is ever done (overdue notices "
            "and escalations included)",
        },
        "summary": "{tasks} occurrences, {notices} notifications",
        "recurring": "Recurring items",
        "recurring_row": "{title} [{portfolio}]: {rule} ({count} occurrence{plural})",
        "moved": "moved from {original} ({reason})",
        "to": "for",
        "notices": "notifications",
        "load": "Load per person (tasks per ISO week)",
        "load_row": "{name} ({id}): {total} tasks, {notices} notifications; busiest week "
        "W{week} ({count}); {mean} per active week on average",
        "moves": "Moved occurrences (public holidays and non-working days)",
        "move_row": "{original} → {due}: {title} [{task}] ({reason})",
        "none": "none",
        "nonworking": "non-working day",
        "types": {
            "invitation": "invitation",
            "reminder": "reminder",
            "due": "due",
            "overdue": "overdue",
            "escalation": "escalation",
            "checkpoint": "values request",
        },
    },
}


def _recurring_lines(
    simulation: Simulation, document: PlanFile, years: list[int], locale: str
) -> list[str]:
    """One line per recurring item: its rule in words and how many times it occurs."""
    from domain.calendar import anchor_datetime
    from domain.recurrence_words import describe_recurrence_at

    counts: dict[tuple[str, int, str], int] = defaultdict(int)
    for task in simulation.tasks:
        counts[(task.portfolio, task.year, task.item)] += 1
    lines = []
    for plan in document.plans:
        if years and plan.year not in years:
            continue
        for item in plan.items:
            if not item.rrule:
                continue
            start, date_only = anchor_datetime(item)
            count = counts[(plan.portfolio, plan.year, item.id)]
            rule = describe_recurrence_at(item.rrule, start.date() if date_only else start, locale)
            row = _TEXT[locale]["recurring_row"].format(
                title=item.title,
                portfolio=plan.portfolio,
                rule=rule,
                count=count,
                plural="" if count == 1 else "s",
            )
            lines.append(f"  {row}")
    return lines


def as_text(
    simulation: Simulation, document: PlanFile, assume: Assumption, years: list[int]
) -> str:
    """A readable timeline grouped by month, then weekly load per person and moved dates."""
    from babel.dates import format_date, format_datetime
    from babel.numbers import format_decimal

    from domain.calendar import WorkingCalendar

    locale = document.organisation.locale.value
    words = _TEXT[locale]
    zone = document.organisation.zone
    calendar = WorkingCalendar.of(document.organisation)
    people = document.people_by_id
    notices_by_task: dict[str, list[Notice]] = defaultdict(list)
    for notice in simulation.notices:
        notices_by_task[notice.task].append(notice)

    def when(moment: datetime, pattern: str = "EEE d MMM HH:mm") -> str:
        return format_datetime(moment.astimezone(zone), pattern, tzinfo=zone, locale=locale)

    def reason(task: Task) -> str:
        original = task.original.astimezone(zone).date()
        return calendar.holiday_name(original) or words["nonworking"]

    lines = [
        words["title"].format(
            year=", ".join(map(str, years)) or "—", org=document.organisation.name
        ),
        words["assume"][assume],
        words["summary"].format(tasks=len(simulation.tasks), notices=len(simulation.notices)),
        "",
    ]
    recurring = _recurring_lines(simulation, document, years, locale)
    if recurring:
        lines += [words["recurring"], *recurring, ""]
    month = None
    for task in simulation.tasks:
        local = task.due.astimezone(zone)
        if (local.year, local.month) != month:
            month = (local.year, local.month)
            lines.append(format_date(local.date(), "LLLL y", locale=locale).capitalize())
        names = ", ".join(people[p].name for p in task.people if p in people)
        lines.append(f"  {when(task.due)}  {task.title}  [{task.portfolio}]  {words['to']} {names}")
        if task.shifted_from is not None:
            original = when(task.shifted_from, "EEEE d MMMM")
            lines.append(f"      ↳ {words['moved'].format(original=original, reason=reason(task))}")
        sent = notices_by_task.get(task.id, [])
        if sent:
            summary = ", ".join(
                f"{words['types'][n.type.value]} {when(n.at, 'd MMM HH:mm')}" for n in sent
            )
            lines.append(
                f"      {words['notices']} : {summary}"
                if locale == "fr"
                else f"      {words['notices']}: {summary}"
            )
    lines += ["", words["load"]]
    per_person = simulation.notices_by_person()
    for person_id, weeks in sorted(simulation.load_by_person().items()):
        (busiest_year, busiest_week), count = max(weeks.items(), key=lambda kv: (kv[1], kv[0]))
        name = people[person_id].name if person_id in people else person_id
        lines.append(
            "  "
            + words["load_row"].format(
                name=name,
                id=person_id,
                total=sum(weeks.values()),
                notices=per_person[person_id],
                week=busiest_week,
                count=count,
                mean=format_decimal(
                    round(sum(weeks.values()) / len(weeks), 1), format="0.0", locale=locale
                ),
            )
        )
    lines += ["", words["moves"]]
    if not simulation.moved:
        lines.append(f"  {words['none']}")
    for task in simulation.moved:
        assert task.shifted_from is not None
        lines.append(
            "  "
            + words["move_row"].format(
                original=when(task.shifted_from, "EEEE d MMMM y"),
                due=when(task.due, "EEEE d MMMM y"),
                title=task.title,
                task=task.id,
                reason=reason(task),
            )
        )
    return "\n".join(lines) + "\n"
