"""The audit trail: who wrote what, when, with which token, and how it ended."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from api.access import Staff
from api.deps import SessionDep
from api.errors import responses
from api.models import AuditPublic
from store.tables import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"], responses=responses(401, 403))


class AuditRowPublic(AuditPublic):
    """A row as the chain keeps it: where it comes from, what it changed, its seal."""

    sequence: int | None
    origin: str
    changes: dict[str, Any] | None  # object → field → [before, after]
    previous_hash: str | None
    hash: str | None


@router.get("", response_model=list[AuditRowPublic])
def read_audit(
    session: SessionDep,
    person: Staff,
    who: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[AuditRowPublic]:
    """Oldest first, paged by id (`after_id`): for the officer and the direction."""
    query = select(AuditEntry).where(col(AuditEntry.id) > after_id)
    if who is not None:
        query = query.where(AuditEntry.person_id == who)
    rows = session.exec(query.order_by(col(AuditEntry.id)).limit(limit))
    return [AuditRowPublic.model_validate(row, from_attributes=True) for row in rows]
