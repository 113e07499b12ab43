"""An approval that arrives while the cycle writes its row to the store is not lost.

The planning loop used to reset its wake flag after that step. The officer resubmits while
the "plan sent back" email is being sent, so the direction is asked before the store records
the resubmission; the direction approves while it does; the loop then waited for the next
reminder (days later) before it saw the approval. Both steps are held here until the next
person acts, as a busy worker holds them.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.calendar import cycle_holidays
from activities.notify import NotificationConfig
from activities.registry import build_activities
from tests.engine.support import RecordingMailer, engine_workers, store_with
from tests.engine.test_send_back import ITEMS, plan, until
from workflows.cycle import PortfolioCycleWorkflow
from workflows.types import (
    ActivityName,
    ApprovalRequest,
    CycleInput,
    CycleRow,
    PlanNotice,
    PlanReturn,
    SendReport,
    SubmitRequest,
    cycle_workflow_id,
)


async def test_an_approval_during_the_submission_s_projection_is_acted_on(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    document = plan(ITEMS)
    sessions = store_with(document, tmp_path)
    told: list[str] = []
    projecting = asyncio.Event()
    approved = asyncio.Event()
    real = build_activities(sessions, RecordingMailer(), NotificationConfig())
    store_row = next(a for a in real if a.__name__ == "project_cycle")

    @activity.defn(name=ActivityName.send_plan_notice)
    async def send_plan_notice(notice: PlanNotice) -> SendReport:
        if notice.message == "plan_returned":
            returning.set()
            await resubmitted.wait()  # the officer resubmits while this email goes out
        told.append(notice.message)
        return SendReport(sent=len(notice.to))

    resubmitted = asyncio.Event()
    returning = asyncio.Event()

    @activity.defn(name=ActivityName.project_cycle)
    async def project_cycle(row: CycleRow) -> None:
        if resubmitted.is_set() and row.submitted_at is not None and row.approved_at is None:
            projecting.set()
            await approved.wait()  # the direction answers while the row is being written
        await asyncio.to_thread(store_row, row)

    names = {"send_plan_notice", "project_cycle"}
    activities = [a for a in real if a.__name__ not in names] + [send_plan_notice, project_cycle]
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with engine_workers(
            env.client,
            task_queue="boucle-test-wakes",
            activities=activities,
            activity_executor=executor,
        ):
            handle = await env.client.start_workflow(
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
                task_queue="boucle-test-wakes",
            )
            await handle.execute_update(PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd"))
            await until(lambda: "plan_approval_request" in told)
            await handle.execute_update(
                PortfolioCycleWorkflow.send_back, PlanReturn(by="dgs", comment="Visez 25 %.")
            )
            await asyncio.wait_for(returning.wait(), 30)
            await handle.execute_update(PortfolioCycleWorkflow.submit, SubmitRequest(by="qdd"))
            resubmitted.set()
            await asyncio.wait_for(projecting.wait(), 30)
            view = await handle.execute_update(
                PortfolioCycleWorkflow.approve, ApprovalRequest(by="dgs")
            )
            assert view.approved_by == "dgs"
            approved.set()
            await until(lambda: "plan_approved" in told)
    assert told[-1] == "plan_approved"
