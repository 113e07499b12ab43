"""Re-importing an edited draft replaces it in the waiting cycle; after approval it cannot."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from services.plans import approve_plan, import_plans, submit_plan
from store.database import SessionFactory
from tests.engine.support import RecordingMailer, refused, running_worker, store_with
from tests.plans import plan_with
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import cycle_workflow_id

FIRST = """
    - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
"""
EDITED = (
    FIRST
    + """
    - {id: sourcing, kind: action, title: Sourcing local, assignees: [resto], due: "2027-05-03"}
"""
)


async def test_an_edited_draft_replaces_the_waiting_one(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    sessions: SessionFactory = store_with(plan_with(""), tmp_path)
    async with running_worker(env.client, sessions, RecordingMailer()) as queue:
        (first,) = await import_plans(
            plan_with(FIRST), sessions, env.client, queue, by="qdd", with_search_attributes=False
        )
        assert first.cycle_started and first.version == 2  # version 1: the empty store's draft
        await submit_plan(env.client, "restauration", 2027, "qdd")
        (edited,) = await import_plans(
            plan_with(EDITED), sessions, env.client, queue, by="qdd", with_search_attributes=False
        )
        assert (edited.version, edited.cycle_started, edited.cycle_revised) == (3, False, True)
        handle = env.client.get_workflow_handle(cycle_workflow_id("restauration", 2027))
        view = await handle.query(PortfolioCycleWorkflow.view)
        assert (view.plan_version, view.tasks_planned, view.submitted_at) == (3, 2, None)
        with refused("not submitted"):  # the direction approves what it was shown
            await approve_plan(env.client, "restauration", 2027, "dgs")
        await submit_plan(env.client, "restauration", 2027, "qdd")
        await approve_plan(env.client, "restauration", 2027, "dgs")
        (late,) = await import_plans(
            plan_with(FIRST), sessions, env.client, queue, by="qdd", with_search_attributes=False
        )
        assert (late.version, late.cycle_revised) == (4, False)  # stored, not applied
        assert (await handle.query(PortfolioCycleWorkflow.view)).plan_version == 3
