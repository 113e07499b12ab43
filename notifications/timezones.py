"""VTIMEZONE as calendar clients write it: a STANDARD and a DAYLIGHT observance, each with the
yearly RRULE of its change, worked out from the zone's own transitions (zoneinfo).

A zone without daylight saving time is one fixed STANDARD observance. A zone whose changes
follow no yearly rule over the years asked for (rules changed, or dates set each year) gets
one observance per change instead; never RDATEs.
"""

from __future__ import annotations

import calendar as months
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CHECKED_YEARS = 5  # a rule must give the zone's changes this many years at least
EPOCH_YEAR = 1970  # where clients start their observances (Thunderbird, Outlook)


class Change(NamedTuple):
    """One change of the zone's offset: when (UTC), from which offset to which, its name."""

    at: datetime
    before: timedelta
    after: timedelta
    name: str

    @property
    def wall(self) -> datetime:
        """The local wall-clock time it happens at, as read before the change."""
        return (self.at + self.before).replace(tzinfo=None)


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    return offset if offset is not None else timedelta(0)


def _changes(zone: ZoneInfo, year: int) -> list[Change]:
    """The zone's offset changes in `year`, found day by day, then to the second."""
    found = []
    moment, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    before = _offset(zone, moment)
    while moment < end:
        following = moment + timedelta(days=1)
        after = _offset(zone, following)
        if after != before:
            low, high = moment, following  # offset(low) == before, offset(high) == after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            found.append(Change(high, before, after, high.astimezone(zone).tzname() or ""))
        moment, before = following, after
    return found


def _candidates(change: Change, days: list[int]) -> list[str]:
    """Yearly rules that put a change on its day: the last or nth weekday, the first weekday
    on or after a date (tzdata's `Sun>=8`, the date being the earliest seen), or the date."""
    wall = change.wall
    month, day, weekday = wall.month, wall.day, WEEKDAYS[wall.weekday()]
    rules = []
    if day + 7 > months.monthrange(wall.year, month)[1]:
        rules.append(f"FREQ=YEARLY;BYMONTH={month};BYDAY=-1{weekday}")
    if day <= 28:
        rules.append(f"FREQ=YEARLY;BYMONTH={month};BYDAY={(day - 1) // 7 + 1}{weekday}")
    earliest = min(days)
    if max(days) - earliest <= 6 and earliest + 6 <= (
        29 if month == 2 else months.monthrange(2001, month)[1]
    ):
        window = ",".join(str(d) for d in range(earliest, earliest + 7))
        rules.append(f"FREQ=YEARLY;BYMONTH={month};BYDAY={weekday};BYMONTHDAY={window}")
    rules.append(f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}")
    return rules


def _on(rule: str, wall: datetime, year: int) -> datetime | None:
    """The rule's occurrence in `year`, at the wall-clock time of `wall`."""
    start = wall.replace(year=EPOCH_YEAR, month=1, day=1)
    return rrulestr(rule, dtstart=start).after(start.replace(year=year) - timedelta(seconds=1))


def _rule_for(change: Change, changes: dict[int, list[Change]]) -> str | None:
    """A rule that gives this change, with its offsets, in every year looked at."""
    offsets = (change.before, change.after)
    walls = {
        year: [c.wall for c in found if (c.before, c.after) == offsets]
        for year, found in changes.items()
    }
    days = [
        wall.day for found in walls.values() for wall in found if wall.month == change.wall.month
    ]
    for rule in _candidates(change, days or [change.wall.day]):
        if all(found == [_on(rule, change.wall, year)] for year, found in walls.items()):
            return rule
    return None


def _observance(
    change: Change, start: datetime, rule: str | None
) -> TimezoneDaylight | TimezoneStandard:
    observance = TimezoneDaylight() if change.after > change.before else TimezoneStandard()
    observance.add("tzname", change.name)
    observance.add("tzoffsetfrom", change.before)
    observance.add("tzoffsetto", change.after)
    observance.add("dtstart", start)
    if rule is not None:
        observance.add("rrule", vRecur.from_ical(rule))
    return observance


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of `tzid` for times of `first_year` to `last_year` (ValueError when the
    zone is unknown)."""
    try:
        zone = ZoneInfo(tzid)
    except (KeyError, ValueError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {tzid}") from error
    last_year = max(last_year, first_year + CHECKED_YEARS - 1)
    changes = {year: _changes(zone, year) for year in range(first_year, last_year + 1)}
    component = Timezone()
    component.add("tzid", tzid)
    component.add("x-lic-location", tzid)
    every = [change for found in changes.values() for change in found]
    if not every:
        moment = datetime(first_year, 1, 1, tzinfo=UTC)
        offset = _offset(zone, moment)
        fixed = Change(moment, offset, offset, moment.astimezone(zone).tzname() or tzid)
        component.add_component(_observance(fixed, datetime(EPOCH_YEAR, 1, 1), None))
        return component
    yearly = changes[first_year]
    rules = [_rule_for(change, changes) for change in yearly]
    if len(yearly) == 2 and all(rules) and all(len(found) == 2 for found in changes.values()):
        for change, rule in zip(yearly, rules, strict=True):
            assert rule is not None
            start = _on(rule, change.wall, EPOCH_YEAR)
            assert start is not None
            component.add_component(_observance(change, start, rule))
        return component
    # No yearly rule holds: the offset in force at first, then each change as it comes.
    opening = every[0]
    name = (opening.at - timedelta(seconds=1)).astimezone(zone).tzname() or tzid
    component.add_component(
        _observance(
            Change(opening.at, opening.before, opening.before, name),
            datetime(EPOCH_YEAR, 1, 1),
            None,
        )
    )
    for change in every:
        component.add_component(_observance(change, change.wall, None))
    return component
