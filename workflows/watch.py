"""EngineWatchWorkflow: one look for stuck workflows per hour (its id carries the hour)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import SENDS_ON_MAIL_QUEUE, STORE_RETRY, send_on_mail_queue
    from workflows.types import ActivityName, SendReport


class WatchInput(BaseModel):
    fired_at: str  # ISO instant, with its offset


def watch_workflow_id(hour: str) -> str:
    return f"engine-watch:{hour}"


@workflow.defn
class EngineWatchWorkflow:
    @workflow.run
    async def run(self, input: WatchInput) -> SendReport:
        if workflow.patched(SENDS_ON_MAIL_QUEUE):
            return await send_on_mail_queue(
                ActivityName.report_stuck_workflows,
                input.fired_at,
                timedelta(minutes=5),
                STORE_RETRY,
            )
        return await workflow.execute_activity(
            ActivityName.report_stuck_workflows,
            input.fired_at,
            result_type=SendReport,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=STORE_RETRY,
        )
