"""iCalendar (RFC 5545) building: the plan's calendar and per-task invitations."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar, Event, vRecur

from domain.calendar import parse_rrule
from domain.durations import parse_duration
from domain.model import PlanFile
from domain.tasks import Task
from notifications.timezones import vtimezone

PRODID = "-//Boucle//Achats responsables//FR"
NON_EVENT_LENGTH = timedelta(minutes=30)


def _years(calendar: Calendar) -> tuple[int, int] | None:
    """The first and last years of the times the calendar's events use."""
    years = set()
    for event in calendar.walk("VEVENT"):
        for name in ("dtstart", "dtend", "recurrence-id"):
            if name in event:
                years.add(event.decoded(name).year)
        rules = event.get("rrule", [])
        for rule in rules if isinstance(rules, list) else [rules]:
            years.update(until.year for until in rule.get("UNTIL", []))
    return (min(years), max(years)) if years else None


def add_timezones(calendar: Calendar) -> None:
    """The VTIMEZONE of every zone the calendar's times use, with yearly rules (RRULE)."""
    missing = calendar.get_missing_tzids()
    years = _years(calendar)
    if not missing or years is None:
        return
    for tzid in sorted(missing):
        try:
            calendar.add_component(vtimezone(tzid, *years))
        except ValueError:  # a zone zoneinfo does not know: clients fall back to the offset
            continue


def new_calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def task_length(task: Task) -> timedelta:
    if task.duration:
        return parse_duration(task.duration).total
    return timedelta(hours=1) if task.is_event else NON_EVENT_LENGTH


def series_uid(task: Task) -> str:
    return f"{task.portfolio}/{task.year}/{task.item}@boucle"


def task_uid(task: Task) -> str:
    return f"{task.id}@boucle"


def _describe(event: Event, task: Task, document: PlanFile) -> None:
    event.add("summary", task.title)
    if task.location:
        event.add("location", task.location)
    people = document.people_by_id
    names = ", ".join(people[person].name for person in task.assignees if person in people)
    lines = [f"Portefeuille : {task.portfolio}", f"Responsable(s) : {names}"]
    if task.description:
        lines.append(task.description)
    event.add("description", "\n".join(lines))
    event.add("categories", [task.kind.value])


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def plan_calendar(document: PlanFile, tasks: list[Task], stamp: datetime) -> Calendar:
    """One calendar of every occurrence: a recurring item is one series, moves are overrides."""
    zone = document.organisation.zone
    calendar = new_calendar("PUBLISH")
    calendar.add("x-wr-calname", f"Boucle — {document.organisation.name}")
    calendar.add("x-wr-timezone", document.organisation.timezone)
    series: dict[tuple[str, int, str], list[Task]] = defaultdict(list)
    for task in tasks:
        series[(task.portfolio, task.year, task.item)].append(task)
    rules = {
        (plan.portfolio, plan.year, item.id): item.rrule
        for plan in document.plans
        for item in plan.items
    }
    for key, members in series.items():
        members.sort(key=lambda task: task.original)
        rule = rules.get(key)
        if rule and len(members) > 1 and _rule_reproduces(rule, members, zone):
            _add_series(calendar, document, members, rule, zone, stamp)
        else:
            for task in members:
                calendar.add_component(_single(document, task, zone, stamp))
    add_timezones(calendar)
    return calendar


def _single(document: PlanFile, task: Task, zone: ZoneInfo, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", task_uid(task))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", _local(task.due, zone))
    event.add("dtend", _local(task.due + task_length(task), zone))
    _describe(event, task, document)
    return event


def _rule_body(rule: str) -> list[tuple[str, str]]:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    pairs = []
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip().upper() not in ("COUNT", "UNTIL"):
            pairs.append((key.strip().upper(), value.strip()))
    return pairs


def _bounded_rule(rule: str, first: datetime, last: datetime, zone: ZoneInfo) -> str:
    """The rule ending after `last`: UNTIL half-way to the occurrence that would follow (at
    most a day), so that a calendar that is an hour off around DST still keeps `last`."""
    body = ";".join(f"{key}={value}" for key, value in _rule_body(rule))
    start = first.astimezone(zone).replace(tzinfo=None)
    end = last.astimezone(zone).replace(tzinfo=None)
    following = rrulestr(body, dtstart=start).after(end)
    margin = (
        timedelta(days=1) if following is None else min((following - end) / 2, timedelta(days=1))
    )
    until = (end + margin).replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{body};UNTIL={until}"


def _rule_reproduces(rule: str, members: list[Task], zone: ZoneInfo) -> bool:
    """Check that the rule restarted at the first occurrence yields exactly these dates."""
    first = members[0].original.astimezone(zone).replace(tzinfo=None)
    last = members[-1].original.astimezone(zone).replace(tzinfo=None)
    body = ";".join(f"{key}={value}" for key, value in _rule_body(rule))
    try:
        expected = list(rrulestr(body, dtstart=first).between(first, last, inc=True))
    except (ValueError, TypeError):
        return False
    wanted = [task.original.astimezone(zone).replace(tzinfo=None) for task in members]
    return expected == wanted and parse_rrule(rule, first, first.year)[:1] == wanted[:1]


def _add_series(
    calendar: Calendar,
    document: PlanFile,
    members: list[Task],
    rule: str,
    zone: ZoneInfo,
    stamp: datetime,
) -> None:
    first = members[0]
    master = Event()
    master.add("uid", series_uid(first))
    master.add("dtstamp", stamp.astimezone(UTC))
    master.add("dtstart", _local(first.original, zone))
    master.add("dtend", _local(first.original + task_length(first), zone))
    bounded = _bounded_rule(rule, first.original, members[-1].original, zone)
    master.add("rrule", vRecur.from_ical(bounded))
    _describe(master, first, document)
    calendar.add_component(master)
    for task in members:
        if task.shifted_from is None:
            continue
        moved = Event()
        moved.add("uid", series_uid(task))
        moved.add("dtstamp", stamp.astimezone(UTC))
        moved.add("recurrence-id", _local(task.original, zone))
        moved.add("dtstart", _local(task.due, zone))
        moved.add("dtend", _local(task.due + task_length(task), zone))
        _describe(moved, task, document)
        calendar.add_component(moved)


def series_rule(rule: str | None, members: list[Task], zone: ZoneInfo) -> str | None:
    """The RRULE (bounded by UNTIL) that yields exactly these occurrences' original dates, or
    None when the series cannot be told as one rule (then each occurrence is its own event)."""
    members = sorted(members, key=lambda task: task.original)
    if not rule or len(members) < 2 or not _rule_reproduces(rule, members, zone):
        return None
    return _bounded_rule(rule, members[0].original, members[-1].original, zone)


def invitation_calendar(
    *,
    uid: str,
    method: str,
    sequence: int,
    title: str,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    organiser: tuple[str, str],
    attendees: list[tuple[str, str]],
    stamp: datetime,
    location: str | None = None,
    description: str | None = None,
    alarm_before: timedelta | None = timedelta(minutes=30),
    rule: str | None = None,
    recurrence_id: datetime | None = None,
    moved: list[tuple[datetime, datetime, datetime]] | None = None,
) -> Calendar:
    """One event as an iTIP message (RFC 5546): REQUEST to invite or update, CANCEL.

    With `rule`, the event is a series (its RRULE) and `moved` lists the occurrences that a
    holiday moved, as (original, new start, new end) overrides. With `recurrence_id`, the
    message concerns one occurrence of a series sent before (an update or a cancellation).
    """
    from icalendar import Alarm, vCalAddress, vText

    calendar = new_calendar(method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id.astimezone(zone))
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    if rule is not None:
        event.add("rrule", vRecur.from_ical(rule))
    event.add("summary", title)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    organiser_address = vCalAddress(f"mailto:{organiser[1]}")
    organiser_address.params["cn"] = vText(organiser[0])
    event.add("organizer", organiser_address)
    for name, email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        if alarm_before:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", title)
            alarm.add("trigger", -alarm_before)
            event.add_component(alarm)
    calendar.add_component(event)
    for original, new_start, new_end in moved or []:
        override = event.copy()
        for name in ("dtstart", "dtend", "recurrence-id", "rrule"):
            override.pop(name, None)
        override.add("recurrence-id", original.astimezone(zone))
        override.add("dtstart", new_start.astimezone(zone))
        override.add("dtend", new_end.astimezone(zone))
        for component in event.subcomponents:  # the same reminder alarm
            override.add_component(component)
        calendar.add_component(override)
    add_timezones(calendar)
    return calendar
