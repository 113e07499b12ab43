"""The demo plan brought to the present, so a fresh `boucle dev` shows real mail in minutes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import WorkingCalendar, anchor_datetime, parse_rrule
from domain.execution import evaluation_opens
from domain.model import PlanFile, PlanItem, ReminderOverride

# Next year's demo waits at least this long for the direction: a deadline to be reminded of.
APPROVAL_NOTICE = timedelta(days=7)


def _moved(item: PlanItem, days: int, year: int) -> PlanItem | None:
    start, _ = anchor_datetime(item)
    moved = start + timedelta(days=days)
    if moved.year != year or (item.rrule and not parse_rrule(item.rrule, moved, year)):
        return None
    field = "start" if item.start is not None else "due"
    text = moved.isoformat(timespec="minutes") if "T" in item.anchor else moved.date().isoformat()
    return item.model_copy(update={field: text})


def live_demo(document: PlanFile, now: datetime) -> PlanFile:
    """Each plan moved into the current year so its first item falls tomorrow.

    Reminders go out a few minutes from `now` (send_at), so the first ones arrive while the
    person watches; items that would leave the year are dropped.
    """
    local = now.astimezone(document.organisation.zone)
    tomorrow = local.date() + timedelta(days=1)
    send_at = (local + timedelta(minutes=2)).strftime("%H:%M")
    plans = []
    for plan in document.plans:
        if not plan.items:
            continue
        first = min(anchor_datetime(item)[0].date() for item in plan.items)
        shift = (tomorrow - first).days
        items = [
            moved
            for item in plan.items
            if (moved := _moved(item, shift, tomorrow.year)) is not None
        ]
        items = [
            item.model_copy(
                update={
                    "reminders": ReminderOverride(
                        **{
                            **(item.reminders.model_dump() if item.reminders else {}),
                            "before": ["P1D", "P7D"],
                        }
                    )
                }
            )
            for item in items
        ]
        plans.append(
            plan.model_copy(
                update={
                    "year": tomorrow.year,
                    "items": items,
                    "approve_by": local.date().isoformat(),
                }
            )
        )
    reminders = document.reminders.model_copy(update={"send_at": send_at})
    return document.model_copy(update={"plans": plans, "reminders": reminders})


def evaluation_has_opened(live: PlanFile, now: datetime) -> bool:
    """Whether the year of these (live) plans has reached its evaluation date."""
    calendar = WorkingCalendar.of(live.organisation)
    return any(now >= evaluation_opens(live, plan, calendar) for plan in live.plans)


def next_year_demo(document: PlanFile, now: datetime) -> PlanFile:
    """Each plan moved to the year after the live demo's, by whole weeks (items keep their
    weekday), to be approved by its own deadline moved alike, a week from `now` at the soonest.
    """
    local = now.astimezone(document.organisation.zone)
    year = (local.date() + timedelta(days=1)).year + 1  # the live demo's year, then the next
    soonest = local.date() + APPROVAL_NOTICE
    plans = []
    for plan in document.plans:
        if not plan.items:
            continue
        weeks = round((date(year, 1, 1) - date(plan.year, 1, 1)).days / 7)
        days = weeks * 7
        items = [moved for item in plan.items if (moved := _moved(item, days, year)) is not None]
        deadline = (
            date.fromisoformat(plan.approve_by[:10]) + timedelta(days=days)
            if plan.approve_by
            else date(year - 1, 12, 1)
        )
        evaluate_on = (
            (date.fromisoformat(plan.evaluate_on[:10]) + timedelta(days=days)).isoformat()
            if plan.evaluate_on
            else None
        )
        plans.append(
            plan.model_copy(
                update={
                    "year": year,
                    "items": items,
                    "approve_by": max(deadline, soonest).isoformat(),
                    "evaluate_on": evaluate_on,
                }
            )
        )
    return document.model_copy(update={"plans": plans})


__all__ = ["evaluation_has_opened", "live_demo", "next_year_demo"]


def demo_contracts(document: dict[str, Any], year: int, today: date) -> dict[str, Any]:
    """The demo's DECP file moved to `year`, keeping the contracts notified by `today`."""
    kept = []
    for record in document["marches"]["marche"]:
        moved = f"{year}{record['dateNotification'][4:]}"
        if date.fromisoformat(moved) <= today:
            kept.append({**record, "dateNotification": moved, "datePublicationDonnees": moved})
    return {"marches": {"marche": kept}}
