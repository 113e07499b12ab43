"""Response and request models, separate from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, HttpUrl


class Health(BaseModel):
    status: str
    database: bool
    temporal: bool


class CycleSummary(BaseModel):
    id: str
    portfolio: str
    portfolio_name: str | None
    year: int
    phase: str
    plan_version: int | None
    approved_at: datetime | None
    tasks_total: int
    tasks_done: int
    tasks_open: int
    tasks_overdue: int
    tasks_cancelled: int
    next_due: datetime | None


class TaskPublic(BaseModel):
    id: str
    portfolio: str
    year: int
    item: str
    kind: str
    title: str
    due: datetime
    original: datetime
    assignees: list[str]
    attendees: list[str]
    status: str
    overdue: bool
    done_at: datetime | None
    done_by: str | None
    comment: str | None
    evidence_url: str | None


class CycleDetail(CycleSummary):
    submitted_at: datetime | None
    approved_by: str | None
    evaluate_on: datetime | None
    scorecard: dict[str, Any] | None
    review: dict[str, Any] | None
    tasks: list[TaskPublic]


class CompleteTask(BaseModel):
    comment: str | None = Field(default=None, max_length=4000)
    evidence_url: HttpUrl | None = None
