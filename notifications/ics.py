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

PRODID = "-//Boucle//Achats responsables//FR"
NON_EVENT_LENGTH = timedelta(minutes=30)


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
    calendar.add_missing_timezones()
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


def _bounded_rule(rule: str, last: datetime) -> str:
    until = last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return ";".join(f"{key}={value}" for key, value in _rule_body(rule)) + f";UNTIL={until}"


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
    master.add("rrule", vRecur.from_ical(_bounded_rule(rule, members[-1].original)))
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
) -> Calendar:
    """One event as an iTIP message (RFC 5546): REQUEST to invite or update, CANCEL."""
    from icalendar import Alarm, vCalAddress, vText

    calendar = new_calendar(method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
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
    calendar.add_missing_timezones()
    return calendar
