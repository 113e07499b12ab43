"""Plan documents as plain data: one plan per document, validation of edited documents."""

from __future__ import annotations

from typing import Any

from domain.errors import PlanError
from domain.model import PlanFile, Role, YearPlan
from domain.source import Source
from domain.validation import validate_source


def single_plan(document: PlanFile, plan: YearPlan) -> PlanFile:
    """The document reduced to one yearly plan: what a cycle carries and a version stores."""
    return document.model_copy(update={"plans": [plan]})


def cycle_document(document: PlanFile, plan: YearPlan) -> PlanFile:
    """What one portfolio's cycle needs of the file: its plan, its portfolio, the people it
    names (with every officer and the direction), the indicators that concern it.

    A région's file names 400 buyers and 100 portfolios; each of its hundred cycles carries a
    tenth of it in its history and its memory instead of all of it.
    """
    portfolio = next((p for p in document.portfolios if p.id == plan.portfolio), None)
    named = {p for item in plan.items for p in (*item.assignees, *item.attendees)}
    if portfolio is not None:
        named |= {p for p in (portfolio.owner, *portfolio.buyers) if p}
    people = [
        person
        for person in document.people
        if person.id in named or person.role in (Role.officer, Role.direction)
    ]
    wanted = {i for objective in plan.objectives for i in objective.indicators}
    wanted |= {i for item in plan.items for i in item.indicators}
    indicators = []
    for indicator in document.indicators:
        if indicator.portfolios and plan.portfolio in indicator.portfolios:
            indicators.append(indicator.model_copy(update={"portfolios": [plan.portfolio]}))
        elif not indicator.portfolios or indicator.id in wanted:
            indicators.append(indicator)
    kept = {indicator.id for indicator in indicators}
    for indicator in list(indicators):  # a ratio needs its two parts
        for part in (indicator.numerator, indicator.denominator):
            if part and part not in kept:
                kept.add(part)
                indicators += [i for i in document.indicators if i.id == part]
    return document.model_copy(
        update={
            "plans": [plan],
            "people": people,
            "portfolios": [portfolio] if portfolio is not None else [],
            "indicators": indicators,
        }
    )


def as_data(document: PlanFile) -> dict[str, Any]:
    """Plain data in the plan file's own shape (what `boucle plan check` reads back)."""
    return document.model_dump(mode="json", exclude_unset=True)


def validate_data(data: Any) -> tuple[PlanFile | None, list[PlanError]]:
    """Validate plain data (an API body, an amended document); errors carry paths, line 0."""
    document, errors, _ = validate_source(Source(data=data, lines={}))
    return document, errors
