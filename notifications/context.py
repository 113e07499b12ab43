"""Template contexts: what each message says about a task, a plan or a week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.recurrence_words import describe_recurrence_at
from notifications import formatting


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    email: str
    locale: str = "fr"


@dataclass(frozen=True)
class SeriesFacts:
    """The series an event's occurrence belongs to: its rule and its sessions."""

    rule: str
    first: datetime
    last: datetime
    sessions: int


@dataclass(frozen=True)
class TaskFacts:
    """What a message needs to know about a task, independent of the store."""

    id: str
    title: str
    kind: str
    portfolio: str
    portfolio_name: str
    due: datetime
    shifted_from: datetime | None = None
    location: str | None = None
    duration: str | None = None
    description: str | None = None
    assignee_names: tuple[str, ...] = ()
    indicator_names: tuple[str, ...] = ()
    series: SeriesFacts | None = None

    @property
    def is_event(self) -> bool:
        return self.kind in ("training_session", "supplier_meeting")


def task_context(
    task: TaskFacts,
    recipient: Recipient,
    zone: ZoneInfo,
    organisation: str,
    links: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    locale = recipient.locale
    return {
        "recipient": {"id": recipient.id, "name": recipient.name},
        "organisation": {"name": organisation},
        "links": links or {},
        "task": {
            "id": task.id,
            "title": task.title,
            "kind": task.kind,
            "kind_label": formatting.kind_label(task.kind, locale),
            "portfolio": task.portfolio,
            "portfolio_name": task.portfolio_name,
            "is_event": task.is_event,
            "due_text": formatting.when(task.due, zone, locale),
            "due_day": formatting.day(task.due, zone, locale),
            "shifted_from_text": (
                formatting.day(task.shifted_from, zone, locale) if task.shifted_from else None
            ),
            "location": task.location,
            "length": formatting.length(task.duration, locale),
            "description": task.description,
            "assignees_text": ", ".join(task.assignee_names),
            "indicators": list(task.indicator_names),
            **_series_words(task.series, zone, locale),
        },
        "change": extra.pop("change", None),
        "overdue_days": extra.pop("overdue_days", 0),
        "series_invitation": extra.pop("series_invitation", False),
        "proposal": extra.pop("proposal", None) or {"by": "", "due_text": "", "reason": ""},
        **extra,
    }


def _series_words(series: SeriesFacts | None, zone: ZoneInfo, locale: str) -> dict[str, Any]:
    """'tous les trois mois, le premier jeudi du mois à 14 h' and '4 séances, du … au …'."""
    if series is None:
        return {"recurrence_text": None, "series_text": None}
    # The series' rule carries the UNTIL of its calendar; its sessions say where it ends.
    body = ";".join(
        part
        for part in series.rule.removeprefix("RRULE:").split(";")
        if part.partition("=")[0].strip().upper() not in ("COUNT", "UNTIL")
    )
    first, last = (formatting.day(moment, zone, locale) for moment in (series.first, series.last))
    sessions = series.sessions
    if locale == "fr":
        span = f"{sessions} séance{'s' if sessions > 1 else ''}, du {first} au {last}"
    else:
        span = f"{sessions} session{'s' if sessions != 1 else ''}, from {first} to {last}"
    return {
        "recurrence_text": describe_recurrence_at(body, series.first.astimezone(zone), locale),
        "series_text": span,
    }


def plan_context(
    recipient: Recipient,
    organisation: str,
    plan: dict[str, Any],
    links: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "recipient": {"id": recipient.id, "name": recipient.name},
        "organisation": {"name": organisation},
        "links": links or {},
        "plan": plan,
        **extra,
    }
