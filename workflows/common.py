"""What every workflow module shares: retry policies, refusals, search attributes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from workflows.types import MESSAGE_BROKEN, Phase, Refusal, SendReport, mail_queue

SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    # A message that cannot be written (a template or context bug) fails the same way on
    # every attempt: it is recorded and reported once instead of retried for ever.
    non_retryable_error_types=[MESSAGE_BROKEN],
)
STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)

PORTFOLIO = SearchAttributeKey.for_keyword("Portfolio")
CYCLE_YEAR = SearchAttributeKey.for_int("CycleYear")
CYCLE_PHASE = SearchAttributeKey.for_keyword("CyclePhase")


# An update or signal that arrived while the cycle ran a step (an activity) used to be
# forgotten when the wake flag was reset after the step: an approval during the store's
# projection of a resubmission waited for the next reminder, or for ever. The flag is now
# reset before the steps; executions without this marker keep the order they recorded.
WAKES_KEPT = "wakes-kept-across-steps"


# Sends were local activities inside the workflow task that woke them, on the workflow
# queue. They are now activities on the mail queue (`<queue>-mail`), which a relay's quota
# limits (BOUCLE_MAIL_PER_SECOND); executions without this marker keep their local sends.
SENDS_ON_MAIL_QUEUE = "sends-on-mail-queue"


# A send beats after each message (each at most 30 s): a worker killed mid-send is noticed
# after this, not after the whole activity's timeout, and its activity tried elsewhere.
MAIL_HEARTBEAT = timedelta(seconds=45)


async def send_on_mail_queue(
    name: str,
    argument: Any,
    timeout: timedelta,
    retry: RetryPolicy = SEND_RETRY,
    schedule_to_close: timedelta | None = None,
) -> SendReport:
    """Send through an activity of the mail queue; a message that cannot be written counts as
    failed (the activity recorded it and told the officers) and the workflow carries on."""
    try:
        return await workflow.execute_activity(
            name,
            argument,
            result_type=SendReport,
            task_queue=mail_queue(workflow.info().task_queue),
            start_to_close_timeout=timeout,
            schedule_to_close_timeout=schedule_to_close,
            heartbeat_timeout=MAIL_HEARTBEAT,
            retry_policy=retry,
        )
    except ActivityError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == MESSAGE_BROKEN:
            workflow.logger.warning("%s not sent, it cannot be written: %s", name, cause)
            return SendReport(failed=1)
        raise


def refuse(kind: Refusal, code: str, message: str, **params: object) -> ApplicationError:
    """A validator's refusal: its kind (the HTTP status), a stable code with its parameters
    (what the API translates), and the reason in English (what logs and histories show)."""
    return ApplicationError(
        message,
        {"code": code, "params": {key: str(value) for key, value in params.items()}},
        type=kind.value,
        non_retryable=True,
    )


def search_attributes(portfolio: str, year: int, phase: Phase) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(PORTFOLIO, portfolio),
            SearchAttributePair(CYCLE_YEAR, year),
            SearchAttributePair(CYCLE_PHASE, phase.value),
        ]
    )


def already_started(error: BaseException) -> bool:
    return isinstance(error, WorkflowAlreadyStartedError) or (
        isinstance(error, ApplicationError) and "already started" in str(error).lower()
    )
