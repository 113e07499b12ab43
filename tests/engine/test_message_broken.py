"""A message that cannot be written (a template's or a context's bug) is tried once, recorded
as failed and reported; the task goes on, and nothing retries it for ever."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.directory import Directory
from activities.notify import NotificationActivities, NotificationConfig
from domain.tasks import plan_tasks
from notifications.compose import Snapshot
from store.tables import Notification
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.engine.test_task_workflow import start_task_at
from tests.plans import plan_with
from workflows.types import PlanNotice

ITEM = """
    - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15",
       reminders: {before: [P3D], on_due: false, overdue: [], escalate_after: null}}
"""
START = datetime(2027, 1, 4, 8, tzinfo=UTC)


def outbox(sessions) -> list[tuple[str, str, str, int, str]]:  # noqa: ANN001
    with sessions() as session:
        rows = session.exec(select(Notification).order_by(Notification.id)).all()
    return [(r.type, r.person_id, r.status, r.attempts, r.last_error or "") for r in rows]


async def test_a_reminder_whose_template_is_broken_is_refused_once_and_the_officer_told(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    templates = tmp_path / "templates" / "fr"
    templates.mkdir(parents=True)
    # The organisation's own template names a variable no context has.
    (templates / "reminder.txt").write_text(
        "{% set subject = 'Rappel' %}Bonjour {{ buyer_nickname }}\n", encoding="utf-8"
    )
    document = plan_with(ITEM)
    (task,) = plan_tasks(document, document.plans[0])
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    config = NotificationConfig(templates_dir=str(tmp_path / "templates"))
    async with running_worker(env.client, sessions, mailer, config) as queue:
        handle = await start_task_at(env, queue, document, task, START)
        outcome = await handle.result()
        history = await handle.fetch_history()
    assert outcome.status == "missed"  # the task went on to its close
    rows = outbox(sessions)
    assert [row[:4] for row in rows] == [
        ("reminder", "resto", "failed", 1),
        ("delivery_failed", "qdd", "sent", 1),
    ]
    assert "could not be written: UndefinedError" in rows[0][4]
    assert "buyer_nickname" in rows[0][4]
    (report,) = mailer.sent
    assert report["To"] == "Claire Martin <claire.martin@example.org>"
    text = report.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert report["Subject"] == "Message non distribué : fr/reminder"
    assert "Paul Durand <paul.durand@example.org>" in text
    assert "Modèle : fr/reminder (.txt et .html)" in text
    assert "Erreur : the message could not be written: UndefinedError" in text
    assert "Corrigez ce modèle" in text and "Vérifiez l'adresse" not in text
    started = [
        event.activity_task_started_event_attributes.attempt
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert started and set(started) == {1}  # no activity of the task was tried twice


async def test_a_notice_that_cannot_be_composed_fails_once_the_officer_is_told_and_the_task_goes_on(
    env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("objective")

    monkeypatch.setattr("activities.notify.task_messages", broken)
    document = plan_with(ITEM)
    (task,) = plan_tasks(document, document.plans[0])
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_task_at(env, queue, document, task, START)
        outcome = await handle.result()
        history = await handle.fetch_history()
    assert outcome.status == "missed"
    rows = outbox(sessions)
    assert [row[:4] for row in rows] == [
        ("reminder", "resto", "failed", 1),
        ("delivery_failed", "qdd", "sent", 1),
    ]
    assert rows[0][4] == "the message could not be composed: KeyError: 'objective'"
    (report,) = mailer.sent  # the buyer got nothing; the officer is told, once
    assert report["To"] == "Claire Martin <claire.martin@example.org>"
    assert report["Subject"] == "Message non distribué : fr/reminder"
    text = report.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "n'a pas pu être composé : une erreur dans Boucle" in text
    assert "Destinataire : Paul Durand <paul.durand@example.org>" in text
    assert "Erreur : the message could not be composed: KeyError: 'objective'" in text
    assert "Transmettez ce message à l'équipe qui exploite Boucle" in text
    assert "Corrigez ce modèle" not in text and "Vérifiez l'adresse" not in text
    failures = [
        event.activity_task_failed_event_attributes.failure
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
    ]
    assert len(failures) == 1
    (failure,) = failures
    assert failure.application_failure_info.type == "MessageBroken"
    assert failure.application_failure_info.non_retryable
    assert "reminder could not be written: KeyError: 'objective'" in failure.message


async def test_a_store_away_while_a_reminder_is_composed_is_retried_and_the_reminder_goes(
    env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = plan_with(ITEM)
    (task,) = plan_tasks(document, document.plans[0])
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    loaded = Directory.snapshot
    calls = 0

    def away_once(self: Directory, needed: list[str] | None = None) -> Snapshot:
        nonlocal calls
        calls += 1
        if calls == 1:  # PostgreSQL restarting at the reminder's instant
            raise OperationalError(
                "SELECT person", {}, ConnectionRefusedError("connection refused")
            )
        return loaded(self, needed)

    monkeypatch.setattr(Directory, "snapshot", away_once)
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_task_at(env, queue, document, task, START)
        outcome = await handle.result()
        history = await handle.fetch_history()
    assert outcome.status == "missed"
    assert [row[:3] for row in outbox(sessions)] == [("reminder", "resto", "sent")]
    (reminder,) = mailer.sent
    assert reminder["To"] == "Paul Durand <paul.durand@example.org>"
    assert reminder["Subject"].startswith("Rappel")
    started = [
        event.activity_task_started_event_attributes.attempt
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert 2 in started  # the send was tried again, not given up


async def test_a_plan_notice_that_cannot_be_composed_is_recorded_failed_and_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("no scorecard column 'cible'")

    monkeypatch.setattr("activities.notify.plan_messages", broken)
    document = plan_with(ITEM)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    activities = NotificationActivities(sessions, mailer, NotificationConfig())
    notice = PlanNotice(
        key="restauration/2027|plan_approval_request|2026-12-04T09:00:00+00:00",
        message="plan_approval_request",
        portfolio="restauration",
        year=2027,
        to=("dgs",),
        scheduled_at=datetime(2026, 12, 4, 9, tzinfo=UTC),
    )
    for _ in range(2):  # a second run (a retry, a replay) neither records nor reports again
        with pytest.raises(ApplicationError) as refused:
            await ActivityEnvironment().run(activities.send_plan_notice, notice)
        assert refused.value.type == "MessageBroken" and refused.value.non_retryable
    assert [row[:3] for row in outbox(sessions)] == [
        ("plan_approval_request", "dgs", "failed"),
        ("delivery_failed", "qdd", "sent"),
    ]
    (report,) = mailer.sent
    assert report["To"] == "Claire Martin <claire.martin@example.org>"
    assert report["Subject"] == "Message non distribué : fr/plan_approval_request"
    text = report.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Erreur : the message could not be composed: ValueError: no scorecard" in text
