"""The engine against a real Temporal dev server, a real SMTP server and a killed worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from boucle.temporal import build_worker
from domain.validation import load_plan
from services.plans import approve_plan, import_plans, submit_plan
from services.settings import Settings, process_environment
from store.database import SessionFactory, make_engine, migrate
from store.tables import Notification
from tests.engine.support import SCRIPTS
from tests.integration.conftest import Inbox
from tests.plans import HEADER

pytestmark = pytest.mark.asyncio(loop_scope="session")


def soon_plan(now: datetime, portfolio: str) -> str:
    """A plan whose tasks all send within a minute: exact (time-part) offsets."""
    paris = now.astimezone(ZoneInfo("Europe/Paris"))

    def at(seconds: int) -> str:
        return (paris + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")

    text = HEADER.format(locale="fr", holidays="FR", on_holiday="keep")
    text = text.replace(
        "portfolio: restauration\n    year: 2027", f"portfolio: {portfolio}\n    year: {paris.year}"
    )
    text = text.replace(
        "{id: restauration, name: Restauration, owner: resto, buyers: [resto]}",
        f"{{id: {portfolio}, name: Restauration, owner: resto, buyers: [resto]}}",
    )
    text = text.replace("portfolios: [restauration]}", f"portfolios: [{portfolio}]}}")
    text = text.replace(
        "working_days: [MO, TU, WE, TH, FR]", "working_days: [MO, TU, WE, TH, FR, SA, SU]"
    )
    text += f"""\
      - {{id: formation, kind: training_session, title: Formation saisonnalité,
         start: "{at(40)}", duration: PT2H, location: Arras — salle 204, assignees: [qdd],
         attendees: [resto], reminders: {{before: [PT30S], on_due: false}}}}
      - {{id: veille, kind: regulatory_watch_review, title: Revue de veille,
         start: "{at(20)}", assignees: [resto],
         reminders: {{before: [PT15S, PT10S], on_due: false, overdue: [PT5S, PT10S],
                      escalate_after: PT15S}}}}
"""
    return text


async def approved(
    env: WorkflowEnvironment, sessions: SessionFactory, queue: str, portfolio: str
) -> None:
    document = load_plan(soon_plan(datetime.now(UTC), portfolio))
    (imported,) = await import_plans(document, sessions, env.client, queue, by="test")
    assert imported.cycle_started
    await submit_plan(env.client, portfolio, imported.year, "qdd")

    def asked() -> bool:
        with sessions() as session:
            rows = session.exec(select(Notification).where(Notification.status == "sent"))
            return any(row.type == "plan_approval_request" for row in rows)

    # The direction approves from the request it was sent, as a person does: an approval that
    # overtook the request would leave it unsent, and the count below would depend on the race.
    await wait_for(asked)
    await approve_plan(env.client, portfolio, imported.year, "dgs")


def settings_for(env: WorkflowEnvironment, tmp_path: Path, smtp_port: int, queue: str) -> Settings:
    target = env.client.service_client.config.target_host
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'boucle.db'}",
        temporal_address=target,
        temporal_namespace=env.client.namespace,
        task_queue=queue,
        smtp_port=smtp_port,
        scheduler=False,
    )


async def wait_for(predicate, timeout: float = 90.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.5)


async def test_search_attributes_and_real_emails(
    dev_server: WorkflowEnvironment, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    settings = settings_for(dev_server, tmp_path, port, "it-mail")
    engine = make_engine(settings.database)
    migrate(engine)
    sessions = SessionFactory(engine)
    from concurrent.futures import ThreadPoolExecutor

    from boucle.temporal import mailer_for

    with ThreadPoolExecutor(8) as executor:
        async with build_worker(
            dev_server.client, settings, sessions, mailer_for(settings), executor
        ):
            before = len(inbox.messages)  # the session's inbox: other tests' mail is there too
            await approved(dev_server, sessions, settings.task_queue, "cantine")
            await wait_for(
                lambda: any(m["Subject"].startswith("Invitation") for m in inbox.messages[before:])
            )
            query = "Portfolio='cantine' AND CyclePhase='executing'"
            listed = []
            for _ in range(40):  # the visibility store catches up within seconds
                listed = [w.id async for w in dev_server.client.list_workflows(query)]
                if listed:
                    break
                await asyncio.sleep(0.5)
    year = datetime.now(UTC).year
    assert listed == [f"cycle:cantine:{year}"]
    cli = subprocess.run(
        [
            str(SCRIPTS / "temporal"),
            "workflow",
            "list",
            "--address",
            dev_server.client.service_client.config.target_host,
            "--namespace",
            dev_server.client.namespace,
            "--query",
            "Portfolio='cantine'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"cycle:cantine:{year}" in cli.stdout

    invitation = next(m for m in inbox.messages[before:] if m["Subject"].startswith("Invitation"))
    assert invitation.get_content_type() == "multipart/mixed"
    kinds = [part.get_content_type() for part in invitation.walk()]
    assert {"text/plain", "text/html", "text/calendar", "application/ics"} <= set(kinds)
    text = invitation.get_body(("plain",))
    assert text is not None and "Arras — salle 204" in text.get_content()
    calendar_part = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    ics = calendar_part.get_content()
    parsed = icalendar.Calendar.from_ical(ics)
    (event,) = parsed.walk("VEVENT")
    assert str(event["summary"]) == "Formation saisonnalité"
    attendees = event.get("attendee")
    names = {
        str(a.params["CN"]) for a in (attendees if isinstance(attendees, list) else [attendees])
    }
    assert names == {"Claire Martin", "Paul Durand"}
    assert event.walk("VALARM")
    card = vobject.readOne(ics)
    assert card.method.value == "REQUEST"
    assert card.vevent.uid.value.startswith(f"cantine/{year}/formation/")


async def test_a_killed_worker_loses_nothing_and_resends_only_what_was_in_flight(
    dev_server: WorkflowEnvironment, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    settings = settings_for(dev_server, tmp_path, port, "it-kill")
    engine = make_engine(settings.database)
    migrate(engine)
    sessions = SessionFactory(engine)
    environment = process_environment(settings)

    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "boucle.cli", "worker"],
            env=environment,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    before = len(inbox.messages)
    first = worker()
    try:
        await approved(dev_server, sessions, settings.task_queue, "nettoyage")
        # Kill it after the first reminders went out, while later ones are still pending.
        await wait_for(lambda: len(inbox.messages) - before >= 6)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        await asyncio.sleep(3)
        second = worker()
        try:

            def done() -> bool:
                with sessions() as session:
                    rows = session.exec(select(Notification)).all()
                return len(rows) >= 12 and all(row.status == "sent" for row in rows)

            # A send cut short keeps its lease for a minute before it is tried again.
            await wait_for(done, timeout=180)
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    ids = [str(m["Message-ID"]) for m in inbox.messages[before:]]
    # Every message reached the SMTP server; a second copy is only of a message the server
    # had accepted in the instant before the kill (its outbox mark was not written yet).
    first_copy = dict(reversed(list(zip(ids, inbox.accepted_at[before:], strict=True))))
    twice = {i for i in ids if ids.count(i) > 1}
    assert all(killed_at - first_copy[i] < 1.0 for i in twice), "a sent message went again"
    with sessions() as session:
        rows = session.exec(select(Notification)).all()
    kinds = sorted(row.type for row in rows)
    # The approval request (direction); plan approved (officer, buyer); the training's invitation
    # and reminder (2 people each); the review's 2 reminders, 2 overdue notices and its
    # escalation to the officer.
    assert kinds == sorted(
        ["plan_approval_request"]
        + ["plan_approved"] * 2
        + ["invitation"] * 2
        + ["reminder"] * 4
        + ["overdue"] * 2
        + ["escalation"]
    )
    assert len(set(ids)) == len(rows) == 12
    assert all(row.message_id in ids for row in rows)
