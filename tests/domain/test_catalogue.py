"""The default indicator catalogue is a valid part of a plan, with its legal floors."""

from __future__ import annotations

from domain.catalogue import catalogue_indicators, with_catalogue
from domain.model import Aggregation, Computed
from domain.validation import load_plan
from tests.plans import plan_text


def test_the_catalogue_drops_into_a_plan_and_validates() -> None:
    text = plan_text(
        '- {id: pub, kind: action, title: Publier, assignees: [resto], due: "2027-02-15"}'
    )
    text = text.replace("indicators: [part-bio]", "indicators: [part-clause-environnementale]")
    document = load_plan(with_catalogue(text))
    ids = [indicator.id for indicator in document.indicators]
    assert len(ids) == len(set(ids)) == len(catalogue_indicators())


def test_the_catalogue_says_what_the_law_and_the_pnad_ask() -> None:
    indicators = {indicator.id: indicator for indicator in catalogue_indicators()}
    environmental = indicators["part-clause-environnementale"]
    assert (environmental.target, environmental.aggregation) == (100, Aggregation.ratio)
    assert environmental.denominator == "marches-notifies"
    assert indicators["part-clause-sociale"].target == 30
    assert (indicators["part-durables-qualite"].floor, indicators["part-bio"].floor) == (50, 20)
    assert indicators["part-viandes-poissons-durables"].floor == 60
    assert indicators["veille-a-temps"].computed == Computed.watch_reviews_on_time
    assert {"reserves-ea-esat", "reserves-siae", "reserves-ess"} <= indicators.keys()
    assert all(indicator.source for indicator in indicators.values() if indicator.target)
