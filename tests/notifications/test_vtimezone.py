"""An invitation's VTIMEZONE is written as calendar clients write it, and gives the right times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from domain.model import Kind
from domain.tasks import Task
from notifications.invitations import invitation
from notifications.messages import MessageType
from notifications.timezones import vtimezone

STAMP = datetime(2026, 12, 1, 8, tzinfo=UTC)
# A name no library knows (vobject keeps zones by name: one per zone), so the times can
# only come from the VTIMEZONE the message carries.
UNKNOWN = "As-Written/{zone}"


def training(zone: ZoneInfo, local: datetime, name: str = "formation") -> Task:
    due = local.replace(tzinfo=zone)
    return Task(
        id=f"restauration/2027/{name}/{local.date().isoformat()}",
        portfolio="restauration",
        year=2027,
        item=name,
        kind=Kind.training_session,
        title="Formation saisonnalité",
        due=due,
        original=due,
        assignees=("qdd",),
        attendees=("resto",),
        duration="PT3H",
        location="Arras",
    )


def invitation_ics(zone: ZoneInfo, local: datetime) -> str:
    calendar, _ = invitation(
        training(zone, local),
        [("Claire Martin", "claire.martin@example.org"), ("Paul Durand", "paul@example.org")],
        zone,
        MessageType.invitation,
        0,
        ("Boucle", "boucle@example.org"),
        STAMP,
        None,
    )
    return calendar.decode()


def test_paris_is_two_observances_with_their_rules() -> None:
    text = invitation_ics(ZoneInfo("Europe/Paris"), datetime(2027, 3, 16, 14, 0))
    block = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")]
    assert "RDATE" not in text and "2038" not in text
    assert block.replace("\r\n", "\n").split("\n")[1:] == [
        "TZID:Europe/Paris",
        "X-LIC-LOCATION:Europe/Paris",
        "BEGIN:DAYLIGHT",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "TZNAME:CEST",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "TZNAME:CET",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "",
    ]


@pytest.mark.parametrize(
    ("zone", "local", "instant"),
    [
        # Paris: 16 March is winter time (+01:00), 1 July summer time (+02:00).
        ("Europe/Paris", datetime(2027, 3, 16, 14, 0), datetime(2027, 3, 16, 13, 0, tzinfo=UTC)),
        ("Europe/Paris", datetime(2027, 7, 1, 9, 30), datetime(2027, 7, 1, 7, 30, tzinfo=UTC)),
        # The Monday after the change, both ways: 29 March (summer), 1 November (winter).
        ("Europe/Paris", datetime(2027, 3, 29, 9, 0), datetime(2027, 3, 29, 7, 0, tzinfo=UTC)),
        ("Europe/Paris", datetime(2027, 11, 1, 9, 0), datetime(2027, 11, 1, 8, 0, tzinfo=UTC)),
        # Saint-Pierre-et-Miquelon follows North America: -03:00 in winter, -02:00 from the
        # second Sunday of March (14 March 2027) to the first Sunday of November.
        (
            "America/Miquelon",
            datetime(2027, 1, 15, 10, 0),
            datetime(2027, 1, 15, 13, 0, tzinfo=UTC),
        ),
        (
            "America/Miquelon",
            datetime(2027, 3, 15, 10, 0),
            datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
        ),
        # La Réunion has no summer time: one fixed offset, +04:00.
        ("Indian/Reunion", datetime(2027, 7, 1, 9, 0), datetime(2027, 7, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_a_calendar_client_reads_the_right_instant(
    zone: str, local: datetime, instant: datetime
) -> None:
    text = invitation_ics(ZoneInfo(zone), local).replace(zone, UNKNOWN.format(zone=zone))
    assert "RDATE" not in text
    card = vobject.readOne(text)
    assert card.vevent.dtstart.value.astimezone(UTC) == instant
    assert card.vevent.dtend.value.astimezone(UTC) == instant + timedelta(hours=3)
    parsed = icalendar.Calendar.from_ical(text)
    (component,) = parsed.walk("VTIMEZONE")
    observances = component.subcomponents
    if zone == "Indian/Reunion":
        assert [(o.name, "RRULE" in o) for o in observances] == [("STANDARD", False)]
    else:
        assert sorted((o.name, "RRULE" in o) for o in observances) == [
            ("DAYLIGHT", True),
            ("STANDARD", True),
        ]
    start = parsed.walk("VEVENT")[0]["dtstart"].dt.replace(tzinfo=None)
    assert start == local
    assert start.replace(tzinfo=component.to_tz()).astimezone(UTC) == instant


def test_a_zone_whose_rule_is_a_weekday_on_or_after_a_date() -> None:
    """Chile changes on the first Sunday on or after the 2nd (tzdata's Sun>=2)."""
    text = vtimezone("America/Santiago", 2027, 2027).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=SU;BYMONTHDAY=2,3,4,5,6,7,8;BYMONTH=4" in text
    assert "RDATE" not in text
