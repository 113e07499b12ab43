"""The year's scorecard: indicators against targets and how the tasks went."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.model import Aggregation, Computed, Direction, Indicator, Kind, PlanFile, Scope

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
    year: int | None = None  # the period's year, when values of several years travel together


class TaskOutcome(BaseModel):
    task: str
    kind: str
    due: datetime
    status: str  # open done cancelled missed
    done_at: datetime | None = None


class SeriesPoint(BaseModel):
    period: str
    value: float


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
    aggregation: str = "last"
    floor: float | None = None
    series: list[SeriesPoint] = Field(
        default_factory=list
    )  # the year so far, checkpoint by checkpoint
    years: dict[int, float] = Field(default_factory=dict)  # the same figure in earlier years


class TaskScore(BaseModel):
    total: int = 0
    done_on_time: int = 0
    done_late: int = 0
    missed: int = 0
    cancelled: int = 0
    open: int = 0


class ContractGap(BaseModel):
    """A contract notified under art. 35 Climat et résilience without what it requires."""

    id: str
    objet: str
    amount: float  # € HT
    notified: date  # DECP has no launch date: the notification date stands in
    missing: Literal["environmental", "social"]


class Scorecard(BaseModel):
    portfolio: str
    year: int
    computed_at: datetime
    indicators: list[IndicatorScore]
    tasks: TaskScore
    # The portfolio's contracts (by its CPV prefixes) that art. 35 asks to explain.
    art35_gaps: list[ContractGap] = Field(default_factory=list)


# Contract shares of the whole organisation are keyed "organisation/decp.social", a
# portfolio's own (its CPV prefixes' contracts) "decp.social".
ORGANISATION_SHARES = "organisation/"


def portfolio_indicators(document: PlanFile, portfolio: str) -> list[Indicator]:
    """Indicators that concern a portfolio: its own and the organisation-wide ones."""
    return [
        indicator
        for indicator in document.indicators
        if not indicator.portfolios or portfolio in indicator.portfolios
    ]


def year_figure(
    indicator: Indicator,
    points: dict[str, list[IndicatorValuePoint]],
    outcomes: list[TaskOutcome],
    zone: ZoneInfo,
    contract_shares: dict[str, float | None] | None = None,
) -> tuple[float | None, list[SeriesPoint]]:
    """The year's figure by the indicator's aggregation, and how it built up checkpoint by
    checkpoint (each point is the figure as it stood after that period's values)."""
    if indicator.computed is not None and indicator.computed.from_contracts:
        key = indicator.computed.value
        if indicator.scope == Scope.organisation:
            key = f"{ORGANISATION_SHARES}{key}"
        return (contract_shares or {}).get(key), []
    if indicator.computed is not None:
        return computed_figure(indicator.computed, outcomes, zone), []
    if indicator.aggregation == Aggregation.ratio:
        numerator = _ordered(points.get(indicator.numerator or "", []))
        denominator = _ordered(points.get(indicator.denominator or "", []))
        periods = sorted({p.period for p in numerator + denominator})
        series = []
        for period in periods:
            top = sum(p.value for p in numerator if p.period <= period)
            bottom = sum(p.value for p in denominator if p.period <= period)
            if bottom:
                series.append(SeriesPoint(period=period, value=round(100 * top / bottom, 2)))
        return (series[-1].value if series else None), series
    own = _ordered(points.get(indicator.id, []))
    series = []
    for number, point in enumerate(own, start=1):
        so_far = own[:number]
        if indicator.aggregation == Aggregation.sum:
            figure = sum(p.value for p in so_far)
        elif indicator.aggregation == Aggregation.mean:
            figure = sum(p.value for p in so_far) / len(so_far)
        else:
            figure = point.value
        series.append(SeriesPoint(period=point.period, value=round(figure, 2)))
    return (series[-1].value if series else None), series


def _ordered(points: list[IndicatorValuePoint]) -> list[IndicatorValuePoint]:
    return sorted(points, key=lambda point: (point.period, point.recorded_at))


def computed_figure(kind: Computed, outcomes: list[TaskOutcome], zone: ZoneInfo) -> float | None:
    """Indicators about Boucle's own work, from how its tasks went."""
    if kind == Computed.watch_reviews_on_time:
        reviews = [
            o
            for o in outcomes
            if o.kind == Kind.regulatory_watch_review and o.status != "cancelled"
        ]
        if not reviews:
            return None
        in_time = sum(1 for o in reviews if on_time(o, zone))
        return round(100 * in_time / len(reviews), 2)
    kind_of = {
        Computed.trainings_held: Kind.training_session,
        Computed.sourcing_meetings_held: Kind.supplier_meeting,
    }[kind]
    return float(sum(1 for o in outcomes if o.kind == kind_of and o.status == "done"))


def on_time(outcome: TaskOutcome, zone: ZoneInfo) -> bool:
    return (
        outcome.status == "done"
        and outcome.done_at is not None
        and outcome.done_at.astimezone(zone).date() <= outcome.due.astimezone(zone).date()
    )


def score_indicator(
    indicator: Indicator,
    value: float | None,
    series: list[SeriesPoint],
    years: dict[int, float] | None = None,
) -> IndicatorScore:
    """Compare the year's figure with target and baseline; the rule is stated with the result.

    on track: the target is met (or there is none); at risk: not met, but at least half-way
    from the baseline; off track: less than half-way, or moving away from the target.
    """
    years = years or {}
    previous = series[-2].value if len(series) > 1 else indicator.baseline
    last_year = years[max(years)] if years else None
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
    compared = last_year if last_year is not None else previous
    if value is None or compared is None:
        trend = Trend.unknown
    elif value == compared:
        trend = Trend.stable
    else:
        trend = Trend.improving if sign * (value - compared) > 0 else Trend.worsening
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
        aggregation=indicator.aggregation.value,
        floor=indicator.floor,
        series=series,
        years=years,
    )


def score_tasks(
    outcomes: list[TaskOutcome], zone: ZoneInfo, now: datetime | None = None
) -> TaskScore:
    """Count tasks by outcome; done on time means done by the end of its (local) due day.

    An open task is missed once its due time has passed (`now`), open before that.
    """
    score = TaskScore(total=len(outcomes))
    for outcome in outcomes:
        if outcome.status == "cancelled":
            score.cancelled += 1
        elif outcome.status == "done" and outcome.done_at is not None:
            if on_time(outcome, zone):
                score.done_on_time += 1
            else:
                score.done_late += 1
        elif outcome.status == "missed":
            score.missed += 1
        elif outcome.status == "open":
            if now is not None and outcome.due >= now:
                score.open += 1
            else:
                score.missed += 1
    return score


def compute_scorecard(
    document: PlanFile,
    portfolio: str,
    year: int,
    values: list[IndicatorValuePoint],
    outcomes: list[TaskOutcome],
    now: datetime,
    earlier: list[IndicatorValuePoint] | None = None,
    contract_shares: dict[str, float | None] | None = None,
    art35_gaps: list[ContractGap] | None = None,
) -> Scorecard:
    """The portfolio's year: each indicator's figure by its aggregation, against its target,
    with the same figure in earlier years (`earlier`: values of those years, `year` set);
    `contract_shares`: the DECP figures (`decp.*`, percent of contracts) of the portfolio."""
    zone = document.organisation.zone
    by_indicator: dict[str, list[IndicatorValuePoint]] = {}
    for point in values:
        by_indicator.setdefault(point.indicator, []).append(point)
    by_year: dict[int, dict[str, list[IndicatorValuePoint]]] = {}
    for point in earlier or []:
        if point.year is not None and point.year < year:
            by_year.setdefault(point.year, {}).setdefault(point.indicator, []).append(point)
    scores = []
    for indicator in portfolio_indicators(document, portfolio):
        value, series = year_figure(indicator, by_indicator, outcomes, zone, contract_shares)
        history = {}
        for past_year, points in sorted(by_year.items()):
            if indicator.computed is None:
                past, _ = year_figure(indicator, points, [], zone)
                if past is not None:
                    history[past_year] = past
        scores.append(score_indicator(indicator, value, series, history))
    return Scorecard(
        portfolio=portfolio,
        year=year,
        computed_at=now,
        indicators=scores,
        tasks=score_tasks(outcomes, zone, now),
        art35_gaps=art35_gaps or [],
    )
