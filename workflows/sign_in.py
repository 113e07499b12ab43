"""SignInWorkflow: the email that carries a person's sign-in link, sent through the outbox.

The link itself is signed by the activity: what the history holds (person, nonce, expiry)
opens nothing.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.common import SENDS_ON_MAIL_QUEUE, send_on_mail_queue
    from workflows.types import ActivityName, SendReport


SIGN_IN_LIFETIME = timedelta(minutes=15)


class SignInInput(BaseModel):
    person: str
    nonce: str  # makes each request its own link and its own outbox row
    expires_at: str  # ISO instant: the link is worth nothing after it
    next: str = "/app/tasks"  # the page the person asked for


def sign_in_workflow_id(nonce: str) -> str:
    return f"sign-in:{nonce}"


@workflow.defn
class SignInWorkflow:
    @workflow.run
    async def run(self, input: SignInInput) -> SendReport:
        # A link that arrives after it expired is no use: stop trying when it would.
        retry = RetryPolicy(maximum_interval=timedelta(seconds=30))
        if workflow.patched(SENDS_ON_MAIL_QUEUE):
            return await send_on_mail_queue(
                ActivityName.send_sign_in,
                input,
                timedelta(minutes=1),
                retry,
                schedule_to_close=timedelta(minutes=14),
            )
        return await workflow.execute_activity(
            ActivityName.send_sign_in,
            input,
            result_type=SendReport,
            start_to_close_timeout=timedelta(minutes=1),
            schedule_to_close_timeout=timedelta(minutes=14),
            retry_policy=retry,
        )
