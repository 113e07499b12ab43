"""A message that cannot be written (a template's or a context's bug) is tried once, recorded
as failed and reported; the task goes on, and nothing retries it for ever."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from activities.notify import NotificationConfig
from domain.tasks import plan_tasks
from store.tables import Notification
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.engine.test_task_workflow import start_task_at
from tests.plans import plan_with

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


async def test_a_notice_that_cannot_be_composed_fails_once_without_retry_and_the_task_goes_on(
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
    assert mailer.sent == [] and outbox(sessions) == []
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
