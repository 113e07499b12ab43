"""The annual report says what the law asks: objectives by pillar, the circular economy, the
legal shares from DECP data, the art. 35 gaps and whether the indicators are due this year."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from api.report_pdf import report_pdf
from api.routes.pages import render_report_html
from domain.decp import Scope, read_decp
from domain.report import report_csv
from domain.validation import load_plan
from store.decp import store_contracts
from store.report import gather_report
from store.tables import Cycle
from tests.api.test_decp import PLAN
from tests.api.test_report_pdf import pdf_pages, texts_of
from tests.domain.test_decp import OURS, SHAPES
from tests.engine.support import store_with

LEGAL_PLAN = PLAN.replace(
    "organisation:\n", "organisation:\n  indicators_published_for: 2025\n", 1
).replace("{id: bio-local, statement", "{id: bio-local, pillar: circular_economy, statement", 1)
NOW = datetime(2027, 12, 20, 10, tzinfo=UTC)


def _store(tmp_path: Path, with_contracts: bool = True):  # noqa: ANN202
    sessions = store_with(load_plan(LEGAL_PLAN), tmp_path)
    with sessions() as session:
        session.add(Cycle(id="restauration/2027", portfolio="restauration", year=2027,
                          phase="evaluating", workflow_id="cycle:restauration:2027",
                          plan_version=1))  # fmt: skip
        if with_contracts:
            year_on = SHAPES["official.json"].replace("2026-", "2027-").replace("2025-", "2026-")
            read = read_decp(year_on.encode(), "nord.json", Scope(frozenset({OURS}), 2027))
            store_contracts(session, read.contracts, "nord.json")
        session.commit()
    return sessions


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u202f", " ")


def test_the_report_page_has_the_sections_the_law_names(tmp_path: Path) -> None:
    sessions = _store(tmp_path)
    with sessions() as session:
        report = gather_report(session, 2027, NOW)
    text = _words(render_report_html(report, ZoneInfo("Europe/Paris")))
    # Published for 2025: 2027's indicators are due.
    assert "Les indicateurs de 2027 sont à publier avec ce bilan" in text
    assert "dernière publication : indicateurs 2025" in text
    assert "Économie circulaire Développer le bio Restauration" in text
    assert "5 marché(s) notifié(s) en 2027 pour 6 600 000 € HT" in text
    assert "au moins une considération sociale 2 40 % 150 000 € HT 2,27 %" in text
    assert "Marchés notifiés depuis le 21/08/2026" in text  # the law's date, not the year's
    # From 21 August 2026 every contract of 2027 counts: 001 (March) is fine, 002, 003, 004 and
    # 005 (no consideration at all, 150 000 € < 216 000 €: only the environmental gap) are not.
    assert "2027-002 Marché 2027-002 300 000 € HT 15/09/2027 aucune considération sociale" in text
    assert (
        "2027-005 Marché 2027-005 150 000 € HT 20/08/2027 aucune considération environnementale"
        in text
    )
    assert (
        "2027-005 Marché 2027-005 150 000 € HT 20/08/2027 aucune considération sociale" not in text
    )
    assert "la date de notification en tient lieu" in text
    # The contracts behind the shares, each with its considerations.
    assert "2027-003 Marché 2027-003 50 000 € HT 01/10/2027 Critère social, Marché réservé" in text


def test_without_contracts_the_report_says_how_to_get_the_figures(tmp_path: Path) -> None:
    sessions = _store(tmp_path, with_contracts=False)
    with sessions() as session:
        report = gather_report(session, 2027, NOW)
    text = _words(render_report_html(report, ZoneInfo("Europe/Paris")))
    assert "Aucune donnée essentielle (DECP) n'est enregistrée pour 2027" in text
    assert "boucle decp import" in text


def test_the_pdf_carries_the_legal_part_before_the_portfolios(tmp_path: Path) -> None:
    sessions = _store(tmp_path)
    with sessions() as session:
        report = gather_report(session, 2027, NOW)
    pages = [texts_of(page) for page in pdf_pages(report_pdf(report, ZoneInfo("Europe/Paris")))]
    legal = next(number for number, text in enumerate(pages) if "Article 35" in text)
    portfolio = next(number for number, text in enumerate(pages) if "Actions du plan" in text
                     or "Réalisation des tâches" in text)  # fmt: skip
    assert legal < portfolio
    assert "Ce que la loi demande de publier" in pages[0]


def test_the_csv_ends_with_the_legal_shares_and_the_gaps(tmp_path: Path) -> None:
    sessions = _store(tmp_path)
    with sessions() as session:
        report = gather_report(session, 2027, NOW)
    rows = [line.split(";") for line in report_csv(report).splitlines()]
    start = rows.index(["marchés notifiés avec", "nombre", "part en nombre", "montant",
                        "part en valeur"])  # fmt: skip
    assert rows[start + 1] == ["(tous)", "5", "100", "6600000", "100"]
    assert rows[start + 3] == ["au moins une considération sociale", "2", "40", "150000", "2,27"]
    gaps = rows[
        rows.index(["article 35 : marché", "objet", "montant", "notifié le", "manque"]) + 1 :
    ]
    # In the order of notification: 005 (20 August), 002, 003, 004.
    assert [(gap[0], gap[4]) for gap in gaps] == [
        ("2027-005", "considération environnementale"),
        ("2027-002", "considération sociale"),
        ("2027-003", "considération environnementale"),
        ("2027-004", "considération sociale"),
    ]
    assert gaps[1][1:4] == ["Marché 2027-002", "300000", "2027-09-15"]
