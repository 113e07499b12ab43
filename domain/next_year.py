"""Next year's draft plan, generated from this year's plan, outcomes, scorecard and review."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from domain.calendar import anchor_datetime, parse_rrule
from domain.model import Direction, Indicator, Kind, PlanFile, PlanItem, Unit, YearPlan
from domain.scorecard import Scorecard, TaskOutcome

CARRIED_OVER_DUE = (3, 31)  # unfinished actions are due by the end of next year's Q1
DECISIONS_DUE = (6, 30)


class Review(BaseModel):
    """The year-end review the officer records: what was learned and what is decided."""

    lessons: str = ""
    decisions: list[str] = Field(default_factory=list)
    recorded_by: str | None = None
    recorded_at: datetime | None = None


def one_line(text: str) -> str:
    """A review's decision as an item's title: its lines joined, control characters gone."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _shift_date_text(text: str, new_day: date) -> str:
    return new_day.isoformat() + (text[10:] if "T" in text else "")


def _same_date_next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _until_next_year(part: str) -> str:
    """`UNTIL=20270630T235959Z` a year later."""
    key, _, value = part.partition("=")
    return f"{key}={int(value[:4]) + 1}{value[4:]}"


def roll_forward(item: PlanItem, year: int) -> PlanItem | None:
    """The item moved to `year`: a rule keeps its meaning (first Monday stays first Monday),
    its place in the year and its length (three weekly sessions in March stay three)."""
    start, _ = anchor_datetime(item)
    field = "start" if item.start is not None else "due"
    if item.rrule:
        parts = item.rrule.split(";")
        bounds = ("UNTIL=", "COUNT=")
        unbounded = ";".join(p for p in parts if not p.upper().startswith(bounds))
        # The rule's first occurrence from (about) the same date next year: within the week
        # before it, so that a first Thursday of January stays the first one of January.
        since = _same_date_next_year(start.date()) - timedelta(days=6)
        occurrences = parse_rrule(unbounded, start.replace(year=year - 1), year)
        first = next((o for o in occurrences if o.date() >= since), None)
        if first is None:
            return None
        kept = [
            _until_next_year(p) if p.upper().startswith("UNTIL=") else p
            for p in parts
            if p.upper().startswith(bounds)
        ]
        anchor = (
            first.isoformat(timespec="minutes") if "T" in item.anchor else first.date().isoformat()
        )
        return item.model_copy(update={field: anchor, "rrule": ";".join([unbounded, *kept])})
    if item.kind.is_event:
        # Events keep their weekday: 52 weeks later, or 53 when that stays in the old year.
        moved = start.date() + timedelta(weeks=52)
        if moved.year < year:
            moved += timedelta(weeks=1)
        return item.model_copy(update={field: _shift_date_text(item.anchor, moved)})
    return item.model_copy(
        update={field: _shift_date_text(item.anchor, _same_date_next_year(start.date()))}
    )


def propose_target(indicator: Indicator, value: float | None) -> float | None:
    """Keep the target where met, raise it by the observed progress, never below the floor."""
    if indicator.target is None:
        return None
    target = indicator.target
    if value is not None and indicator.baseline is not None:
        progress = value - indicator.baseline
        sign = 1 if indicator.direction == Direction.increase else -1
        if sign * progress > 0:
            candidate = value + progress
            target = max(target, candidate) if sign > 0 else min(target, candidate)
    if indicator.floor is not None:
        target = (
            max(target, indicator.floor)
            if indicator.direction == Direction.increase
            else min(target, indicator.floor)
        )
    if indicator.unit == Unit.percent:
        target = min(max(target, 0.0), 100.0)
    return round(target, 2)


def next_year_draft(
    document: PlanFile,
    plan: YearPlan,
    outcomes: list[TaskOutcome],
    scorecard: Scorecard | None,
    review: Review | None,
) -> PlanFile:
    """A plan file holding the draft of `plan` for the following year."""
    year = plan.year + 1
    unfinished = {
        outcome.task.split("/")[2]
        for outcome in outcomes
        if outcome.status in ("open", "missed") and outcome.kind == Kind.action.value
    }
    items: list[PlanItem] = []
    for item in plan.items:
        recurring = bool(item.rrule) or item.kind != Kind.action
        if recurring:
            moved = roll_forward(item, year)
            if moved is not None:
                items.append(moved)
        elif item.id in unfinished:
            due = date(year, *CARRIED_OVER_DUE).isoformat()
            items.append(
                item.model_copy(
                    update={
                        "start": None,
                        "due": due,
                        "rrule": None,
                        "carried_over_from": f"{plan.portfolio}/{plan.year}/{item.id}",
                    }
                )
            )
    owner = _owner(document, plan)
    taken = {item.id for item in items}
    for number, decision in enumerate(review.decisions if review else [], start=1):
        identifier = f"decision-{plan.year}-{number}"
        if identifier in taken or not owner:
            continue
        items.append(
            PlanItem(
                id=identifier,
                kind=Kind.action,
                title=one_line(decision)[:200],
                due=date(year, *DECISIONS_DUE).isoformat(),
                assignees=[owner],
                description=f"Décision de la revue {plan.year}",
            )
        )
    values = {score.indicator: score.value for score in (scorecard.indicators if scorecard else [])}
    indicators = [
        indicator.model_copy(
            update={
                "baseline": values.get(indicator.id, indicator.baseline)
                if values.get(indicator.id) is not None
                else indicator.baseline,
                "target": propose_target(indicator, values.get(indicator.id)),
            }
        )
        if indicator.id in values
        else indicator
        for indicator in document.indicators
    ]
    draft = plan.model_copy(update={"year": year, "items": items, "approve_by": None})
    return document.model_copy(update={"plans": [draft], "indicators": indicators})


def _owner(document: PlanFile, plan: YearPlan) -> str | None:
    for portfolio in document.portfolios:
        if portfolio.id == plan.portfolio:
            return portfolio.owner or (portfolio.buyers[0] if portfolio.buyers else None)
    return document.officers[0] if document.officers else None
