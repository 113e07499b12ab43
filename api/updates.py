"""Writes to running cycles and tasks: workflow updates, and what their refusals become."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.models import CycleStatus
from api.refusals import in_french
from boucle.services import cycle_handle
from workflows.types import Refusal

REFUSAL_STATUS = {
    Refusal.forbidden.value: 403,
    Refusal.conflict.value: 409,
    Refusal.invalid.value: 422,
}


def refusal_reason(error: WorkflowUpdateFailedError) -> tuple[str, str]:
    """Why a validator refused: its kind and its reason (in the workflow's English)."""
    cause = error.cause
    return getattr(cause, "type", None) or "", str(getattr(cause, "message", cause))


def refusal(error: WorkflowUpdateFailedError) -> ApiError:
    """A validator's refusal as 403, 409 or 422, with its reason in French or English."""
    kind, reason = refusal_reason(error)
    return ApiError(
        REFUSAL_STATUS.get(kind, 409), "refused", reason=reason, reason_fr=in_french(reason)
    )


async def cycle_update(
    temporal: Client, portfolio: str, year: int, update: Any, argument: Any
) -> CycleStatus:
    """Run an update on a cycle's workflow; a refusal becomes 403, 409 or 422 with its reason."""
    handle = cycle_handle(temporal, portfolio, year)
    try:
        view = await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as error:
        raise refusal(error) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "no_plan", portfolio=portfolio, year=year) from None
        raise
    return CycleStatus.model_validate(view.model_dump(mode="json"))
