"""A portfolio's year on the time-skipping server: what the workflows send equals simulate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.calendar import cycle_holidays
from boucle.cli import app as cli
from domain.simulation import Assumption, simulate
from domain.tasks import plan_tasks
from store.tables import Cycle, IndicatorValue, Notification, PlanVersion, Task
from tests.engine.support import (
    RecordingMailer,
    refused,
    running_worker,
    save_histories,
    store_with,
)
from tests.plans import plan_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.task import TaskWorkflow
from workflows.types import (
    ApprovalRequest,
    CompleteRequest,
    CycleInput,
    Phase,
    ReviewRequest,
    SubmitRequest,
    ValuesRequest,
    cycle_workflow_id,
    task_workflow_id,
)

ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto],
       due: "2027-02-15", reminders: {before: [P14D, P3D]}}
    - {id: formation, kind: training_session, title: Formation saisonnalité,
       start: "2027-03-16T14:00", duration: PT3H, location: Arras, assignees: [qdd],
       attendees: [resto]}
    - {id: point, kind: indicator_checkpoint, title: Point d'étape, start: "2027-03-31T17:00",
       indicators: [part-bio], assignees: [resto]}
"""
TASK_TYPES = {"invitation", "reminder", "due", "overdue", "escalation", "checkpoint"}
# approve_by at 10:30 Paris; approving then makes execution start where simulate assumes it.
# (The time-skipping server mishandles an update arriving as a timer fires, hence not 09:00.)
APPROVAL = datetime(2026, 12, 15, 9, 30, tzinfo=UTC)


async def sleep_until(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


def plan():
    document = plan_with(ITEMS)
    plan = document.plans[0].model_copy(update={"approve_by": "2026-12-15T10:30"})
    return document.model_copy(update={"plans": [plan]})


async def start_and_approve(env: WorkflowEnvironment, document, queue: str):
    client: Client = env.client
    handle = await client.start_workflow(
        PortfolioCycleWorkflow.run,
        CycleInput(
            portfolio="restauration",
            year=2027,
            document=document,
            plan_version=1,
            holidays=cycle_holidays(document.organisation, 2027),
            search_attributes=False,
        ),
        id=cycle_workflow_id("restauration", 2027),
        task_queue=queue,
    )
    with refused("not submitted"):
        await handle.execute_update(PortfolioCycleWorkflow.approve, ApprovalRequest(by="dgs"))
    with refused("Quality"):
        await handle.execute_update(PortfolioCycleWorkflow.submit, SubmitRequest(by="resto"))
    await handle.execute_update(PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd"))
    with refused("direction"):
        await handle.execute_update(PortfolioCycleWorkflow.approve, ApprovalRequest(by="qdd"))
    await sleep_until(env, APPROVAL)
    view = await handle.execute_update(PortfolioCycleWorkflow.approve, ApprovalRequest(by="dgs"))
    assert view.approved_by == "dgs"
    return client.get_workflow_handle(cycle_workflow_id("restauration", 2027))


def sent(sessions) -> list[tuple[str, str, str, str]]:
    with sessions() as session:
        rows = session.exec(select(Notification).where(Notification.status == "sent")).all()
    return sorted(
        (row.scheduled_at.isoformat(), row.type, row.task_id or "", row.person_id)
        for row in rows
        if row.type in TASK_TYPES
    )


def simulated(document, assume: Assumption) -> list[tuple[str, str, str, str]]:
    return sorted(
        (notice.at.astimezone(UTC).isoformat(), notice.type.value, notice.task, person)
        for notice in simulate(document, assume=assume).notices
        for person in notice.to
    )


async def finish_the_year(
    env: WorkflowEnvironment, handle, sessions, settle: timedelta = timedelta(0)
) -> None:
    """Run to the evaluation, record the review, and let improving hand over to 2028; then
    `settle` more time passes (a handle's result alone does not move the test server's clock)."""
    await sleep_until(env, datetime(2027, 11, 20, tzinfo=UTC))
    view = await handle.query(PortfolioCycleWorkflow.view)
    assert view.phase == Phase.evaluating
    with refused("Forbidden"):
        await handle.execute_update(
            PortfolioCycleWorkflow.record_review, ReviewRequest(by="dgs", lessons="x")
        )
    await handle.execute_update(
        PortfolioCycleWorkflow.record_review,
        ReviewRequest(
            by="qdd",
            lessons="Les fournisseurs locaux répondent mieux quand on les rencontre.",
            decisions=["Organiser deux rencontres fournisseurs par an"],
        ),
    )
    if settle:
        await env.sleep(settle)
    assert await handle.result() == "closed"


async def test_on_time_year_sends_what_simulate_lists_and_improves(
    env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = plan()
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_and_approve(env, document, queue)
        for task in plan_tasks(document, document.plans[0]):
            await sleep_until(env, task.due)
            task_handle = env.client.get_workflow_handle(task_workflow_id(task.id))
            if task.indicators:
                with refused("missing"):
                    await task_handle.execute_update(
                        TaskWorkflow.complete, CompleteRequest(by="resto")
                    )
                await task_handle.execute_update(
                    TaskWorkflow.submit_values, ValuesRequest(by="resto", values={"part-bio": 17.5})
                )
            else:
                await task_handle.execute_update(
                    TaskWorkflow.complete, CompleteRequest(by=task.assignees[0], comment="fait")
                )
        await finish_the_year(env, handle, sessions)
        assert sent(sessions) == simulated(document, Assumption.on_time)
        await save_histories(env.client, cycle_workflow_id("restauration", 2027), "cycle-on-time")
        await save_histories(
            env.client,
            task_workflow_id("restauration/2027/point/2027-03-31"),
            "task-checkpoint-on-time",
        )

        with sessions() as session:
            cycle = session.get(Cycle, "restauration/2027")
            tasks = session.exec(select(Task)).all()
            value = session.exec(select(IndicatorValue)).one()
            draft = session.exec(select(PlanVersion).where(PlanVersion.year == 2028)).one()
        assert cycle.phase == "closed" and cycle.approved_by == "dgs"
        assert {task.status for task in tasks} == {"done"}
        assert value.value == 17.5 and value.period == "restauration/2027/point/2027-03-31"
        bio = cycle.scorecard["indicators"][0]
        assert (bio["indicator"], bio["value"], bio["status"]) == ("part-bio", 17.5, "at_risk")
        assert cycle.scorecard["tasks"]["done_on_time"] == 3
        assert cycle.review["decisions"] == ["Organiser deux rencontres fournisseurs par an"]
        items = {item["id"]: item for item in draft.document["plans"][0]["items"]}
        assert set(items) == {"formation", "point", "decision-2027-1"}  # pub was done
        assert items["formation"]["start"] == "2028-03-14T14:00"  # same weekday
        next_year = env.client.get_workflow_handle(cycle_workflow_id("restauration", 2028))
        view = await next_year.query(PortfolioCycleWorkflow.view)
        assert (view.year, view.phase) == (2028, Phase.planning)
        subjects = [m["Subject"] for m in mailer.sent]
        assert any(s.startswith("Bilan 2027 prêt") for s in subjects)
        assert any(s.startswith("Projet de plan 2028 prêt") for s in subjects)

    # `boucle report` on that year: its figures are the values submitted and the tasks done.
    monkeypatch.setenv("BOUCLE_DATABASE_URL", str(sessions.engine.url))
    runner = CliRunner()
    as_json = runner.invoke(cli, ["report", "2027", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    (portfolio,) = json.loads(as_json.output)["portfolios"]
    (bio,) = portfolio["scorecard"]["indicators"]
    assert (bio["indicator"], bio["value"], bio["status"]) == ("part-bio", 17.5, "at_risk")
    assert portfolio["scorecard"]["tasks"]["done_on_time"] == 3
    assert portfolio["review"]["decisions"] == ["Organiser deux rencontres fournisseurs par an"]
    months = {m["month"]: m for m in portfolio["months"] if m["due"]}
    assert {month: m["done_on_time"] for month, m in months.items()} == {2: 1, 3: 2}
    as_csv = runner.invoke(cli, ["report", "2027", "--format", "csv"])
    assert "restauration;part-bio;Part bio;percent;last;17,5;20;12" in as_csv.output


async def test_missed_year_sends_every_overdue_notice_and_escalation(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan()
    sessions = store_with(document, tmp_path)
    mailer = RecordingMailer()
    async with running_worker(env.client, sessions, mailer) as queue:
        handle = await start_and_approve(env, document, queue)
        await finish_the_year(env, handle, sessions)
        assert sent(sessions) == simulated(document, Assumption.missed)
        await save_histories(env.client, cycle_workflow_id("restauration", 2027), "cycle-missed")
        await save_histories(
            env.client, task_workflow_id("restauration/2027/pub/2027-02-15"), "task-action-missed"
        )
        with sessions() as session:
            cycle = session.get(Cycle, "restauration/2027")
            draft = session.exec(select(PlanVersion).where(PlanVersion.year == 2028)).one()
        assert cycle.scorecard["tasks"]["missed"] == 3
        items = {item["id"]: item for item in draft.document["plans"][0]["items"]}
        assert items["pub"]["carried_over_from"] == "restauration/2027/pub"
        assert items["pub"]["due"] == "2028-03-31"
        invitations = [m for m in mailer.sent if m["Subject"].startswith("Invitation")]
        assert len(invitations) == 2  # the trainer and the attendee
        calendar = invitations[0].get_body(("calendar",)) or next(
            part for part in invitations[0].walk() if part.get_content_type() == "text/calendar"
        )
        assert "METHOD:REQUEST" in calendar.get_content()
