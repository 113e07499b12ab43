"""The scorecard and next year's targets, on figures an officer would recognise."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.model import Indicator, PlanFile
from domain.next_year import propose_target
from domain.scorecard import (
    IndicatorValuePoint,
    Status,
    TaskOutcome,
    Trend,
    compute_scorecard,
)
from domain.validation import load_plan
from tests.plans import plan_text

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 12, 20, tzinfo=UTC)


def point(indicator: str, period: str, value: float, year: int = 2027) -> IndicatorValuePoint:
    return IndicatorValuePoint(
        indicator=indicator,
        period=period,
        value=value,
        recorded_at=datetime(year, 12, 1, tzinfo=UTC),
        year=year,
    )


INDICATORS = """\
indicators:
  - {id: part-bio, name: Part bio, unit: percent, direction: increase, baseline: 12,
     target: 20, floor: 20, portfolios: [restauration]}
  - {id: marches, name: Marchés notifiés, unit: count, aggregation: sum}
  - {id: marches-env, name: Marchés avec clause environnementale, unit: count, aggregation: sum}
  - {id: part-env, name: Part clause environnementale, unit: percent, aggregation: ratio,
     numerator: marches-env, denominator: marches, baseline: 40, target: 100}
  - {id: gaspillage, name: Gaspillage alimentaire, unit: percent, direction: decrease,
     baseline: 30, target: 15, aggregation: mean}
  - {id: heures, name: Heures d'insertion, unit: hours, aggregation: sum, target: 1000}
  - {id: veille, name: Veille à temps, unit: percent, computed: watch_reviews_on_time, target: 100}
"""


ITEMS = """
    - {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}
    - {id: achat, kind: action, title: Acheter local, assignees: [resto], due: "2027-06-30"}
    - {id: veille, kind: regulatory_watch_review, title: Veille, assignees: [resto],
       start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO;COUNT=12"}
"""


def document() -> PlanFile:
    """The test plan with the indicators above in place of its own."""
    text = plan_text(ITEMS)
    start, end = text.index("indicators:"), text.index("reminders:")
    return load_plan(text[:start] + INDICATORS + text[end:])


def test_each_aggregation_and_each_status_with_its_rule() -> None:
    values = [
        point("part-bio", "2027-Q2", 15.0),
        point("part-bio", "2027-Q4", 22.5),  # last value counts: target met
        point("marches", "2027-Q2", 40),
        point("marches", "2027-Q4", 60),
        point("marches-env", "2027-Q2", 20),
        point("marches-env", "2027-Q4", 30),  # 50 of 100 = 50 %: off track from 40 to 100
        point("gaspillage", "2027-Q2", 24),
        point("gaspillage", "2027-Q4", 20),  # mean 22: decreasing, half-way from 30 to 15
        # heures: no value at all
    ]
    outcomes = [
        TaskOutcome(
            task="restauration/2027/veille/2027-01-04",
            kind="regulatory_watch_review",
            due=datetime(2027, 1, 4, 8, tzinfo=UTC),
            status="done",
            done_at=datetime(2027, 1, 4, 15, tzinfo=UTC),
        ),
        TaskOutcome(
            task="restauration/2027/veille/2027-04-05",
            kind="regulatory_watch_review",
            due=datetime(2027, 4, 5, 8, tzinfo=UTC),
            status="done",
            done_at=datetime(2027, 4, 9, 8, tzinfo=UTC),  # four days late
        ),
    ]
    card = compute_scorecard(document(), "restauration", 2027, values, outcomes, NOW)
    scores = {score.indicator: score for score in card.indicators}

    assert (scores["part-bio"].value, scores["part-bio"].status) == (22.5, Status.on_track)
    assert scores["part-bio"].rule == "cible atteinte"
    assert [p.value for p in scores["part-bio"].series] == [15.0, 22.5]

    assert scores["marches"].value == 100  # sum over the year
    assert scores["part-env"].value == 50.0
    assert [p.value for p in scores["part-env"].series] == [50.0, 50.0]
    assert scores["part-env"].status == Status.off_track  # (50 − 40) / (100 − 40) < ½
    assert "moins de la moitié" in scores["part-env"].rule

    assert scores["gaspillage"].value == 22.0
    assert scores["gaspillage"].status == Status.at_risk  # (22 − 30) / (15 − 30) = 0.53
    assert scores["gaspillage"].trend == Trend.improving  # 24 then a mean of 22: going down

    assert scores["heures"].value is None and scores["heures"].status == Status.no_data
    assert scores["heures"].rule == "aucune valeur saisie"

    assert scores["veille"].value == 50.0  # one review of two on time, from Boucle's tasks
    assert card.tasks.done_on_time == 1 and card.tasks.done_late == 1


def test_the_trend_over_years_compares_with_last_year() -> None:
    earlier = [
        point("part-bio", "2025-Q4", 14.0, year=2025),
        point("part-bio", "2026-Q4", 25.0, year=2026),
        point("heures", "2026-Q2", 300, year=2026),
        point("heures", "2026-Q4", 500, year=2026),
    ]
    values = [point("part-bio", "2027-Q4", 21.0), point("heures", "2027-Q4", 700)]
    card = compute_scorecard(document(), "restauration", 2027, values, [], NOW, earlier=earlier)
    scores = {score.indicator: score for score in card.indicators}
    assert scores["part-bio"].years == {2025: 14.0, 2026: 25.0}
    assert scores["part-bio"].trend == Trend.worsening  # met, but lower than last year
    assert scores["heures"].years == {2026: 800}
    assert scores["heures"].trend == Trend.worsening


def test_next_year_targets_rise_with_results_and_never_fall_below_the_floor() -> None:
    indicators = {i.id: i for i in document().indicators}
    bio: Indicator = indicators["part-bio"]
    assert propose_target(bio, 22.5) == 33.0  # met: raised by the progress (22.5 − 12)
    assert propose_target(bio, 13.0) == 20.0  # missed: kept, and never under the legal 20
    assert propose_target(bio, None) == 20.0  # no value: kept
    low_floor = bio.model_copy(update={"target": 10.0, "floor": 20.0})
    assert propose_target(low_floor, None) == 20.0  # an old target under the floor is lifted
    waste = indicators["gaspillage"]
    assert propose_target(waste, 22.0) == 14.0  # decreasing: 22 − 8 of progress = 14 < 15
    assert propose_target(indicators["part-env"], 95.0) == 100.0  # a percentage stops at 100


def test_next_years_draft_rolls_forward_carries_over_and_adds_the_decisions() -> None:
    from domain.next_year import Review, next_year_draft
    from domain.tasks import plan_tasks

    plan_file = document()
    plan = plan_file.plans[0]
    outcomes = [
        TaskOutcome(task=t.id, kind=t.kind.value, due=t.due, status="done", done_at=t.due)
        for t in plan_tasks(plan_file, plan)
        if t.item != "achat"
    ] + [
        TaskOutcome(
            task="restauration/2027/achat/2027-06-30",
            kind="action",
            due=datetime(2027, 6, 30, 15, tzinfo=UTC),
            status="open",
        )
    ]
    values = [point("part-bio", "2027-Q4", 22.5)]
    card = compute_scorecard(plan_file, "restauration", 2027, values, outcomes, NOW)
    review = Review(by="qdd", lessons="Former plus tôt", decisions=["Former les cuisiniers"])
    draft = next_year_draft(plan_file, plan, outcomes, card, review)

    (next_plan,) = draft.plans
    assert next_plan.year == 2028
    by_id = {item.id: item for item in next_plan.items}
    assert "pub" not in by_id  # a one-off action that was done stays in 2027
    assert by_id["achat"].due is not None and by_id["achat"].due.startswith("2028")  # carried over
    # Original dates: a first Monday that is a holiday (1 May 2028) moves, as it should.
    next_dates = [t.original.date() for t in plan_tasks(draft, next_plan) if t.item == "veille"]
    assert next_dates[0].isoformat() == "2028-01-03"  # first Monday stays the first Monday
    assert len(next_dates) == 12 and all(d.weekday() == 0 and d.day <= 7 for d in next_dates)
    assert any(item.title == "Former les cuisiniers" for item in next_plan.items)
    targets = {i.id: i.target for i in draft.indicators}
    assert targets["part-bio"] == 33.0 and targets["heures"] == 1000
