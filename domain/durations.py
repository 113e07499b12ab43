"""ISO 8601 durations (P7D, PT1H30M, P2W) as used by plan files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

_PATTERN = re.compile(
    r"^(?P<sign>-)?P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    """A parsed duration: whole days plus a time part, kept apart for calendar arithmetic."""

    days: int
    time: timedelta

    @property
    def has_time(self) -> bool:
        return self.time != timedelta(0)

    @property
    def total(self) -> timedelta:
        return timedelta(days=self.days) + self.time


@lru_cache(maxsize=1024)
def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration in weeks, days, hours, minutes and seconds."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip().endswith("T"):
        raise ValueError(f"invalid ISO 8601 duration: {text!r}")
    parts = {
        key: int(value) if value else 0 for key, value in match.groupdict().items() if key != "sign"
    }
    sign = -1 if match.group("sign") else 1
    days = sign * (parts["weeks"] * 7 + parts["days"])
    time = sign * timedelta(
        hours=parts["hours"], minutes=parts["minutes"], seconds=parts["seconds"]
    )
    return Duration(days=days, time=time)


def is_duration(text: object) -> bool:
    """Tell whether `text` is a duration that parse_duration accepts."""
    if not isinstance(text, str):
        return False
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def format_duration(value: timedelta) -> str:
    """Render a timedelta as an ISO 8601 duration."""
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    time = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    if time:
        text += "T" + time
    return text if text != "P" else "PT0S"
