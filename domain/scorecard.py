"""The year's scorecard: indicators against targets and how the tasks went."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from domain.model import Direction, Indicator, PlanFile

AT_RISK_PROGRESS = 0.5  # at least half-way from baseline to target


class Status(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    no_data = "no_data"


class Trend(StrEnum):
    improving = "improving"
    stable = "stable"
    worsening = "worsening"
    unknown = "unknown"


class IndicatorValuePoint(BaseModel):
    indicator: str
    period: str
    value: float
    recorded_at: datetime


class TaskOutcome(BaseModel):
    task: str
    kind: str
    due: datetime
    status: str  # open done cancelled
    done_at: datetime | None = None


class IndicatorScore(BaseModel):
    indicator: str
    name: str
    unit: str
    direction: Direction
    baseline: float | None
    target: float | None
    value: float | None
    previous: float | None
    progress: float | None  # share of the way from baseline to target, 1.0 = met
    status: Status
    trend: Trend
    rule: str


class TaskScore(BaseModel):
    total: int = 0
    done_on_time: int = 0
    done_late: int = 0
    missed: int = 0
    cancelled: int = 0
    open: int = 0


class Scorecard(BaseModel):
    portfolio: str
    year: int
    computed_at: datetime
    indicators: list[IndicatorScore]
    tasks: TaskScore


def portfolio_indicators(document: PlanFile, portfolio: str) -> list[Indicator]:
    """Indicators that concern a portfolio: its own and the organisation-wide ones."""
    return [
        indicator
        for indicator in document.indicators
        if not indicator.portfolios or portfolio in indicator.portfolios
    ]


def score_indicator(indicator: Indicator, points: list[IndicatorValuePoint]) -> IndicatorScore:
    """Compare the latest value with target and baseline; the rule is stated with the result."""
    ordered = sorted(points, key=lambda point: (point.recorded_at, point.period))
    value = ordered[-1].value if ordered else None
    previous = ordered[-2].value if len(ordered) > 1 else indicator.baseline
    sign = 1 if indicator.direction == Direction.increase else -1
    progress = None
    if value is None:
        status, rule = Status.no_data, "aucune valeur saisie"
    elif indicator.target is None:
        status, rule = Status.on_track, "pas de cible : suivi seulement"
    elif sign * (value - indicator.target) >= 0:
        status, rule, progress = Status.on_track, "cible atteinte", 1.0
    else:
        baseline = indicator.baseline if indicator.baseline is not None else value
        span = indicator.target - baseline
        progress = (value - baseline) / span if span else 0.0
        if progress >= AT_RISK_PROGRESS:
            status = Status.at_risk
            rule = "cible non atteinte, au moins la moitié du chemin depuis la référence"
        else:
            status = Status.off_track
            rule = "cible non atteinte, moins de la moitié du chemin depuis la référence"
    if value is None or previous is None:
        trend = Trend.unknown
    elif value == previous:
        trend = Trend.stable
    else:
        trend = Trend.improving if sign * (value - previous) > 0 else Trend.worsening
    return IndicatorScore(
        indicator=indicator.id,
        name=indicator.name,
        unit=indicator.unit.value,
        direction=indicator.direction,
        baseline=indicator.baseline,
        target=indicator.target,
        value=value,
        previous=previous,
        progress=progress,
        status=status,
        trend=trend,
        rule=rule,
    )


def score_tasks(outcomes: list[TaskOutcome], zone: ZoneInfo) -> TaskScore:
    """Count tasks by outcome; done on time means done by the end of its (local) due day."""
    score = TaskScore(total=len(outcomes))
    for outcome in outcomes:
        if outcome.status == "cancelled":
            score.cancelled += 1
        elif outcome.status == "done" and outcome.done_at is not None:
            if outcome.done_at.astimezone(zone).date() <= outcome.due.astimezone(zone).date():
                score.done_on_time += 1
            else:
                score.done_late += 1
        elif outcome.status == "open":
            score.missed += 1
    return score


def compute_scorecard(
    document: PlanFile,
    portfolio: str,
    year: int,
    values: list[IndicatorValuePoint],
    outcomes: list[TaskOutcome],
    now: datetime,
) -> Scorecard:
    by_indicator: dict[str, list[IndicatorValuePoint]] = {}
    for point in values:
        by_indicator.setdefault(point.indicator, []).append(point)
    return Scorecard(
        portfolio=portfolio,
        year=year,
        computed_at=now,
        indicators=[
            score_indicator(indicator, by_indicator.get(indicator.id, []))
            for indicator in portfolio_indicators(document, portfolio)
        ],
        tasks=score_tasks(outcomes, document.organisation.zone),
    )
