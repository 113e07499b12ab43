"""Dates, times and durations for people, in their locale and the organisation's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal

from domain.durations import parse_duration

_PATTERNS = {
    "fr": {"datetime": "EEEE d MMMM y 'à' H 'h' mm", "date": "EEEE d MMMM y", "time": "H 'h' mm"},
    "en": {"datetime": "EEEE d MMMM y 'at' h:mm a", "date": "EEEE d MMMM y", "time": "h:mm a"},
}


def _patterns(locale: str) -> dict[str, str]:
    return _PATTERNS.get(locale, _PATTERNS["fr"])


def _first(text: str, moment: datetime, locale: str) -> str:
    """French writes the first day of a month '1er': 'lundi 1er mars'."""
    if locale == "fr" and moment.day == 1:
        return text.replace(" 1 ", " 1er ", 1)  # the weekday holds no digit: the day is first
    return text


def when(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """'lundi 5 avril 2027 à 9 h 30' / 'Monday 5 April 2027 at 9:30 AM'."""
    local = moment.astimezone(zone)
    text = format_datetime(local, _patterns(locale)["datetime"], tzinfo=zone, locale=locale)
    return _first(text.replace(" h 00", " h"), local, locale) if locale == "fr" else text


def day(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    local = moment.astimezone(zone)
    return _first(
        format_date(local.date(), _patterns(locale)["date"], locale=locale), local, locale
    )


def clock(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    text = format_time(
        moment.astimezone(zone), _patterns(locale)["time"], tzinfo=zone, locale=locale
    )
    return text.replace(" h 00", " h") if locale == "fr" else text


def length(duration: str | None, locale: str) -> str | None:
    """'3 h 30' / '3 h 30 min' for PT3H30M; None when no duration is given."""
    if not duration:
        return None
    total = int(parse_duration(duration).total.total_seconds() // 60)
    hours, minutes = divmod(total, 60)
    if locale == "fr":
        return (
            f"{hours} h {minutes:02d}"
            if hours and minutes
            else (f"{hours} h" if hours else f"{minutes} min")
        )
    return (
        f"{hours} h {minutes} min"
        if hours and minutes
        else (f"{hours} h" if hours else f"{minutes} min")
    )


KIND_LABELS = {
    "fr": {
        "regulatory_watch_review": "revue de veille réglementaire",
        "training_session": "formation",
        "supplier_meeting": "rencontre fournisseurs",
        "indicator_checkpoint": "point d'étape indicateurs",
        "action": "action",
    },
    "en": {
        "regulatory_watch_review": "regulatory watch review",
        "training_session": "training session",
        "supplier_meeting": "supplier meeting",
        "indicator_checkpoint": "indicator checkpoint",
        "action": "action",
    },
}


def kind_label(kind: str, locale: str) -> str:
    return KIND_LABELS.get(locale, KIND_LABELS["fr"]).get(kind, kind)


def number(value: float | None, locale: str, unit: str | None = None) -> str:
    """'10 800 €', '17,5 %' / '€10,800', '17.5%'; '—' when there is no value."""
    if value is None:
        return "—"
    english = locale == "en"
    text = format_decimal(value, format="#,##0.##", locale="en" if english else "fr")
    if unit == "percent":
        return f"{text}%" if english else f"{text}\u00a0%"
    if unit == "euros":
        return f"€{text}" if english else f"{text}\u00a0€"
    if unit == "hours":
        return f"{text}\u00a0h"
    return text
