"""A recurring meeting is one calendar series: one invitation per person, changes by occurrence."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import vobject
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.notify import NotificationActivities, NotificationConfig
from domain.tasks import plan_tasks
from store.tables import Notification
from tests.engine.support import RecordingMailer, running_cycle, store_with
from tests.plans import plan_with
from workflows.types import TaskNotice

MEETINGS = """
    - {id: fournisseurs, kind: supplier_meeting, title: Rencontre des producteurs locaux,
       start: "2027-04-01T10:00", duration: PT2H, rrule: "FREQ=MONTHLY;BYDAY=1TH;COUNT=3",
       location: Arras, assignees: [qdd], attendees: [resto]}
"""
EXECUTION = datetime(2026, 12, 15, 8, tzinfo=UTC)


def calendar_of(message) -> str:  # noqa: ANN001
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return str(part.get_content())


async def test_a_monthly_meeting_is_invited_to_once_as_a_series(tmp_path: Path) -> None:
    document = plan_with(MEETINGS)
    sessions = store_with(document, tmp_path)
    with sessions() as session:
        session.add(running_cycle())
        session.commit()
    tasks = plan_tasks(document, document.plans[0])
    assert [t.due.date().isoformat() for t in tasks] == ["2027-04-01", "2027-05-07", "2027-06-03"]
    mailer = RecordingMailer()
    activities = NotificationActivities(sessions, mailer, NotificationConfig())

    def invitation(task, message: str = "invitation", sequence: int = 0) -> TaskNotice:  # noqa: ANN001
        return TaskNotice(
            key=f"{task.id}|{message}|{EXECUTION.isoformat()}|{sequence}",
            message=message,
            task=task,
            to=("qdd", "resto"),
            scheduled_at=EXECUTION,
            sequence=sequence,
        )

    # The cycle starts every occurrence's workflow at once: three invitations at the same time.
    await asyncio.gather(
        *(ActivityEnvironment().run(activities.send_task_notice, invitation(t)) for t in tasks)
    )
    await ActivityEnvironment().run(activities.send_task_notice, invitation(tasks[1]))  # a retry

    recipients = sorted(m["To"].addresses[0].addr_spec for m in mailer.sent)
    assert recipients == ["claire.martin@example.org", "paul.durand@example.org"]
    assert len(mailer.sent) == 2  # one per person, not one per occurrence
    # Whichever occurrence sent it, the email tells of the first session and opens its page.
    for message in mailer.sent:
        text = message.get_body(("plain",)).get_content()
        assert "Le jeudi 1er avril 2027 à 10 h (2 h)" in text
        assert (
            "Récurrence : le premier jeudi de chaque mois à 10\u00a0h "
            "(3 séances, du jeudi 1er avril 2027 au jeudi 3 juin 2027)"
        ) in text
        assert message["Subject"].endswith(
            "— le premier jeudi de chaque mois à 10 h, à partir du jeudi 1er avril 2027"
        )
        assert (
            "Voir dans Boucle : http://127.0.0.1:8000/app/tasks/restauration/2027/fournisseurs/2027-04-01"
            in text
        )
    ics = calendar_of(mailer.sent[0])
    parsed = icalendar.Calendar.from_ical(ics)
    assert str(parsed["method"]) == "REQUEST"
    master, moved = parsed.walk("VEVENT")
    assert str(master["uid"]) == "restauration/2027/fournisseurs@boucle"
    assert master["rrule"]["FREQ"] == ["MONTHLY"] and "UNTIL" in master["rrule"]
    assert master.decoded("dtstart").isoformat() == "2027-04-01T10:00:00+02:00"
    assert moved.decoded("recurrence-id").isoformat() == "2027-05-06T10:00:00+02:00"
    assert moved.decoded("dtstart").isoformat() == "2027-05-07T10:00:00+02:00"  # Ascension
    card = vobject.readOne(ics)
    starts = [d.date().isoformat() for d in card.vevent.getrruleset()]
    assert starts == ["2027-04-01", "2027-05-06", "2027-06-03"]
    with sessions() as session:
        rows = session.exec(select(Notification)).all()
    statuses = sorted((row.key.split("|")[1], row.status) for row in rows)
    assert statuses.count(("invitation", "grouped")) == 6  # 3 occurrences × 2 people
    assert statuses.count(("series-invitation", "sent")) == 2

    # Cancelling the June meeting cancels that occurrence of the series, nothing else.
    await ActivityEnvironment().run(
        activities.send_task_notice, invitation(tasks[2], "invitation_cancelled", 1)
    )
    cancel = icalendar.Calendar.from_ical(calendar_of(mailer.sent[-1]))
    (event,) = cancel.walk("VEVENT")
    assert str(cancel["method"]) == "CANCEL"
    assert str(event["uid"]) == "restauration/2027/fournisseurs@boucle"
    assert event.decoded("recurrence-id").isoformat() == "2027-06-03T10:00:00+02:00"
    assert int(event["sequence"]) == 1
    cancelled = mailer.sent[-1].get_body(("plain",)).get_content()
    assert "Cet événement est annulé" in cancelled and "Le jeudi 3 juin 2027 à 10 h" in cancelled
    assert "Récurrence : le premier jeudi de chaque mois à 10\u00a0h (3 séances," in cancelled


async def test_an_occurrence_counts_as_invited_only_once_its_series_email_went_out(
    tmp_path: Path,
) -> None:
    import pytest
    from temporalio.exceptions import ApplicationError

    document = plan_with(MEETINGS)
    sessions = store_with(document, tmp_path)
    with sessions() as session:
        session.add(running_cycle())
        session.commit()
    april, may, _ = plan_tasks(document, document.plans[0])
    mailer = RecordingMailer()
    mailer.refuse_next = 1  # the SMTP server is busy for the first email (451)
    activities = NotificationActivities(sessions, mailer, NotificationConfig())

    def invitation(task) -> TaskNotice:  # noqa: ANN001
        return TaskNotice(
            key=f"{task.id}|invitation|{EXECUTION.isoformat()}",
            message="invitation",
            task=task,
            to=("qdd",),
            scheduled_at=EXECUTION,
        )

    def states() -> dict[str, str]:
        with sessions() as session:
            return {row.key.split("|")[0]: row.status for row in session.exec(select(Notification))}

    with pytest.raises(ApplicationError, match="451"):
        await ActivityEnvironment().run(activities.send_task_notice, invitation(april))
    assert states() == {april.id: "pending", "restauration/2027/fournisseurs": "pending"}
    assert mailer.sent == []

    await ActivityEnvironment().run(activities.send_task_notice, invitation(may))
    assert len(mailer.sent) == 1  # May's attempt sent the series
    assert states()[may.id] == "grouped" and states()[april.id] == "pending"

    await ActivityEnvironment().run(activities.send_task_notice, invitation(april))  # its retry
    assert len(mailer.sent) == 1  # nothing more: the series email carries April too
    assert states()[april.id] == "grouped"


async def test_a_series_email_sent_by_a_later_occurrence_opens_the_first_ones_page(
    tmp_path: Path,
) -> None:
    document = plan_with(MEETINGS)
    sessions = store_with(document, tmp_path)
    with sessions() as session:
        session.add(running_cycle())
        session.commit()
    second = plan_tasks(document, document.plans[0])[1]
    mailer = RecordingMailer()
    activities = NotificationActivities(sessions, mailer, NotificationConfig())
    notice = TaskNotice(
        key=f"{second.id}|invitation|{EXECUTION.isoformat()}|0",
        message="invitation",
        task=second,
        to=("resto",),
        scheduled_at=EXECUTION,
    )
    await ActivityEnvironment().run(activities.send_task_notice, notice)
    (message,) = mailer.sent
    text = message.get_body(("plain",)).get_content()
    assert "Le jeudi 1er avril 2027 à 10 h (2 h)" in text
    first = "http://127.0.0.1:8000/app/tasks/restauration/2027/fournisseurs/2027-04-01"
    assert f"Voir dans Boucle : {first}" in text
