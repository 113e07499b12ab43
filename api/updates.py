"""Writes to running cycles and tasks: workflow updates run once per request, and what their
refusals become."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, locale_of
from api.models import CycleStatus
from services.plans import cycle_handle
from services.refusals import refusal_of, refusal_text
from store.database import SessionFactory
from store.tables import IdempotentRequest, Person
from workflows.types import Refusal

REFUSAL_STATUS = {
    Refusal.forbidden.value: 403,
    Refusal.conflict.value: 409,
    Refusal.invalid.value: 422,
}
IDEMPOTENCY_HEADER = "Idempotency-Key"
# A client's own key holds a day; without one, the same request from the same person counts
# as a retry for ten minutes (long enough for any client's retries, short enough that asking
# the same thing again tomorrow is a new request).
KEYED_LIFETIME = timedelta(hours=24)
DERIVED_LIFETIME = timedelta(minutes=10)

Answer = TypeVar("Answer", bound=BaseModel)


def refusal(error: WorkflowUpdateFailedError, request: Request | None = None) -> ApiError:
    """A validator's refusal as 403, 409 or 422, its reason looked up by its code."""
    kind, code, params, english = refusal_of(error)
    return ApiError(
        REFUSAL_STATUS.get(kind, 409),
        "refused",
        reason=refusal_text(code, params, "en", english),
        reason_fr=refusal_text(code, params, "fr", english),
    )


def refusal_for_people(error: WorkflowUpdateFailedError, request: Request) -> str:
    """The refusal's reason in the request's language (for pages)."""
    _, code, params, english = refusal_of(error)
    return refusal_text(code, params, locale_of(request), english)


@dataclass(frozen=True)
class RequestKey:
    """Who asks what: a retry of the same request has the same key."""

    key: str
    digest: str
    person: str
    lifetime: timedelta


async def request_key(request: Request, person: Person) -> RequestKey:
    body = await request.body()
    digest = hashlib.sha256(body).hexdigest()
    given = request.headers.get(IDEMPOTENCY_HEADER, "").strip()[:200]
    route = f"{request.method} {request.url.path}"
    if given:
        key = hashlib.sha256(f"{person.id}\n{route}\n{given}".encode()).hexdigest()
        return RequestKey(key, digest, person.id, KEYED_LIFETIME)
    key = hashlib.sha256(f"{person.id}\n{route}\n{digest}".encode()).hexdigest()
    return RequestKey(key, digest, person.id, DERIVED_LIFETIME)


def _claim(sessions: SessionFactory, asked: RequestKey) -> IdempotentRequest:
    """The request's record: found (a retry), or written now with a fresh update id."""
    now = datetime.now(UTC)
    for _ in range(2):
        with sessions() as session:
            session.exec(delete(IdempotentRequest).where(IdempotentRequest.expires_at < now))  # type: ignore[arg-type]
            session.commit()
            found = session.get(IdempotentRequest, asked.key)
            if found is not None:
                if found.request_digest != asked.digest or found.person_id != asked.person:
                    raise ApiError(422, "idempotency_key_reused", header=IDEMPOTENCY_HEADER)
                return found
            row = IdempotentRequest(
                key=asked.key,
                person_id=asked.person,
                request_digest=asked.digest,
                update_id=f"api-{uuid.uuid4().hex}",
                created_at=now,
                expires_at=now + asked.lifetime,
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the same request, at the same instant, from elsewhere
                session.rollback()
                continue
            return row
    raise ApiError(409, "request_in_flight")


def _remember(sessions: SessionFactory, key: str, body: str) -> None:
    with sessions() as session:
        row = session.get(IdempotentRequest, key)
        if row is not None:
            row.status, row.body = 200, body
            session.add(row)
            session.commit()


async def once(
    request: Request,
    person: Person,
    answer: type[Answer],
    act: Callable[[str], Awaitable[Answer]],
) -> Answer:
    """Run `act(update_id)` once for this request: a retry (the same `Idempotency-Key`, or the
    same body from the same person within minutes) gets the first answer and changes nothing.

    A retry that arrives while the first attempt still runs shares its update id, which the
    workflow engine runs once.
    """
    sessions: SessionFactory = request.app.state.sessions
    asked = await request_key(request, person)
    record = await run_in_threadpool(_claim, sessions, asked)
    if record.body is not None:
        return answer.model_validate_json(record.body)
    result = await act(record.update_id)
    await run_in_threadpool(_remember, sessions, asked.key, result.model_dump_json())
    return result


def engine_error(error: RPCError, **facts: Any) -> ApiError:
    """What an RPC failure becomes: the workflow is gone, or the engine is unreachable."""
    if error.status == RPCStatusCode.NOT_FOUND:
        return ApiError(404, "no_plan", **facts)
    return ApiError(503, "temporal_down")


async def cycle_update(
    temporal: Client,
    portfolio: str,
    year: int,
    update: Any,
    argument: Any,
    update_id: str | None = None,
) -> CycleStatus:
    """Run an update on a cycle's workflow; a refusal becomes 403, 409 or 422 with its reason."""
    handle = cycle_handle(temporal, portfolio, year)
    try:
        view = await handle.execute_update(update, argument, id=update_id)
    except WorkflowUpdateFailedError as error:
        raise refusal(error) from None
    except RPCError as error:
        raise engine_error(error, portfolio=portfolio, year=year) from None
    return CycleStatus.model_validate(view.model_dump(mode="json"))


async def cycle_write(
    request: Request,
    person: Person,
    temporal: Client,
    portfolio: str,
    year: int,
    update: Any,
    argument: Any,
) -> CycleStatus:
    """A person's write to a cycle: its update, run once for this request (see `once`)."""
    return await once(
        request,
        person,
        CycleStatus,
        lambda update_id: cycle_update(temporal, portfolio, year, update, argument, update_id),
    )
