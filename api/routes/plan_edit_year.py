"""The plan's year as `boucle simulate` computes it, drawn for the plan page: the calendar by
month (moved occurrences with the holiday that moved them), the notifications per week, the
load per person and the busiest weeks."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from api.charts import week_columns
from domain.calendar import WorkingCalendar
from domain.documents import single_plan
from domain.model import PlanFile, YearPlan
from domain.recurrence_words import describe_recurrence_at
from domain.simulation import simulate
from notifications import formatting

BUSIEST_WEEKS = 5


def month_name(month: int, locale: str) -> str:
    return format_date(datetime(2000, month, 1), "LLLL", locale=locale).capitalize()


def year_facts(
    document: PlanFile,
    plan: YearPlan,
    zone: ZoneInfo,
    locale: str,
    people: dict[str, str],
    words: dict[str, str],
) -> dict[str, Any]:
    """The simulated year of `plan` (every task done on time), as the page shows it."""
    year = plan.year
    simulation = simulate(single_plan(document, plan), year)
    calendar = WorkingCalendar.of(document.organisation)
    non_working = "jour non ouvré" if locale == "fr" else "non-working day"
    months: dict[int, list[dict[str, Any]]] = defaultdict(list)
    tasks_per_week: Counter[int] = Counter()
    load: Counter[str] = Counter()
    for task in simulation.tasks:
        local = task.due.astimezone(zone)
        moved = None
        if task.shifted_from is not None:
            moved = calendar.holiday_name(task.original.astimezone(zone).date()) or non_working
        months[local.month].append(
            {
                "when": formatting.day(task.due, zone, locale),
                "clock": formatting.clock(task.due, zone, locale) if local.hour != 17 else "",
                "title": task.title,
                "item": task.item,
                "kind": formatting.kind_label(task.kind.value, locale),
                "people": ", ".join(people.get(p, p) for p in task.assignees),
                "moved": moved,
                "original": formatting.day(task.original, zone, locale) if moved else None,
            }
        )
        week = local.isocalendar()
        if week.year == year:
            tasks_per_week[week.week] += 1
        load.update(task.people)
    notices_per_week: Counter[int] = Counter()
    for notice in simulation.notices:
        week = notice.at.astimezone(zone).isocalendar()
        if week.year == year:
            notices_per_week[week.week] += 1
    received = simulation.notices_by_person()
    weeks_in_year = date(year, 12, 28).isocalendar().week
    total = sum(notices_per_week.values())
    chart_title = words["plan_notices_chart"].format(year=year, total=total)
    busiest = sorted(
        set(notices_per_week) | set(tasks_per_week),
        key=lambda week: (-notices_per_week[week], -tasks_per_week[week], week),
    )[:BUSIEST_WEEKS]
    return {
        "occurrences": len(simulation.tasks),
        "months": [
            {"number": month, "name": month_name(month, locale), "tasks": months[month]}
            for month in range(1, 13)
        ],
        "moved_count": len(simulation.moved),
        "notices_total": total,
        "notices_chart": week_columns(chart_title, sorted(notices_per_week.items()), weeks_in_year),
        "chart_title": chart_title,
        "busiest": [
            {
                "week": words["plan_week_of"].format(
                    week=week,
                    monday=format_date(
                        date.fromisocalendar(year, week, 1), "d MMMM", locale=locale
                    ),
                ),
                "notices": notices_per_week[week],
                "tasks": tasks_per_week[week],
            }
            for week in busiest
        ],
        "load": [
            {"name": people.get(person, person), "count": count, "notices": received[person]}
            for person, count in sorted(load.items(), key=lambda pair: (-pair[1], pair[0]))
        ],
    }


def plan_items(plan: YearPlan, document: PlanFile, locale: str) -> list[dict[str, Any]]:
    """The plan's items as the officer edits them: kind, title, first date, rule, people."""
    names = {person.id: person.name for person in document.people}
    rows = []
    for item in plan.items:
        anchor = item.anchor
        first = datetime.fromisoformat(anchor if "T" in anchor else anchor + "T17:00")
        zone = document.organisation.zone
        moment = first.replace(tzinfo=zone)
        rows.append(
            {
                "id": item.id,
                "title": item.title,
                "kind": formatting.kind_label(item.kind.value, locale),
                "when": formatting.when(moment, zone, locale)
                if "T" in anchor
                else formatting.day(moment, zone, locale),
                "rrule": item.rrule or "",
                "rule_words": rule_words(item.rrule, moment, locale),
                "people": ", ".join(names.get(p, p) for p in item.assignees),
            }
        )
    return rows


def rule_words(rrule: str | None, start: datetime, locale: str) -> str:
    """The rule said in words ('le premier lundi de chaque mois à 9 h 30')."""
    if not rrule:
        return ""
    try:
        return describe_recurrence_at(rrule, start, locale)
    except ValueError:  # a stored rule always reads; shown raw should the words fail
        return rrule
