"""A TaskWorkflow sends exactly the timeline domain/ computes, on the time-skipping server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from domain.calendar import WorkingCalendar
from domain.tasks import plan_tasks
from domain.timeline import task_timeline
from store.tables import Notification, Task
from tests.engine.support import (
    RecordingMailer,
    running_worker,
    save_histories,
    store_with,
)
from tests.plans import plan_with
from workflows.task import TaskWorkflow
from workflows.types import (
    CompleteRequest,
    RescheduleRequest,
    TaskInput,
    TaskStatus,
    task_workflow_id,
)


def one_task(items: str):
    document = plan_with(items)
    (task,) = plan_tasks(document, document.plans[0])
    return document, task


def task_input(document, task, start: datetime) -> TaskInput:
    return TaskInput(
        task=task,
        organisation=document.organisation,
        holidays=cycle_holidays(document.organisation, task.year),
        officers=document.officers,
        assignable=("resto", "nett", "qdd"),
        execution_start=start,
        closes_at=task.due + timedelta(days=30),
    )


async def start_task_at(env: WorkflowEnvironment, queue: str, document, task, start, **changes):
    """Move the server's clock to `start`, then start the task's workflow there."""
    await env.sleep(start - await env.get_current_time())
    return await env.client.start_workflow(
        TaskWorkflow.run,
        task_input(document, task, start).model_copy(update=changes),
        id=task_workflow_id(task.id),
        task_queue=queue,
    )


def sent_keys(sessions) -> list[tuple[str, str, str]]:
    with sessions() as session:
        rows = session.exec(select(Notification).order_by(Notification.id)).all()
    return [
        (row.type, row.person_id, row.scheduled_at.isoformat())
        for row in rows
        if row.status == "sent"
    ]


def expected_keys(document, task, start, done_at=None) -> list[tuple[str, str, str]]:
    calendar = WorkingCalendar.of(document.organisation)
    return [
        (notice.type.value, person, notice.at.astimezone(UTC).isoformat())
        for notice in task_timeline(task, calendar, document.officers, start)
        if done_at is None or notice.at <= done_at
        for person in notice.to
    ]


async def test_missed_task_sends_every_reminder_overdue_notice_and_escalation(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, task = one_task("""
        - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto],
           due: "2027-02-15", reminders: {before: [P14D, P3D]}}
    """)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    start = datetime(2027, 1, 4, 8, tzinfo=UTC)
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_task_at(env, queue, document, task, start)
        outcome = await handle.result()
    # Nobody finished it: once its close time passed (the escalation of Thursday 25 February,
    # 09:00 Paris, plus 60 days: Monday 26 April, 09:00 summer time) it is missed, in the
    # workflow and in the store.
    assert outcome.status == TaskStatus.missed
    with sessions() as session:
        row = session.get(Task, task.id)
    assert row is not None and row.status == "missed"
    assert row.closes_at == datetime(2027, 4, 26, 7, tzinfo=UTC)
    assert sent_keys(sessions) == expected_keys(document, task, start)
    subjects = [message["Subject"] for message in mailer.sent]
    assert subjects[0] == "Rappel : Publier le marché bio — lundi 15 février 2027"
    assert subjects[-1].startswith("Escalade : Publier le marché bio")
    assert mailer.sent[-1]["To"].addresses[0].username == "claire.martin"


async def test_completion_stops_reminders_and_reschedule_moves_them(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document, task = one_task("""
        - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
    """)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    start = datetime(2027, 1, 4, 8, tzinfo=UTC)
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_task_at(env, queue, document, task, start)
        # 9 February: the P7D reminder (8 Feb) is out, the P1D one (12 Feb) is not yet.
        await env.sleep(datetime(2027, 2, 9, 12, tzinfo=UTC) - await env.get_current_time())
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                TaskWorkflow.reschedule,
                RescheduleRequest(by="qdd", due=datetime(2027, 3, 29, 15, tzinfo=UTC)),
            )  # Easter Monday
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                TaskWorkflow.reschedule,
                RescheduleRequest(by="resto", due=datetime(2027, 3, 1, 16, tzinfo=UTC)),
            )  # not the officer
        view = await handle.execute_update(
            TaskWorkflow.reschedule,
            RescheduleRequest(
                by="qdd", due=datetime(2027, 3, 1, 16, tzinfo=UTC), reason="marché décalé"
            ),
        )
        assert view.sequence == 1
        await env.sleep(datetime(2027, 2, 26, 12, tzinfo=UTC) - await env.get_current_time())
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(TaskWorkflow.complete, CompleteRequest(by="nett"))
        done = await handle.execute_update(
            TaskWorkflow.complete,
            CompleteRequest(by="resto", comment="publié", evidence_url="https://example.org/avis"),
        )
        assert done.status == TaskStatus.done
        outcome = await handle.result()
        await save_histories(env.client, task_workflow_id(task.id), "task-rescheduled-done")
    assert outcome.status == TaskStatus.done
    sent = sent_keys(sessions)
    # Both reminders moved with the task (1 March − 7 days; − 1 day is a Sunday → Friday),
    # and nothing was due, overdue or escalated once it was done on 26 February.
    assert [(kind, at) for kind, _, at in sent if kind == "reminder"] == [
        ("reminder", "2027-02-08T08:00:00+00:00"),
        ("reminder", "2027-02-22T08:00:00+00:00"),
        ("reminder", "2027-02-26T08:00:00+00:00"),
    ]
    assert [kind for kind, _, _ in sent] == ["reminder", "task_updated", "reminder", "reminder"]


async def test_a_person_who_chose_the_digest_gets_only_overdue_notices(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    from store.tables import Person

    document, task = one_task("""
        - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
    """)
    sessions = store_with(document, tmp_path)
    with sessions() as session:
        person = session.get(Person, "resto")
        person.digest_only = True
        session.add(person)
        session.commit()
    start = datetime(2027, 1, 4, 8, tzinfo=UTC)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        handle = await start_task_at(env, queue, document, task, start)
        await handle.result()
    assert [kind for kind, _, _ in sent_keys(sessions)] == ["overdue", "overdue", "escalation"]


async def test_reminders_carry_a_one_click_link_for_assignees_only(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    from activities.notify import NotificationActivities, NotificationConfig
    from notifications.links import verify_link
    from workflows.types import TaskNotice

    document, task = one_task("""
        - {id: f, kind: training_session, title: Formation, start: "2027-03-16T14:00",
           assignees: [qdd], attendees: [resto]}
    """)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    activities = NotificationActivities(sessions, mailer, NotificationConfig(link_secret="k"))
    await activities.send_task_notice(
        TaskNotice(
            key="k1",
            message="reminder",
            task=task,
            to=("qdd", "resto"),
            scheduled_at=datetime(2027, 3, 9, 8, tzinfo=UTC),
        )
    )
    by_person = {
        m["To"].addresses[0].username: m.get_body(("plain",)).get_content() for m in mailer.sent
    }
    assert "Marquer comme fait" not in by_person["paul.durand"]  # an attendee
    line = next(x for x in by_person["claire.martin"].splitlines() if "Marquer" in x)
    claim = verify_link("k", line.rsplit("/act/", 1)[1], datetime.now(UTC))
    assert (claim.task, claim.person, claim.action) == (task.id, "qdd", "complete")


@pytest.mark.parametrize("pinned_by_the_cycle", [True, False])
async def test_a_task_pins_its_schedule_once_and_sends_each_notice_on_the_mail_queue(
    env: WorkflowEnvironment, tmp_path: Path, pinned_by_the_cycle: bool
) -> None:
    """Two markers say which engine runs it and where it sends; the schedule is computed once,
    by the cycle (in the task's input) or by a recorded local activity; each notice is one
    activity on the queue's mail queue."""
    from activities.tasks import task_schedule
    from workflows.types import ScheduleRequest, TaskState

    document, task = one_task("""
        - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15",
           reminders: {before: [P3D], on_due: false, overdue: [], escalate_after: null}}
    """)
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    start = datetime(2027, 1, 4, 8, tzinfo=UTC)
    changes = {}
    if pinned_by_the_cycle:
        pinned = task_schedule(
            ScheduleRequest(
                task=task,
                organisation=document.organisation,
                holidays=cycle_holidays(document.organisation, 2027),
                officers=document.officers,
                execution_start=start,
            )
        )
        changes["state"] = TaskState(
            task=task, schedule=pinned.schedule, closes_at=pinned.closes_at
        )
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_task_at(env, queue, document, task, start, **changes)
        await handle.result()
        history = await handle.fetch_history()
    markers = [
        event.marker_recorded_event_attributes.marker_name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    patches = [
        event.marker_recorded_event_attributes.SerializeToString()
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert len(patches) == 2
    assert b"engine-2026-12" in patches[0]
    assert b"sends-on-mail-queue" in patches[1]
    # The schedule, when not given, is a local activity.
    assert markers.count("core_local_activity") == (0 if pinned_by_the_cycle else 1)
    # The reminder of Friday 12 February (09:00 Paris), on the mail queue.
    sends = [
        (
            event.activity_task_scheduled_event_attributes.activity_type.name,
            event.activity_task_scheduled_event_attributes.task_queue.name,
        )
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and event.activity_task_scheduled_event_attributes.activity_type.name.startswith("send")
    ]
    assert sends == [("send_task_notice", f"{queue}-mail")]
    assert sent_keys(sessions) == [("reminder", "resto", "2027-02-12T08:00:00+00:00")]
