"""A person's calendar feed (RFC 5545, METHOD:PUBLISH): their tasks and events, one text.

Calendar clients poll the feed's URL and replace what they hold with what it says, so every
event keeps one UID from one poll to the next; a recurring item is one series whose moved
occurrences are overrides (RECURRENCE-ID) and whose cancelled ones are EXDATEs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from domain.tasks import Task
from notifications.ics import add_timezones, new_calendar, series_rule, task_length

REFRESH = "PT1H"  # how often clients are asked to poll
# Not the invitations' UIDs: a client that finds an invitation's UID in a read-only
# subscribed calendar tries to update that copy and fails, or shows one event twice.
UID_DOMAIN = "feed.boucle"

LABELS = {
    "fr": {
        "calendar": "Boucle — {name}",
        "description": "Tâches et événements de {name} (achats responsables)",
        "portfolio": "Portefeuille : {value}",
        "assignees": "Responsable(s) : {value}",
        "attendees": "Participant(s) : {value}",
    },
    "en": {
        "calendar": "Boucle — {name}",
        "description": "Tasks and events of {name} (responsible purchasing)",
        "portfolio": "Portfolio: {value}",
        "assignees": "Assignee(s): {value}",
        "attendees": "Attendee(s): {value}",
    },
}


@dataclass(frozen=True)
class FeedEntry:
    """One task of the person's, as the store has it: its status and calendar sequence."""

    task: Task
    status: str = "open"  # open done cancelled missed
    sequence: int = 0
    updated_at: datetime | None = None


def feed_series_uid(task: Task) -> str:
    return f"{task.portfolio}/{task.year}/{task.item}@{UID_DOMAIN}"


def feed_task_uid(task: Task) -> str:
    return f"{task.id}@{UID_DOMAIN}"


@dataclass(frozen=True)
class _Words:
    """What an event's text is made of: names by id, the labels of the person's language."""

    people: Mapping[str, str]
    portfolios: Mapping[str, str]
    labels: Mapping[str, str]


def person_feed(
    *,
    name: str,
    entries: Iterable[FeedEntry],
    rules: Mapping[tuple[str, int, str], str],
    names: Mapping[str, str],
    zone: ZoneInfo,
    stamp: datetime,
    locale: str = "fr",
    portfolios: Mapping[str, str] | None = None,
) -> str:
    """The feed of one person's entries; `rules` gives each recurring item's RRULE by
    (portfolio, year, item), `names` each person's name and `portfolios` each portfolio's."""
    labels = LABELS.get(locale, LABELS["fr"])
    words = _Words(names, portfolios or {}, labels)
    calendar = new_calendar("PUBLISH")
    calendar.add("x-wr-calname", labels["calendar"].format(name=name))
    calendar.add("x-wr-caldesc", labels["description"].format(name=name))
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    series: dict[tuple[str, int, str], list[FeedEntry]] = defaultdict(list)
    for entry in entries:
        task = entry.task
        series[(task.portfolio, task.year, task.item)].append(entry)
    for key in sorted(series):
        members = sorted(series[key], key=lambda entry: entry.task.original)
        rule = series_rule(rules.get(key), [entry.task for entry in members], zone)
        if rule is None:
            for entry in members:
                if entry.status != "cancelled":
                    uid = feed_task_uid(entry.task)
                    calendar.add_component(_event(uid, entry, words, zone, _stamp([entry], stamp)))
        elif any(entry.status != "cancelled" for entry in members):
            _add_series(calendar, members, rule, words, zone, stamp)
    add_timezones(calendar)
    return calendar.to_ical().decode()


def _stamp(entries: list[FeedEntry], stamp: datetime) -> datetime:
    """When the event last changed: the same text from one poll to the next, until it does."""
    known = [entry.updated_at for entry in entries if entry.updated_at is not None]
    return (max(known) if known else stamp).astimezone(UTC).replace(microsecond=0)


def _event(uid: str, entry: FeedEntry, words: _Words, zone: ZoneInfo, stamp: datetime) -> Event:
    task = entry.task
    labels = words.labels
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", entry.sequence)
    event.add("dtstart", task.due.astimezone(zone))
    event.add("dtend", (task.due + task_length(task)).astimezone(zone))
    event.add("summary", task.title)
    if task.location:
        event.add("location", task.location)
    portfolio = words.portfolios.get(task.portfolio, task.portfolio)
    lines = [labels["portfolio"].format(value=portfolio)]
    for role, people in (("assignees", task.assignees), ("attendees", task.attendees)):
        if people:
            value = ", ".join(words.people.get(person, person) for person in people)
            lines.append(labels[role].format(value=value))
    if task.description:
        lines.append(task.description)
    event.add("description", "\n".join(lines))
    event.add("categories", [task.kind.value])
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE" if task.is_event else "TRANSPARENT")
    return event


def _add_series(
    calendar: Calendar,
    members: list[FeedEntry],
    rule: str,
    words: _Words,
    zone: ZoneInfo,
    stamp: datetime,
) -> None:
    first = members[0]
    uid = feed_series_uid(first.task)
    # The master names the series as planned: its first occurrence where the rule puts it.
    planned = FeedEntry(
        first.task.model_copy(update={"due": first.task.original}),
        sequence=max(entry.sequence for entry in members),
    )
    master = _event(uid, planned, words, zone, _stamp(members, stamp))
    master.add("rrule", vRecur.from_ical(rule))
    for entry in members:
        if entry.status == "cancelled":
            master.add("exdate", entry.task.original.astimezone(zone))
    calendar.add_component(master)
    for entry in members:
        if entry.status == "cancelled" or entry.task.due == entry.task.original:
            continue
        moved = _event(uid, entry, words, zone, _stamp([entry], stamp))
        moved.add("recurrence-id", entry.task.original.astimezone(zone))
        calendar.add_component(moved)
