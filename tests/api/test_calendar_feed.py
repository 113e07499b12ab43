"""A person's calendar feed, as a calendar application subscribed to it reads it.

The feed is expanded by an independent library (recurring-ical-events), and what it gives is
compared with what `boucle simulate` says of the same person's year.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlmodel import select
from typer.testing import CliRunner

from activities.store import StoreActivities
from api.access import route_table
from api.logs import redacted_path
from api.main import create_app
from api.routes import calendar_feed
from boucle.cli import app as cli
from domain.tasks import plan_tasks
from domain.validation import load_plan
from services.feeds import feed_text, issue_feed, person_of_feed
from services.settings import Settings
from services.tokens import create_token
from store.database import SessionFactory
from store.tables import CalendarFeed, Person
from tests.engine.support import running_cycle, store_with
from workflows.types import TaskRow, TaskStatus

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
PARIS = ZoneInfo("Europe/Paris")
PERSON = "qdd"  # the officer: assigned to series and single tasks, invited to four events
CANCELLED = "pilotage/2027/veille/2027-03-01"  # one occurrence of a series, cancelled
MOVED = "pilotage/2027/veille/2027-06-07"  # moved by the officer
MOVED_TO = datetime(2027, 6, 8, 14, 0, tzinfo=PARIS)
HOLIDAY_MOVES = {  # moved by the working calendar (Ascension, Whit Monday, All Saints' Day)
    "pilotage/2027/reunion-acheteurs/2027-05-06": datetime(2027, 5, 7, 14, 0, tzinfo=PARIS),
    "pilotage/2027/formation-achat-durable/2027-05-17": datetime(2027, 5, 18, 9, 0, tzinfo=PARIS),
    "pilotage/2027/veille/2027-11-01": datetime(2027, 11, 2, 9, 30, tzinfo=PARIS),
}
Occurrence = tuple[str, str]  # task id, start as UTC ISO 8601


def utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def simulated(person: str) -> set[Occurrence]:
    """The person's occurrences as `boucle simulate --format json` prints them: the tasks
    they are assigned to, and the events they are invited to."""
    result = CliRunner().invoke(cli, ["simulate", str(DEMO), "--format", "json"])
    assert result.exit_code == 0, result.output
    timeline = json.loads(result.output)
    invited = {
        notice["task"]
        for notice in timeline["notifications"]
        if notice["type"] == "invitation" and person in notice["to"]
    }
    return {
        (row["task"], row["due_utc"])
        for row in timeline["occurrences"]
        if person in row["assignees"] or row["task"] in invited
    }


def expanded(text: str) -> set[Occurrence]:
    """What a calendar application shows over 2027: each occurrence's task and start."""
    calendar = Calendar.from_ical(text)
    found = set()
    for event in recurring_ical_events.of(calendar).between(
        datetime(2027, 1, 1, tzinfo=PARIS), datetime(2028, 1, 1, tzinfo=PARIS)
    ):
        uid = str(event["UID"]).removesuffix("@feed.boucle")
        if uid.count("/") == 2:  # a series: the occurrence is named by its RECURRENCE-ID
            uid += "/" + event["RECURRENCE-ID"].dt.astimezone(PARIS).date().isoformat()
        found.add((uid, utc(event["DTSTART"].dt)))
    return found


def demo_store(folder: Path) -> SessionFactory:
    """The demo year projected into a store: one occurrence cancelled, one moved by hand."""
    document = load_plan(DEMO.read_text(encoding="utf-8"))
    sessions = store_with(document, folder)
    with sessions() as session:
        for plan in document.plans:
            session.add(running_cycle(plan.portfolio, plan.year))
        session.commit()
    rows = []
    for plan in document.plans:
        for task in plan_tasks(document, plan):
            row = TaskRow(task=task, cycle_id=f"{plan.portfolio}/{plan.year}")
            if task.id == CANCELLED:
                row = row.model_copy(update={"status": TaskStatus.cancelled, "sequence": 1})
            if task.id == MOVED:
                moved = task.model_copy(update={"due": MOVED_TO, "rescheduled": True})
                row = row.model_copy(update={"task": moved, "sequence": 1})
            rows.append(row)
    StoreActivities(sessions).project_tasks(rows)
    return sessions


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, SessionFactory, dict]]:
    sessions = demo_store(tmp_path)
    with sessions() as session:
        tokens = {person: create_token(session, person) for person in (PERSON, "resto")}
    settings = Settings(data_dir=tmp_path, public_url="https://boucle.example.org")
    application = create_app(settings, sessions=sessions)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://test"
        ) as client,
    ):
        yield client, sessions, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_the_feed_expands_to_the_persons_simulated_year(http: tuple) -> None:
    client, _, tokens = http
    created = await client.post("/me/calendar-feed", headers=bearer(tokens[PERSON]))
    assert created.status_code == 201
    url = created.json()["url"]
    assert url.startswith("https://boucle.example.org/calendar/bcf_") and url.endswith(".ics")
    assert created.json()["webcal_url"] == "webcal://" + url.removeprefix("https://")

    feed = await client.get(path_of(url))  # no credential but the URL
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    text = feed.text
    for line in (
        "METHOD:PUBLISH",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "UID:pilotage/2027/veille@feed.boucle",
        "RRULE:FREQ=MONTHLY;UNTIL=",
        "EXDATE;TZID=Europe/Paris:20270301T093000",
        "RECURRENCE-ID;TZID=Europe/Paris:20270607T093000",
        "RECURRENCE-ID;TZID=Europe/Paris:20271101T093000",
        "RECURRENCE-ID;TZID=Europe/Paris:20270506T140000",
        "UID:pilotage/2027/formation-achat-durable/2027-05-17@feed.boucle",
    ):
        assert line in text.replace("\r\n ", ""), line

    expected = simulated(PERSON)
    assert {task for task, _ in expected} >= {CANCELLED, MOVED, *HOLIDAY_MOVES}
    expected = {(task, start) for task, start in expected if task not in (CANCELLED, MOVED)}
    expected.add((MOVED, utc(MOVED_TO)))
    shown = expanded(text)
    assert shown == expected
    assert {(task, utc(due)) for task, due in HOLIDAY_MOVES.items()} <= shown
    # 11 monthly reviews (one cancelled), 4 meetings, 2 trainings of hers, 4 events she attends
    assert len(shown) == 21


async def test_the_feed_is_the_same_text_from_one_poll_to_the_next(http: tuple) -> None:
    client, _, tokens = http
    url = (await client.post("/me/calendar-feed", headers=bearer(tokens["resto"]))).json()["url"]
    first, second = [await client.get(path_of(url)) for _ in range(2)]
    assert first.text == second.text and first.headers["etag"] == second.headers["etag"]
    assert "X-WR-CALNAME:Boucle — Paul Durand" in first.text
    assert "pilotage/2027/veille" not in first.text  # the officer's review is not his
    again = await client.get(path_of(url), headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


async def test_every_demo_persons_feed_is_their_simulated_year(http: tuple) -> None:
    client, sessions, _ = http
    document = load_plan(DEMO.read_text(encoding="utf-8"))
    for person in document.people:
        with sessions() as session:
            secret, _ = issue_feed(session, person.id)
        expected = {
            (task, utc(MOVED_TO) if task == MOVED else start)
            for task, start in simulated(person.id)
            if task != CANCELLED
        }
        assert expanded((await client.get(f"/calendar/{secret}.ics")).text) == expected, person.id


async def test_a_revoked_feed_answers_404_in_plain_text(http: tuple) -> None:
    client, sessions, tokens = http
    url = (await client.post("/me/calendar-feed", headers=bearer(tokens[PERSON]))).json()["url"]
    revoked = await client.delete("/me/calendar-feed", headers=bearer(tokens[PERSON]))
    assert revoked.status_code == 200 and revoked.json() == {"active": False, "created_at": None}
    gone = await client.get(path_of(url))
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("text/plain")
    assert "révoqué" in gone.text
    for unknown in ("/calendar/bcf_" + "A" * 43 + ".ics", "/calendar/nothing.ics"):
        answer = await client.get(unknown)
        assert (answer.status_code, answer.headers["content-type"][:10]) == (404, "text/plain")
    with sessions() as session:
        assert person_of_feed(session, url.rsplit("/", 1)[1].removesuffix(".ics")) is None


async def test_a_new_feed_replaces_the_old_one(http: tuple) -> None:
    client, _, tokens = http
    first = (await client.post("/me/calendar-feed", headers=bearer(tokens[PERSON]))).json()
    second = (await client.post("/me/calendar-feed", headers=bearer(tokens[PERSON]))).json()
    assert first["url"] != second["url"]
    assert (await client.get(path_of(first["url"]))).status_code == 404
    assert (await client.get(path_of(second["url"]))).status_code == 200
    assert (await client.post("/me/calendar-feed")).status_code == 401  # a token is needed


def test_the_secret_is_never_stored_in_clear(tmp_path: Path) -> None:
    sessions = demo_store(tmp_path)
    with sessions() as session:
        secret, row = issue_feed(session, PERSON)
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert person_of_feed(session, secret) is not None
        rows = session.exec(select(CalendarFeed)).all()
    assert all(secret not in repr(stored.model_dump()) for stored in rows)
    sessions.engine.dispose()
    files = [path for path in tmp_path.iterdir() if path.name.startswith("boucle.db")]
    assert files and all(secret.encode() not in path.read_bytes() for path in files)


def test_feed_urls_are_never_logged_whole() -> None:
    assert redacted_path("/calendar/bcf_" + "A" * 43 + ".ics") == "/calendar/…"


def test_every_feed_route_declares_its_access() -> None:
    table = {(e.method, e.path): e for e in route_table([calendar_feed.router])}
    assert table[("GET", "/calendar/{secret}.ics")].public
    for method in ("POST", "DELETE"):
        assert len(table[(method, "/me/calendar-feed")].roles) == 4


def test_a_moved_occurrence_stays_in_its_series_with_its_sequence(tmp_path: Path) -> None:
    """The occurrence the officer moved is an override of the series (same UID) carrying the
    task's SEQUENCE, so a client moves what it shows instead of adding an event."""
    sessions = demo_store(tmp_path)
    with sessions() as session:
        person = session.get(Person, PERSON)
        assert person is not None
        text = feed_text(session, person, datetime(2027, 1, 1, tzinfo=PARIS))
    calendar = Calendar.from_ical(text)
    veille = [e for e in calendar.walk("VEVENT") if e["UID"] == "pilotage/2027/veille@feed.boucle"]
    master = next(e for e in veille if "RECURRENCE-ID" not in e)
    moved = next(e for e in veille if e.get("RECURRENCE-ID") and e["DTSTART"].dt == MOVED_TO)
    assert master["SEQUENCE"] == 1 and moved["SEQUENCE"] == 1
    assert moved["DTEND"].dt - moved["DTSTART"].dt == timedelta(hours=1)
