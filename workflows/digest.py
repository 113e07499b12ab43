"""DigestWorkflow: the weekly digest, one run per week (its id carries the week)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import SENDS_ON_MAIL_QUEUE, STORE_RETRY, send_on_mail_queue
    from workflows.types import ActivityName, SendReport


class DigestInput(BaseModel):
    week: str  # ISO week, e.g. 2027-W14
    fired_at: str


def digest_workflow_id(week: str) -> str:
    return f"digest:{week}"


@workflow.defn
class DigestWorkflow:
    @workflow.run
    async def run(self, input: DigestInput) -> SendReport:
        if workflow.patched(SENDS_ON_MAIL_QUEUE):
            return await send_on_mail_queue(
                ActivityName.send_digests, input.week, timedelta(minutes=10), STORE_RETRY
            )
        return await workflow.execute_activity(
            ActivityName.send_digests,
            input.week,
            result_type=SendReport,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=STORE_RETRY,
        )
