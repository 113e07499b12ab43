"""A workbook cell's value as the plan format's: text, ids, choices, dates, numbers, durations."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Protocol

from domain.durations import is_duration
from domain.workbook.labels import NONE_WORDS, value_of, words
from domain.workbook.layout import Column
from domain.workbook.phrases import duration_iso
from domain.workbook.table import Cell

_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")


class Report(Protocol):
    def error(self, token: int, code: str, **params: Any) -> None: ...


def _fold(text: str) -> str:
    return " ".join(text.strip().lower().replace("’", "'").split())


def _text(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def convert(column: Column, value: Cell, token: int, reading: Report) -> Any:
    """The plan value of a filled cell, or None once its error is reported."""
    kind = column.kind
    if kind in ("text", "freetext"):
        return _text(value)
    if kind == "id" or kind == "rule" and column.key != "interval":
        return _text(value).strip()
    if kind == "ids":
        return [part.strip() for part in re.split(r"[,;\n]", _text(value)) if part.strip()]
    if kind == "weekdays":
        days = []
        for part in re.split(r"[,;\n]", _text(value)):
            if not part.strip():
                continue
            day = value_of("weekday", part)
            if day is None:
                reading.error(
                    token, "bad_choice", value=part.strip(), expected=", ".join(words("weekday"))
                )
                return None
            days.append(day)
        return days
    if kind == "choice" or kind == "bool":
        choice = column.choice or "bool"
        found = value_of(choice, _text(value))
        if found is None:
            reading.error(
                token, "bad_choice", value=_text(value), expected=", ".join(words(choice))
            )
            return None
        return found == "true" if kind == "bool" else found
    if kind == "date":
        return _date(value, token, reading)
    if kind in ("int", "number") or column.key == "interval":
        return _number(value, token, reading, whole=kind == "int" or column.key == "interval")
    if kind == "clock":
        if isinstance(value, datetime):
            value = value.time()
        return value.strftime("%H:%M") if isinstance(value, time) else _text(value).strip()
    if kind == "duration":
        return _duration(value, token, reading, allow_off=column.key == "escalate_after")
    if kind == "durations":
        text = _text(value).strip()
        if _fold(text) in NONE_WORDS:
            return []
        return [
            _duration(part, token, reading, allow_off=False)
            for part in re.split(r"[,;]", text)
            if part.strip()
        ]
    return value


def _date(value: Cell, token: int, reading: Report) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value).strip()
    french = _FRENCH_DATE.match(text)
    if french:
        day, month, year, hours, minutes = french.groups()
        stamp = f"{year}-{int(month):02d}-{int(day):02d}"
        return stamp + (f"T{int(hours):02d}:{minutes}" if hours else "")
    if isinstance(value, str) and _ISO_DATE.match(text):
        return text.replace(" ", "T")
    reading.error(token, "bad_date_cell", value=text)
    return None


def _number(value: Cell, token: int, reading: Report, *, whole: bool) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if whole and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    text = _text(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        reading.error(token, "bad_number", value=_text(value))
        return None
    return int(number) if whole and number.is_integer() else number


def _duration(value: Cell, token: int, reading: Report, *, allow_off: bool) -> Any:
    if isinstance(value, time):
        text = f"PT{value.hour}H{value.minute}M" if value.minute else f"PT{value.hour}H"
        return text if value.hour else f"PT{value.minute}M"
    text = _text(value).strip()
    if allow_off and _fold(text) in NONE_WORDS:
        return "off"
    iso = duration_iso(text)
    if not is_duration(iso):
        reading.error(token, "bad_duration_words", value=text)
        return None
    return iso
