"""Amending a running plan: items added, reassigned and cancelled reach the task workflows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import icalendar
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from domain.model import PlanItem
from store.tables import Notification, PlanVersion, Task
from tests.engine.support import RecordingMailer, refused, running_worker, store_with
from tests.engine.test_cycle_workflow import plan, sleep_until, start_and_approve
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import Amendment, TaskStatus


async def test_cancelled_training_sends_a_calendar_cancel_and_stops_its_reminders(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan()
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_and_approve(env, document, queue)
        await sleep_until(env, datetime(2027, 1, 11, 10, tzinfo=UTC))
        with refused("Forbidden"):
            await handle.execute_update(
                PortfolioCycleWorkflow.amend, Amendment(by="resto", cancel_items=["formation"])
            )
        with refused("unknown items"):
            await handle.execute_update(
                PortfolioCycleWorkflow.amend,
                Amendment(by="qdd", cancel_items=["formation-inconnue"]),
            )
        with refused("unknown person"):
            await handle.execute_update(
                PortfolioCycleWorkflow.amend,
                Amendment(
                    by="qdd",
                    add=[
                        PlanItem(
                            id="extra",
                            kind="action",
                            title="X",
                            assignees=["personne"],
                            due="2027-05-03",
                        )
                    ],
                ),
            )
        view = await handle.execute_update(
            PortfolioCycleWorkflow.amend,
            Amendment(
                by="qdd",
                cancel_items=["formation"],
                reassign_items={"pub": ["nett"]},
                add=[
                    PlanItem(
                        id="sourcing",
                        kind="action",
                        title="Sourcing local",
                        assignees=["resto"],
                        due="2027-05-03",
                    )
                ],
                reason="formation reportée à l'automne",
            ),
        )
        assert view.tasks_planned == 3  # pub, point, sourcing
        await sleep_until(env, datetime(2027, 3, 20, tzinfo=UTC))
    cancels = [m for m in mailer.sent if m["Subject"].startswith("Annulé : Formation")]
    assert len(cancels) == 2  # the trainer and the attendee
    part = next(p for p in cancels[0].walk() if p.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert str(calendar["method"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event["sequence"] == 1 and str(event["status"]) == "CANCELLED"
    with sessions() as session:
        tasks = {t.item: t for t in session.exec(select(Task))}
        formation_after = session.exec(
            select(Notification).where(
                Notification.task_id == tasks["formation"].id, Notification.type == "reminder"
            )
        ).all()
        pub_reminders = session.exec(
            select(Notification).where(
                Notification.task_id == tasks["pub"].id, Notification.type == "reminder"
            )
        ).all()
        versions = session.exec(select(PlanVersion).order_by(PlanVersion.version)).all()
    assert tasks["formation"].status == TaskStatus.cancelled.value
    assert formation_after == []  # its March reminders never went out
    assert tasks["pub"].assignees == ["nett"]
    assert {row.person_id for row in pub_reminders} == {"nett"}  # reminders follow the change
    assert "sourcing" in tasks
    assert [(v.version, v.status, v.origin) for v in versions] == [
        (1, "superseded", "import"),
        (2, "approved", "amendment"),
    ]
