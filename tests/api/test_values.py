"""Indicator values in bulk from CSV, through the API and the command line."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from api.main import create_app
from boucle.cli import app as cli
from domain.model import Role
from services.settings import Settings
from store.tables import IndicatorValue
from tests.api.test_api import client
from tests.api.test_roles import seeded

GOOD = """indicator;portfolio;period;value;comment
part-bio;restauration;2027-T2;18,5;relevé du trimestre
part-bio;restauration;2027-T4;22,5;
"""
BAD = """indicator,portfolio,period,value
part-bio,restauration,2027-Q2,18.5
part-vegan,restauration,2027-Q2,3
part-bio,voirie,2027,abc
part-bio,restauration,2027-Q2,19
"""


async def test_a_csv_of_values_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    sessions, tokens = seeded(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), sessions=sessions)
    async with app.router.lifespan_context(app), client(app, tokens[Role.officer]) as officer:
        refused = await officer.post(
            "/indicators/values", content=BAD, headers={"Content-Type": "text/csv"}
        )
        stored = await officer.post(
            "/indicators/values", content=GOOD, headers={"Content-Type": "text/csv"}
        )
        read = await officer.get("/indicators/part-bio/values")
    assert refused.status_code == 422
    errors = [(e["line"], e["column"]) for e in refused.json()["errors"]]
    assert errors == [(3, "indicator"), (4, "portfolio"), (4, "value"), (5, "period")]
    assert refused.json()["errors"][3]["message"].endswith("qu'à la ligne 2")
    assert stored.json() == {"stored": 2}
    values = [(v["period"], v["value"], v["author_id"]) for v in read.json()]
    assert values == [("2027-Q2", 18.5, "qdd"), ("2027-Q4", 22.5, "qdd")]


def test_the_command_line_imports_and_locates_errors(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    sessions, _ = seeded(tmp_path)
    monkeypatch.setenv("BOUCLE_DATABASE_URL", str(sessions.engine.url))
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(cli, ["values", "import", str(bad)])
    assert refused.exit_code == 2
    assert f"{bad}:3: indicator: indicateur « part-vegan » inconnu" in refused.output
    accepted = runner.invoke(cli, ["values", "import", str(good), "--by", "qdd"])
    assert accepted.exit_code == 0 and "2 valeur(s) enregistrée(s)" in accepted.output
    with sessions() as session:
        assert len(session.exec(select(IndicatorValue)).all()) == 2


def test_an_organisation_wide_indicator_takes_the_organisation_not_a_portfolio() -> None:
    from domain.values_csv import parse_values

    indicators = {"acheteurs-formes": "organisation", "part-bio": "portfolio"}
    text = (
        "indicator,portfolio,period,value\n"
        "acheteurs-formes,organisation,2027,80\n"
        "acheteurs-formes,restauration,2027,80\n"
        "part-bio,organisation,2027,20\n"
    )
    rows, errors = parse_values(text, indicators, {"restauration"})
    assert rows == []
    assert [(e.line, e.column) for e in errors] == [(3, "portfolio"), (4, "portfolio")]
    rows, errors = parse_values(
        text.split("\n", 2)[0] + "\n" + text.split("\n")[1], indicators, {"restauration"}
    )
    assert errors == [] and rows[0].portfolio == "organisation"
