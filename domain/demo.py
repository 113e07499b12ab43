"""The demo plan brought to the present, so a fresh `boucle dev` shows real mail in minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import anchor_datetime, parse_rrule
from domain.model import PlanFile, PlanItem, ReminderOverride


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


__all__ = ["live_demo"]
