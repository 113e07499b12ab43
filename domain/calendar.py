"""Working days, public holidays and the expansion of plan items into dated occurrences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_data
from dateutil.rrule import rrule, rrulestr

from domain.model import OnHoliday, Organisation, PlanItem, Weekday

DATE_ONLY_DUE_TIME = time(17, 0)
# A weekly item has 53 occurrences at most; twice a week, 105.
MAX_OCCURRENCES_PER_ITEM = 200


class TooManyOccurrences(ValueError):
    """Raised when a rule yields more occurrences in a year than an item may have."""

    def __init__(self, limit: int, days_scanned: int) -> None:
        super().__init__(f"more than {limit} occurrences")
        self.limit = limit
        self.days_scanned = days_scanned


def _split_code(code: str) -> tuple[str, str | None]:
    country, _, subdivision = code.strip().upper().partition("-")
    return country, subdivision or None


@lru_cache(maxsize=1)
def _supported() -> dict[str, list[str]]:
    return {
        country.upper(): [sub.upper() for sub in subdivisions]
        for country, subdivisions in holiday_data.list_supported_countries().items()
    }


def holiday_calendar_exists(code: str) -> bool:
    """Tell whether `code` (FR, FR-57, FR-6AE...) names a known public holidays calendar."""
    country, subdivision = _split_code(code)
    subdivisions = _supported().get(country)
    return subdivisions is not None and (subdivision is None or subdivision in subdivisions)


@lru_cache(maxsize=256)
def holiday_dates(code: str, year: int) -> dict[date, str]:
    """Public holidays of `year` with their French names."""
    country, subdivision = _split_code(code)
    calendar = holiday_data.country_holidays(country, subdiv=subdivision, years=year, language="fr")
    return dict(calendar.items())


def holiday_table(organisation: Organisation, years: range) -> dict[str, str]:
    """The organisation's public holidays over `years`, as ISO date → name.

    Workflows receive this table instead of computing holidays: a newer `holidays` release
    could otherwise move a date under a running year and break the replay of its history.
    """
    if organisation.holidays is None:
        return {}
    table: dict[str, str] = {}
    for year in years:
        for day, name in holiday_dates(organisation.holidays, year).items():
            table[day.isoformat()] = name
    return table


@dataclass(frozen=True)
class WorkingCalendar:
    """An organisation's working days and public holidays in its timezone."""

    zone: ZoneInfo
    working_weekdays: frozenset[int]
    holidays_code: str | None
    on_holiday: OnHoliday
    table: dict[date, str] | None = field(default=None, compare=False, hash=False, repr=False)
    _working: dict[date, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, organisation: Organisation, table: dict[str, str] | None = None) -> WorkingCalendar:
        """The organisation's calendar; with `table`, holidays come from it and nowhere else."""
        if table is not None:
            return cls(
                ZoneInfo(organisation.timezone),
                frozenset(day.number for day in organisation.working_days),
                organisation.holidays,
                organisation.on_holiday,
                {date.fromisoformat(day): name for day, name in table.items()},
            )
        return _calendar(
            organisation.timezone,
            tuple(day.value for day in organisation.working_days),
            organisation.holidays,
            organisation.on_holiday.value,
        )

    def holiday_name(self, day: date) -> str | None:
        if self.table is not None:
            return self.table.get(day)
        if self.holidays_code is None:
            return None
        return holiday_dates(self.holidays_code, day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = day.weekday() in self.working_weekdays and self.holiday_name(day) is None
            self._working[day] = known
        return known

    def next_working_day(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def move(self, day: date, rule: OnHoliday) -> date:
        """Where an occurrence on `day` lands under `rule`."""
        if rule == OnHoliday.next_working_day:
            return self.next_working_day(day)
        if rule == OnHoliday.previous_working_day:
            return self.previous_working_day(day)
        return day

    def local(self, day: date, at: time) -> datetime:
        """The aware local instant of wall-clock `at` on `day`."""
        return datetime.combine(day, at, tzinfo=self.zone)


@lru_cache(maxsize=64)
def _calendar(
    zone: str, working: tuple[str, ...], code: str | None, on_holiday: str
) -> WorkingCalendar:
    weekdays = frozenset(Weekday(day).number for day in working)
    return WorkingCalendar(ZoneInfo(zone), weekdays, code, OnHoliday(on_holiday))


@dataclass(frozen=True)
class Occurrence:
    """One dated occurrence of a plan item: where it was scheduled and where it landed."""

    original: datetime
    due: datetime

    @property
    def shifted(self) -> bool:
        return self.original != self.due


def anchor_datetime(item: PlanItem) -> tuple[datetime, bool]:
    """The naive local start of an item, and whether it was given as a date only."""
    text = item.anchor
    if "T" in text:
        return datetime.fromisoformat(text), False
    return datetime.combine(date.fromisoformat(text), DATE_ONLY_DUE_TIME), True


@dataclass(frozen=True)
class Expansion:
    """A rule's occurrences in a year, and how many days dateutil went through to find them."""

    moments: tuple[datetime, ...]
    days_scanned: int


def parse_rrule(
    rule: str, start: datetime, year: int, zone: ZoneInfo | None = None
) -> list[datetime]:
    """Expand `rule` from naive local `start` to its occurrences within `year`."""
    return list(expand_rrule(rule, start, year, zone).moments)


@lru_cache(maxsize=4096)
def expand_rrule(rule: str, start: datetime, year: int, zone: ZoneInfo | None = None) -> Expansion:
    """The occurrences of `rule` in `year`; TooManyOccurrences past MAX_OCCURRENCES_PER_ITEM."""
    recurrence = parse_recurrence(rule, start, zone)
    if start.year > year:
        return Expansion((), 0)
    return _within_year(recurrence, start, year)


def parse_recurrence(rule: str, start: datetime, zone: ZoneInfo | None = None) -> rrule:
    """Read `rule` from naive local `start` without expanding it; ValueError when invalid."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "DTSTART" in text.upper():
        raise ValueError("DTSTART belongs in start, not in the rule")
    parts = []
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip().upper() == "UNTIL":
            value = _local_until(value.strip(), zone)
        parts.append(f"{key}={value}" if key else part)
    recurrence = rrulestr(";".join(parts), dtstart=start, ignoretz=True)
    if not isinstance(recurrence, rrule):
        raise ValueError("one RRULE only")
    if _read_back(recurrence)[2] < 1:  # dateutil would loop forever on 0
        raise ValueError("INTERVAL must be 1 or more")
    return recurrence


def _read_back(recurrence: rrule) -> tuple[int | None, datetime | None, int]:
    """COUNT, UNTIL and INTERVAL as dateutil read them (it keeps no public accessor)."""
    fields = vars(recurrence)
    return fields["_count"], fields["_until"], fields["_interval"]


def _within_year(recurrence: rrule, start: datetime, year: int) -> Expansion:
    """Expand the rule over `year` in a calendar twin of its years close to 9999."""
    # dateutil seeks a next occurrence up to 9999: 6 s for one that never comes (30 February).
    offset = _twin_offset(start.year, year + 1)
    # COUNT and UNTIL are applied here, so that the search ends at the last occurrence wanted.
    count, until, interval = _read_back(recurrence)
    last = datetime(year, 12, 31, 23, 59, 59)
    if until is not None and until < start:
        return Expansion((), 0)
    stop = until if until is not None and until < last else last
    twin_start = start.replace(year=start.year + offset)
    twin = recurrence.replace(dtstart=twin_start, count=None, until=None)
    twin_first = datetime(year + offset, 1, 1)
    twin_stop = stop.replace(year=stop.year + offset)
    found: list[datetime] = []
    emitted = 0
    reached = datetime.max
    moments = iter(twin)
    while True:
        try:
            moment = next(moments)
        except (StopIteration, ValueError, OverflowError):  # past 9999-12-31: nothing more
            break
        if moment > twin_stop:
            reached = moment
            break
        emitted += 1
        if moment >= twin_first:
            if len(found) == MAX_OCCURRENCES_PER_ITEM:
                days = _days_scanned(twin_start, moment, interval)
                raise TooManyOccurrences(MAX_OCCURRENCES_PER_ITEM, days)
            found.append(moment.replace(year=moment.year - offset))
        if count is not None and emitted >= count:
            reached = moment
            break
    return Expansion(tuple(found), _days_scanned(twin_start, reached, interval))


def _days_scanned(start: datetime, reached: datetime, interval: int) -> int:
    """Days dateutil went through from `start` to `reached`, one period in INTERVAL each."""
    days = (min(reached, datetime(9999, 12, 31)) - start).days
    return max(1, days // interval)


LATEST_TWIN_YEAR = 9998  # a week straddling its end still fits before 9999-12-31


@lru_cache(maxsize=256)
def _twin_offset(first: int, last: int) -> int:
    """Years to add to [first, last] for the latest span with the same leap years and weekdays."""
    # Every date keeps its weekday, ISO week and day of the year; the calendar repeats in 400.
    weekday = date(first, 1, 1).weekday()
    leaps = [_is_leap(year) for year in range(first, last + 1)]
    for twin_first in range(LATEST_TWIN_YEAR - (last - first), first, -1):
        if date(twin_first, 1, 1).weekday() == weekday and all(
            _is_leap(twin_first + index) == leap for index, leap in enumerate(leaps)
        ):
            return twin_first - first
    return 0


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _local_until(value: str, zone: ZoneInfo | None) -> str:
    """Occurrences are naive local times, so UNTIL is made naive local too."""
    if "T" not in value.upper():
        return value + "T235959"
    if value.upper().endswith("Z"):
        moment = datetime.strptime(value[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        if zone is not None:
            moment = moment.astimezone(zone)
        return moment.strftime("%Y%m%dT%H%M%S")
    return value


def expand_item(item: PlanItem, year: int, calendar: WorkingCalendar) -> list[Occurrence]:
    """Every occurrence of `item` in `year`, moved off holidays and non-working days."""
    start, _ = anchor_datetime(item)
    if item.rrule:
        moments = parse_rrule(item.rrule, start, year, calendar.zone)
    else:
        moments = [start] if start.year == year else []
    rule = item.on_holiday or calendar.on_holiday
    occurrences = []
    for moment in moments:
        original = moment.replace(tzinfo=calendar.zone)
        landed = calendar.move(moment.date(), rule)
        due = original if landed == moment.date() else calendar.local(landed, moment.time())
        occurrences.append(Occurrence(original=original, due=due))
    return occurrences


def task_id(portfolio: str, year: int, item: str, original: datetime) -> str:
    """The stable identity of an occurrence, dated by its unshifted local date."""
    return f"{portfolio}/{year}/{item}/{original.date().isoformat()}"
