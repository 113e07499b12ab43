"""A task workflow that keeps failing is told to the officer once, by the hourly watch."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.store import StoreActivities
from domain.tasks import plan_tasks
from tests.engine.support import RecordingMailer, running_worker, store_with
from tests.plans import plan_with
from workflows.types import SendReport, TaskRow, task_workflow_id
from workflows.watch import EngineWatchWorkflow, WatchInput

ITEMS = """
    - {id: pub, kind: action, title: Publier le marché bio, assignees: [resto], due: "2027-02-15"}
"""


@workflow.defn(name="BrokenTask")
class BrokenTask:
    """Stands for a task workflow hit by a bug: every one of its workflow tasks fails."""

    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("a bug in the workflow code")


async def test_a_stuck_task_workflow_is_reported_to_the_officer_once(
    dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_server.client
    document = plan_with(ITEMS)
    sessions = store_with(document, tmp_path)
    (task,) = plan_tasks(document, document.plans[0])
    StoreActivities(sessions).project_tasks([TaskRow(task=task, cycle_id="restauration/2027")])
    mailer = RecordingMailer()
    broken_queue = f"broken-{uuid.uuid4().hex[:8]}"
    async with (
        running_worker(client, sessions, mailer) as queue,
        Worker(
            client,
            task_queue=broken_queue,
            workflows=[BrokenTask],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
    ):
        stuck = await client.start_workflow(
            "BrokenTask", id=task_workflow_id(task.id), task_queue=broken_queue
        )
        try:
            flagged = f'WorkflowId = "{stuck.id}" AND TemporalReportedProblems IS NOT NULL'
            for _ in range(120):  # flagged after two failed workflow tasks (see conftest)
                if [w async for w in client.list_workflows(flagged)]:
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError("the failing workflow was never flagged")
            watches = []
            for hour in ("2027-02-10T10", "2027-02-10T11"):
                watches.append(
                    await client.execute_workflow(
                        EngineWatchWorkflow.run,
                        WatchInput(fired_at=f"{hour}:05:00+01:00"),
                        id=f"engine-watch:{hour}:{uuid.uuid4().hex[:6]}",
                        task_queue=queue,
                        result_type=SendReport,
                    )
                )
        finally:
            await stuck.terminate("test over")
    # Other tests' workflows share the server: only this one is counted, by its subject.
    ours = [m for m in mailer.sent if "Publier le marché bio" in str(m["Subject"])]
    assert [(str(m["To"]), str(m["Subject"])) for m in ours] == [
        (
            "Claire Martin <claire.martin@example.org>",
            "Suivi bloqué : Publier le marché bio (Restauration 2027)",
        )
    ]
    text = ours[0].get_body(("plain",)).get_content()
    assert "constaté le mercredi 10 février 2027 à 10 h 05" in text
    assert f"Identifiant : task:{task.id}" in text
    assert "WorkflowWorkerUnhandledFailure" in text
    assert watches[1].sent == 0  # the second watch finds it told already
