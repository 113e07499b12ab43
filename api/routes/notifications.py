"""What was sent to whom and when, and what could not be delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from api.access import OwnReader, sees_everything
from api.deps import SessionDep
from api.errors import responses
from store.tables import Notification

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=responses(401, 403))


class NotificationPublic(BaseModel):
    id: int
    type: str
    task_id: str | None
    cycle_id: str | None
    person_id: str
    email: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    scheduled_at: datetime | None
    sent_at: datetime | None


@router.get("", response_model=list[NotificationPublic])
def read_notifications(
    session: SessionDep,
    person: OwnReader,
    status: Annotated[str | None, Query(pattern="^(pending|sent|grouped|failed)$")] = None,
    task: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[NotificationPublic]:
    """Oldest first, paged by id (`after_id`); a buyer sees only messages addressed to them."""
    query = select(Notification).where(col(Notification.id) > after_id)
    if not sees_everything(person):
        query = query.where(Notification.person_id == person.id)
    if status is not None:
        query = query.where(Notification.status == status)
    if task is not None:
        query = query.where(Notification.task_id == task)
    rows = session.exec(query.order_by(col(Notification.id)).limit(limit)).all()
    return [NotificationPublic.model_validate(row, from_attributes=True) for row in rows]
