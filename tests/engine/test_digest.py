"""The weekly digest: one workflow per week, whichever process fires the job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from boucle.scheduler import iso_week, start_weekly_digest
from store.tables import Task, TaskPerson
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.plans import plan_with
from workflows.digest import digest_workflow_id
from workflows.types import SendReport


async def test_two_schedulers_firing_the_same_monday_send_one_digest(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions = store_with(plan_with(""), tmp_path)
    monday = datetime(2027, 3, 15, 7, tzinfo=UTC)  # 08:00 in Paris
    with sessions() as session:
        for number, (person, days) in enumerate([("resto", 2), ("resto", -10), ("nett", 30)]):
            due = monday + timedelta(days=days)
            task_id = f"restauration/2027/t{number}/{due.date()}"
            session.add(
                Task(
                    id=task_id,
                    cycle_id="restauration/2027",
                    portfolio="restauration",
                    year=2027,
                    item=f"t{number}",
                    kind="action",
                    title=f"Tâche {number}",
                    due_at=due,
                    original_at=due,
                    assignees=[person],
                )
            )
            session.add(TaskPerson(task_id=task_id, person_id=person, relation="assignee"))
        session.commit()
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        assert await start_weekly_digest(env.client, queue, monday) is True
        assert await start_weekly_digest(env.client, queue, monday + timedelta(seconds=3)) is False
        report = await env.client.get_workflow_handle(
            digest_workflow_id(iso_week(monday)), result_type=SendReport
        ).result()
    assert iso_week(monday) == "2027-W11"
    assert report.sent == 1  # resto has work this week; nett's task is next month
    (digest,) = mailer.sent
    assert digest["To"].addresses[0].username == "paul.durand"
    assert digest["Subject"] == "Votre semaine : 1 tâche, 1 en retard"
    text = digest.get_body(("plain",)).get_content()
    assert "Tâche 0" in text and "Tâche 1" in text and "Tâche 2" not in text


async def test_the_digest_fires_on_monday_at_eight_in_the_organisations_own_zone(
    tmp_path: Path,
) -> None:
    from zoneinfo import ZoneInfo

    from boucle.scheduler import DIGEST, WATCH, build_scheduler
    from store.tables import Organisation

    sessions = store_with(plan_with(""), tmp_path)
    with sessions() as session:
        organisation = session.get(Organisation, 1)
        assert organisation is not None
        organisation.timezone = "Indian/Reunion"  # UTC+4 all year
        session.add(organisation)
        session.commit()
    scheduler = build_scheduler(None, "boucle", sessions)  # type: ignore[arg-type]
    wednesday = datetime(2027, 3, 10, 12, tzinfo=UTC)
    fire = scheduler.get_job(DIGEST).trigger.get_next_fire_time(None, wednesday)
    assert fire.astimezone(UTC) == datetime(2027, 3, 15, 4, tzinfo=UTC)  # 08:00 in Saint-Denis
    assert iso_week(fire) == "2027-W11"
    # The engine watch looks every hour, at :05.
    watch = scheduler.get_job(WATCH).trigger.get_next_fire_time(None, wednesday)
    assert watch.astimezone(UTC) == datetime(2027, 3, 10, 12, 5, tzinfo=UTC)

    with sessions() as session:  # a new plan moves the organisation to Paris
        organisation = session.get(Organisation, 1)
        assert organisation is not None
        organisation.timezone = "Europe/Paris"
        session.add(organisation)
        session.commit()
    await scheduler.get_job("organisation-zone").func()
    fire = scheduler.get_job(DIGEST).trigger.get_next_fire_time(None, wednesday)
    assert fire.astimezone(ZoneInfo("Europe/Paris")).hour == 8
    assert fire.astimezone(UTC) == datetime(2027, 3, 15, 7, tzinfo=UTC)
