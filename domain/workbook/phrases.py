"""Durations and recurrences as a workbook shows them ("1 h 30 min", "le 2e jeudi, tous les
3 mois" in four columns), and back to ISO 8601 and RRULE text.

A value is shown in words only when the words read back to the very same text, so that a
round trip changes nothing; any other value stays in its plan-file form, which is read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.workbook.labels import label, value_of

_ISO_PARTS = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_UNITS = ("W", "D", "H", "M", "S")
_SINGULAR = {"W": "semaine", "D": "jour", "H": "h", "M": "min", "S": "s"}
_PLURAL = {"W": "semaines", "D": "jours", "H": "h", "M": "min", "S": "s"}
_UNIT_WORDS = {
    **{word: "W" for word in ("sem", "sem.", "semaine", "semaines", "w", "week", "weeks")},
    **{word: "D" for word in ("j", "jour", "jours", "d", "day", "days")},
    **{word: "H" for word in ("h", "heure", "heures", "hour", "hours")},
    **{word: "M" for word in ("min", "mn", "minute", "minutes")},
    **{word: "S" for word in ("s", "sec", "seconde", "secondes", "second", "seconds")},
}
_SPOKEN = re.compile(r"(\d+)\s*([^\d\s,]+)")


def duration_words(iso: str) -> str:
    """'PT1H30M' as '1 h 30 min', 'P7D' as '7 jours'; other text unchanged."""
    match = _ISO_PARTS.match(iso)
    if not match or iso in ("P", "PT") or iso.endswith("T"):
        return iso
    words = [
        f"{amount} {(_SINGULAR if amount in ('0', '1') else _PLURAL)[unit]}"
        for unit, amount in zip(_UNITS, match.groups(), strict=True)
        if amount is not None
    ]
    spoken = " ".join(words)
    return spoken if words and duration_iso(spoken) == iso else iso


def duration_iso(text: str) -> str:
    """'1 h 30 min' as 'PT1H30M'; text that is not in words comes back unchanged."""
    stripped = text.strip()
    if not stripped or stripped.upper().startswith(("P", "-P")):
        return stripped.upper() if _ISO_PARTS.match(stripped.upper()) else stripped
    amounts: dict[str, str] = {}
    position = 0
    for found in _SPOKEN.finditer(stripped):
        if stripped[position : found.start()].strip():
            return stripped
        unit = _UNIT_WORDS.get(found.group(2).lower())
        if (
            unit is None
            or unit in amounts
            or any(_UNITS.index(seen) > _UNITS.index(unit) for seen in amounts)
        ):
            return stripped
        amounts[unit] = str(int(found.group(1)))
        position = found.end()
    if not amounts or stripped[position:].strip():
        return stripped
    days = "".join(f"{amounts[unit]}{unit}" for unit in ("W", "D") if unit in amounts)
    time = "".join(f"{amounts[unit]}{unit}" for unit in ("H", "M", "S") if unit in amounts)
    return "P" + days + ("T" + time if time else "")


@dataclass(frozen=True)
class RecurrenceColumns:
    """A rule in four columns: chaque (jour/semaine/mois/an), intervalle, jour, rang."""

    every: str = ""
    interval: int | None = None
    day: str = ""
    rank: str = ""

    @property
    def empty(self) -> bool:
        return not (self.every or self.interval or self.day or self.rank)


_RULE_PART = re.compile(r"^(-?\d)?(MO|TU|WE|TH|FR|SA|SU)$")


def rule_columns(rrule: str) -> RecurrenceColumns | None:
    """The columns that say `rrule`, or None when they cannot say it exactly."""
    parts = dict(part.partition("=")[::2] for part in rrule.split(";"))
    if len(parts) != rrule.count(";") + 1 or "FREQ" not in parts:
        return None
    every = {"DAILY": "jour", "WEEKLY": "semaine", "MONTHLY": "mois", "YEARLY": "an"}
    if parts["FREQ"] not in every:
        return None
    interval = parts.get("INTERVAL")
    columns = RecurrenceColumns(
        every=every[parts["FREQ"]],
        interval=int(interval) if interval and interval.isdigit() else None,
    )
    if "BYDAY" in parts:
        days, ranks = [], set()
        for piece in parts["BYDAY"].split(","):
            match = _RULE_PART.match(piece)
            if not match:
                return None
            days.append(label("weekday", match.group(2)))
            ranks.add(match.group(1) or "")
        if len(ranks) != 1 or (rank := ranks.pop()) not in ("", "1", "2", "3", "4", "5", "-1"):
            return None
        columns = RecurrenceColumns(
            columns.every, columns.interval, ", ".join(days), label("rank", rank) if rank else ""
        )
    elif "BYMONTHDAY" in parts:
        day = parts["BYMONTHDAY"]
        columns = RecurrenceColumns(
            columns.every, columns.interval, "dernier" if day == "-1" else day
        )
    try:
        return columns if columns_rule(columns) == rrule else None
    except ValueError:
        return None


def columns_rule(columns: RecurrenceColumns) -> str:
    """The RRULE the columns say; raise ValueError(column key, message) when they cannot."""
    frequency = value_of("frequency", columns.every) if columns.every else None
    if frequency is None:
        raise ValueError("every", "rule_every")
    parts = [f"FREQ={frequency}"]
    if columns.interval is not None:
        if columns.interval < 1:
            raise ValueError("interval", "rule_interval")
        if columns.interval > 1:
            parts.append(f"INTERVAL={columns.interval}")
    day = columns.day.strip()
    rank = value_of("rank", columns.rank) if columns.rank.strip() else ""
    if rank is None:
        raise ValueError("rank", "rule_rank")
    if not day:
        if rank:
            raise ValueError("day", "rule_rank_needs_day")
        return ";".join(parts)
    pieces = [piece.strip() for piece in day.split(",") if piece.strip()]
    weekdays = [value_of("weekday", piece) for piece in pieces]
    if all(weekdays):
        if rank and frequency not in ("MONTHLY", "YEARLY"):
            raise ValueError("rank", "rule_rank_frequency")
        parts.append("BYDAY=" + ",".join(f"{rank}{weekday}" for weekday in weekdays))
        return ";".join(parts)
    if len(pieces) == 1 and frequency == "MONTHLY" and not rank:
        if value_of("rank", pieces[0]) == "-1":
            return ";".join([*parts, "BYMONTHDAY=-1"])
        number = pieces[0].removesuffix(".0")
        if number.isdigit() and 1 <= int(number) <= 31:
            return ";".join([*parts, f"BYMONTHDAY={int(number)}"])
    raise ValueError("day", "rule_day")
