"""The form that adds or edits one plan item: what a person types, read into the plan file's
item, every error put back on the form's own field.

The plan page (a draft's new version) and the cycle page (an item added to a running plan)
both read it; the domain's validation of the whole document decides, so the form accepts what
a plan file accepts and refuses it with the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.documents import as_data, validate_data
from domain.durations import parse_duration
from domain.model import Kind, PlanFile, PlanItem

TEXT_FIELDS = (
    "kind",
    "title",
    "start",
    "start_time",
    "due",
    "due_time",
    "duration",
    "location",
    "repeat",
    "interval",
    "weekday",
    "nth",
    "month_day",
    "count",
    "rrule",
    "objective",
    "reminders",
    "before_days",
    "overdue_days",
    "description",
)
LIST_FIELDS = ("assignees", "attendees", "indicators")
REPEATS = (
    "none",
    "weekly",
    "monthly_weekday",
    "monthly_day",
    "months_last_day",
    "yearly",
    "custom",
)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
RANKS = ("1", "2", "3", "4", "-1")
# The plan file's field an error names -> the form's field that shows it.
FIELD_OF_KEY = {
    "id": "title",
    "kind": "kind",
    "title": "title",
    "start": "start",
    "due": "due",
    "duration": "duration",
    "location": "location",
    "rrule": "rrule",
    "assignees": "assignees",
    "attendees": "attendees",
    "indicators": "indicators",
    "objective": "objective",
    "reminders": "reminders",
    "description": "description",
}
FORM_WORDS = {
    "fr": {
        "number": "Saisissez un nombre entier (par exemple 3).",
        "days": "Saisissez des nombres de jours séparés par des virgules (par exemple 7, 1).",
        "repeat": "Choisissez une répétition de la liste.",
        "rrule_needed": "Saisissez la règle RRULE (par exemple FREQ=MONTHLY;BYDAY=2TH).",
        "weekday": "Choisissez un jour de la semaine.",
        "rank": "Choisissez le rang du jour dans le mois.",
        "month_day": "Saisissez un jour du mois entre 1 et 31.",
        "kind": "Choisissez un type d'élément.",
    },
    "en": {
        "number": "Enter a whole number (for example 3).",
        "days": "Enter numbers of days separated by commas (for example 7, 1).",
        "repeat": "Choose a repetition from the list.",
        "rrule_needed": "Enter the RRULE (for example FREQ=MONTHLY;BYDAY=2TH).",
        "weekday": "Choose a day of the week.",
        "rank": "Choose the rank of the day in the month.",
        "month_day": "Enter a day of the month between 1 and 31.",
        "kind": "Choose a kind of item.",
    },
}


@dataclass
class ItemForm:
    """The form as typed, and what is wrong with it, field by field."""

    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)  # errors no field of the form holds

    def add(self, name: str, message: str) -> None:
        if message not in self.errors.setdefault(name, []):
            self.errors[name].append(message)

    @property
    def valid(self) -> bool:
        return not self.errors and not self.others


@dataclass(frozen=True)
class PlacedItem:
    """The document with the item in its plan, and the item as the plan file holds it."""

    document: PlanFile
    item: PlanItem


def read_form(form: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The form's values: text fields stripped, list fields as lists (a Starlette FormData)."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = form.get(name)
        values[name] = raw.strip() if isinstance(raw, str) else ""
    for name in LIST_FIELDS:
        raw_list = form.getlist(name) if hasattr(form, "getlist") else form.get(name, [])
        values[name] = [v.strip() for v in raw_list if isinstance(v, str) and v.strip()]
    values["repeat"] = values["repeat"] or "none"
    values["reminders"] = values["reminders"] or "default"
    return values


def form_values(item: PlanItem | None) -> dict[str, Any]:
    """The form filled in from an item (a blank action when there is none)."""
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS}
    values.update({name: [] for name in LIST_FIELDS})
    values.update(kind=Kind.action.value, repeat="none", reminders="default", interval="1")
    if item is None:
        return values
    values.update(
        kind=item.kind.value,
        title=item.title,
        location=item.location or "",
        objective=item.objective or "",
        description=item.description or "",
        assignees=list(item.assignees),
        attendees=list(item.attendees),
        indicators=list(item.indicators),
    )
    for name in ("start", "due"):
        text = getattr(item, name) or ""
        values[name], _, clock = text.partition("T")
        values[f"{name}_time"] = clock[:5]
    if item.duration:
        total = parse_duration(item.duration).total
        values["duration"] = str(int(total.total_seconds() // 60))
    values.update(picker_values(item.rrule))
    values.update(_reminder_values(item))
    return values


def picker_values(rrule: str | None) -> dict[str, str]:
    """The picker's choice that says `rrule`, else the raw rule under "custom"."""
    if not rrule:
        return {"repeat": "none"}
    parts: dict[str, str] = {}
    for part in rrule.upper().removeprefix("RRULE:").split(";"):
        key, _, value = part.partition("=")
        parts[key.strip()] = value.strip()
    frequency = parts.pop("FREQ", "")
    interval = parts.pop("INTERVAL", "1")
    count = parts.pop("COUNT", "")
    common = {"interval": interval, "count": count, "rrule": rrule}
    by_day = parts.pop("BYDAY", "")
    month_day = parts.pop("BYMONTHDAY", "")
    if parts or not interval.isdigit() or (count and not count.isdigit()):
        return {"repeat": "custom", "rrule": rrule}
    if frequency == "WEEKLY" and by_day in WEEKDAYS and not month_day:
        return {**common, "repeat": "weekly", "weekday": by_day}
    found = re.fullmatch(r"([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)", by_day)
    if frequency == "MONTHLY" and found and found.group(1).lstrip("+") in RANKS and not month_day:
        return {
            **common,
            "repeat": "monthly_weekday",
            "nth": found.group(1).lstrip("+"),
            "weekday": found.group(2),
        }
    if frequency == "MONTHLY" and not by_day and month_day == "-1":
        return {**common, "repeat": "months_last_day"}
    if frequency == "MONTHLY" and not by_day and month_day.isdigit() and 1 <= int(month_day) <= 31:
        return {**common, "repeat": "monthly_day", "month_day": month_day}
    if frequency == "YEARLY" and not by_day and not month_day:
        return {**common, "repeat": "yearly"}
    return {"repeat": "custom", "rrule": rrule}


def recurrence_rule(values: Mapping[str, Any], form: ItemForm, locale: str) -> str | None:
    """The RRULE the picker's choice says; a wrong choice is put on its field."""
    words = FORM_WORDS.get(locale, FORM_WORDS["fr"])
    repeat = values.get("repeat") or "none"
    if repeat not in REPEATS:
        form.add("repeat", words["repeat"])
        return None
    if repeat == "none":
        return None
    if repeat == "custom":
        rule = str(values.get("rrule") or "")
        if not rule:
            form.add("rrule", words["rrule_needed"])
        return rule or None
    interval = _whole(values.get("interval") or "1", "interval", form, words)
    count = _whole(values.get("count") or "", "count", form, words)
    parts = {
        "weekly": ["FREQ=WEEKLY"],
        "monthly_weekday": ["FREQ=MONTHLY"],
        "monthly_day": ["FREQ=MONTHLY"],
        "months_last_day": ["FREQ=MONTHLY"],
        "yearly": ["FREQ=YEARLY"],
    }[repeat]
    if interval and interval > 1:
        parts.append(f"INTERVAL={interval}")
    weekday = values.get("weekday") or ""
    if repeat in ("weekly", "monthly_weekday") and weekday not in WEEKDAYS:
        form.add("weekday", words["weekday"])
    if repeat == "weekly":
        parts.append(f"BYDAY={weekday}")
    elif repeat == "monthly_weekday":
        rank = values.get("nth") or ""
        if rank not in RANKS:
            form.add("nth", words["rank"])
        parts.append(f"BYDAY={rank}{weekday}")
    elif repeat == "monthly_day":
        day = _whole(values.get("month_day") or "", "month_day", form, words)
        if day is None or not 1 <= day <= 31:
            form.add("month_day", words["month_day"])
        parts.append(f"BYMONTHDAY={day}")
    elif repeat == "months_last_day":
        parts.append("BYMONTHDAY=-1")
    if count:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def item_data(
    values: Mapping[str, Any], locale: str, existing: PlanItem | None = None
) -> tuple[dict[str, Any], ItemForm]:
    """The plan file's item the form says (what it doesn't show kept from `existing`)."""
    form = ItemForm(values=dict(values))
    words = FORM_WORDS.get(locale, FORM_WORDS["fr"])
    data: dict[str, Any] = (
        existing.model_dump(mode="json", exclude_unset=True) if existing is not None else {}
    )
    kind = values.get("kind") or ""
    if kind not in {k.value for k in Kind}:
        form.add("kind", words["kind"])
    data["kind"] = kind
    data["title"] = values.get("title") or ""
    for name in ("start", "due"):
        day, clock = values.get(name) or "", values.get(f"{name}_time") or ""
        data[name] = (f"{day}T{clock}" if clock else day) or None
    data["rrule"] = recurrence_rule(values, form, locale)
    minutes = _whole(values.get("duration") or "", "duration", form, words)
    data["duration"] = _iso_minutes(minutes) if minutes else None
    event = kind in (Kind.training_session.value, Kind.supplier_meeting.value)
    data["location"] = (values.get("location") or None) if event else None
    data["assignees"] = list(values.get("assignees") or [])
    data["attendees"] = list(values.get("attendees") or []) if event else []
    checkpoint = kind == Kind.indicator_checkpoint.value
    data["indicators"] = list(values.get("indicators") or []) if checkpoint else []
    data["objective"] = values.get("objective") or None
    data["description"] = values.get("description") or None
    data["reminders"] = _reminders(values, form, words, existing)
    return {key: value for key, value in data.items() if value not in (None, [])}, form


def place_item(
    document: PlanFile,
    portfolio: str,
    year: int,
    values: Mapping[str, Any],
    locale: str,
    replacing: str | None = None,
) -> tuple[PlacedItem | None, ItemForm]:
    """Put the form's item into the plan of `portfolio` and `year` (in place of `replacing`)
    and validate the whole document; the errors land on the form's fields."""
    index = next(
        (i for i, p in enumerate(document.plans) if p.portfolio == portfolio and p.year == year),
        None,
    )
    if index is None:
        raise ValueError(f"no plan {portfolio}/{year} in the document")
    plan = document.plans[index]
    existing = next((item for item in plan.items if item.id == replacing), None)
    data, form = item_data(values, locale, existing)
    taken = {item.id for item in plan.items if item.id != replacing}
    data["id"] = existing.id if existing is not None else new_item_id(data["title"], taken)
    whole = as_data(document)
    items = whole["plans"][index].setdefault("items", [])
    position = next((i for i, item in enumerate(items) if item["id"] == replacing), None)
    if position is None:
        position = len(items)
        items.append(data)
    else:
        items[position] = data
    checked, errors = validate_data(whole)
    prefix = f"plans[{index}].items[{position}]"
    for error in errors:
        if error.path == prefix or not error.path.startswith(prefix + "."):
            form.others.append(error.message(locale))
            continue
        key = re.split(r"[.\[]", error.path[len(prefix) + 1 :], maxsplit=1)[0]
        name = FIELD_OF_KEY.get(key, "title")
        if name == "rrule" and values.get("repeat") not in ("custom", None):
            name = "repeat"
        form.add(name, error.message(locale))
    if checked is None or not form.valid:
        return None, form
    item = next(i for i in checked.plans[index].items if i.id == data["id"])
    return PlacedItem(checked, item), form


def new_item_id(title: str, taken: set[str]) -> str:
    """An id made from the title, as a plan file would write it: unique in its plan."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-") or "item"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _whole(text: str, name: str, form: ItemForm, words: dict[str, str]) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        form.add(name, words["number"])
        return None
    return int(text)


def _iso_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def _days(text: str, name: str, form: ItemForm, words: dict[str, str]) -> list[str]:
    """'14, 3' as ['P14D', 'P3D']; an ISO duration typed as such is kept for the domain."""
    offsets = []
    for token in (part.strip() for part in text.replace(";", ",").split(",")):
        if not token:
            continue
        if token.isdigit():
            offsets.append(f"P{int(token)}D")
        elif token.upper().startswith("P"):
            offsets.append(token.upper())
        else:
            form.add(name, words["days"])
    return offsets


def _reminders(
    values: Mapping[str, Any], form: ItemForm, words: dict[str, str], existing: PlanItem | None
) -> dict[str, Any] | None:
    choice = values.get("reminders") or "default"
    if choice == "none":
        return {"before": [], "on_due": False, "overdue": [], "escalate_after": None}
    if choice != "custom":
        return None
    kept = existing.reminders.model_dump(mode="json") if existing and existing.reminders else {}
    kept["before"] = _days(values.get("before_days") or "", "before_days", form, words)
    kept["overdue"] = _days(values.get("overdue_days") or "", "overdue_days", form, words)
    return kept


def _reminder_values(item: PlanItem) -> dict[str, str]:
    override = item.reminders
    if override is None:
        return {"reminders": "default"}
    if override.before == [] and override.overdue == [] and override.on_due is False:
        return {"reminders": "none"}

    def days(offsets: list[str] | None) -> str:
        return ", ".join(o[1:-1] if re.fullmatch(r"P\d+D", o) else o for o in offsets or [])

    return {
        "reminders": "custom",
        "before_days": days(override.before),
        "overdue_days": days(override.overdue),
    }
