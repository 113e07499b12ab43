"""The feed builder on its own: what a calendar application is left with for each state."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from domain.model import Kind
from domain.tasks import Task
from notifications.feed import FeedEntry, person_feed

PARIS = ZoneInfo("Europe/Paris")
RULE = "FREQ=WEEKLY;BYDAY=TU"


def weekly(day: int, status: str = "open") -> FeedEntry:
    start = datetime(2027, 3, day, 10, 0, tzinfo=PARIS)
    task = Task(
        id=f"p/2027/point/2027-03-{day:02d}",
        portfolio="p",
        year=2027,
        item="point",
        kind=Kind.supplier_meeting,
        title="Point fournisseurs",
        due=start,
        original=start,
        assignees=("lea",),
        duration="PT1H",
    )
    return FeedEntry(task, status=status)


def shown(text: str) -> list[datetime]:
    events = recurring_ical_events.of(Calendar.from_ical(text)).between(
        datetime(2027, 1, 1, tzinfo=PARIS), datetime(2028, 1, 1, tzinfo=PARIS)
    )
    return sorted(event["DTSTART"].dt for event in events)


def feed(entries: list[FeedEntry], locale: str = "fr") -> str:
    return person_feed(
        name="Léa Roux",
        entries=entries,
        rules={("p", 2027, "point"): RULE},
        names={"lea": "Léa Roux"},
        portfolios={"p": "Restauration"},
        zone=PARIS,
        stamp=datetime(2027, 1, 1, tzinfo=PARIS),
        locale=locale,
    )


def test_a_series_left_with_every_occurrence_cancelled_disappears() -> None:
    text = feed([weekly(2, "cancelled"), weekly(9, "cancelled")])
    assert "BEGIN:VEVENT" not in text and shown(text) == []


def test_done_and_missed_occurrences_stay_and_cancelled_ones_go() -> None:
    text = feed([weekly(2, "done"), weekly(9, "cancelled"), weekly(16, "missed"), weekly(23)])
    assert [moment.day for moment in shown(text)] == [2, 16, 23]
    assert text.count("BEGIN:VEVENT") == 1  # one series, its cancelled occurrence an EXDATE


def test_a_lone_cancelled_event_is_left_out() -> None:
    assert shown(feed([weekly(2, "cancelled")])) == []
    assert [moment.day for moment in shown(feed([weekly(2)]))] == [2]


def test_texts_follow_the_persons_language() -> None:
    unfolded = feed([weekly(2)], locale="en").replace("\r\n ", "")
    assert "Portfolio: Restauration\\nAssignee(s): Léa Roux" in unfolded
    assert "Portefeuille : Restauration" in feed([weekly(2)]).replace("\r\n ", "")


def test_a_series_with_a_gap_is_told_occurrence_by_occurrence() -> None:
    """An occurrence reassigned to someone else leaves a gap the rule cannot tell."""
    text = feed([weekly(2), weekly(16), weekly(23)])
    assert "RRULE:FREQ=WEEKLY" not in text and text.count("BEGIN:VEVENT") == 3
    assert [moment.day for moment in shown(text)] == [2, 16, 23]


def test_a_first_occurrence_moved_is_an_override_of_the_planned_start() -> None:
    first = weekly(2)
    moved = first.task.model_copy(update={"due": first.task.due + timedelta(days=1)})
    text = feed([FeedEntry(moved, sequence=2), weekly(9)])
    assert "DTSTART;TZID=Europe/Paris:20270302T100000" in text  # the series as planned
    assert "RECURRENCE-ID;TZID=Europe/Paris:20270302T100000" in text
    assert [moment.day for moment in shown(text)] == [3, 9]
