"""Plan documents as plain data: one plan per document, validation of edited documents."""

from __future__ import annotations

from typing import Any

from domain.errors import PlanError
from domain.model import PlanFile, YearPlan
from domain.source import Source
from domain.validation import validate_source


def single_plan(document: PlanFile, plan: YearPlan) -> PlanFile:
    """The document reduced to one yearly plan: what a cycle carries and a version stores."""
    return document.model_copy(update={"plans": [plan]})


def as_data(document: PlanFile) -> dict[str, Any]:
    """Plain data in the plan file's own shape (what `boucle plan check` reads back)."""
    return document.model_dump(mode="json", exclude_unset=True)


def validate_data(data: Any) -> tuple[PlanFile | None, list[PlanError]]:
    """Validate plain data (an API body, an amended document); errors carry paths, line 0."""
    document, errors, _ = validate_source(Source(data=data, lines={}))
    return document, errors
