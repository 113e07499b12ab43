"""What every workflow module shares: retry policies, refusals, search attributes."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from workflows.types import Phase, Refusal

SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
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
