"""The default indicator catalogue is a valid part of a plan, with its legal floors."""

from __future__ import annotations

from domain.catalogue import catalogue_indicators, with_catalogue
from domain.model import Computed
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


def test_the_catalogue_says_what_the_law_asks_in_2026_and_keeps_the_pnad_as_a_reference() -> None:
    indicators = {indicator.id: indicator for indicator in catalogue_indicators()}
    # Art. 35 Climat et résilience: every contract launched from 21 August 2026, from DECP data.
    environmental = indicators["decp-consideration-environnementale"]
    assert (environmental.computed, environmental.target) == (Computed.decp_environmental, 100)
    assert "21 août 2026" in (environmental.source or "")
    assert indicators["decp-marches-reserves"].computed == Computed.decp_reserved
    # The PNAD 2022-2025 has ended: its shares stay as a series, without a current target.
    pnad = indicators["part-clause-environnementale"]
    assert pnad.target is None and pnad.denominator == "marches-notifies"
    assert "terminé" in (pnad.source or "") and indicators["part-clause-sociale"].target is None
    assert (indicators["part-durables-qualite"].floor, indicators["part-bio"].floor) == (50, 20)
    assert indicators["part-viandes-poissons-durables"].floor == 60
    # EGalim overseas, 2026-2029: 35 % of which 10 % organic.
    assert indicators["part-durables-qualite-outre-mer"].floor == 35
    assert indicators["part-bio-outre-mer"].floor == 10
    assert indicators["part-agec-reemploi"].floor == 20  # AGEC art. 58: 20 to 40 % by category
    assert indicators["veille-a-temps"].computed == Computed.watch_reviews_on_time
    assert {"reserves-ea-esat", "reserves-siae", "reserves-ess"} <= indicators.keys()
    assert all(indicator.source for indicator in indicators.values() if indicator.target)
    legal = [
        i
        for i in indicators.values()
        if i.floor or (i.target and i.computed and i.computed.from_contracts)
    ]
    undated = [
        i.id for i in legal if not any(w in (i.source or "") for w in ("depuis", "de 2026 à"))
    ]
    assert undated == []  # every legal floor or target says from when it applies
