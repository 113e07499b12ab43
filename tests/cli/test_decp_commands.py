"""`boucle decp summary`: the year's legal figures from a DECP file, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from boucle.cli import app
from tests.domain.test_decp import OURS, SHAPES

runner = CliRunner()


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_summary_in_json_is_one_object_with_shares_in_percent(tmp_path: Path) -> None:
    path = _file(tmp_path, "nord.json", SHAPES["official.json"])
    result = runner.invoke(
        app, ["decp", "summary", str(path), "--year", "2026", "--siret", OURS, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["contracts"], summary["amount"]) == (5, 6600000)
    assert summary["indicators"]["decp.reserved"] == {
        "count": 1,
        "amount": 50000,
        "share_count": 20.0,
        "share_amount": 0.76,
        "contracts": [f"{OURS}2026-003"],
    }
    assert [gap["id"] for gap in summary["art35_gaps"]] == ["2026-002", "2026-003", "2026-004"]


def test_the_text_says_the_figures_and_each_gap_in_french(tmp_path: Path) -> None:
    path = _file(tmp_path, "nord.csv", SHAPES["semicolon.csv"])
    result = runner.invoke(app, ["decp", "summary", str(path), "--year", "2026", "--siret", OURS])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "nord.csv : 5 marchés notifiés en 2026, 6\u202f600\u202f000 € HT"
    assert (
        "  marchés avec au moins une considération sociale : 2 (40 %), 150\u202f000 € HT (2,27 %)"
        in lines
    )
    assert lines[-3].startswith("  2026-002 « Marché 2026-002 », 300\u202f000 € HT, notifié le "
                                "15/09/2026 : aucune considération sociale (montant au moins "
                                "égal au seuil de 216\u202f000 € HT)")  # fmt: skip


def test_a_later_start_date_and_the_state_threshold_are_options(tmp_path: Path) -> None:
    path = _file(tmp_path, "nord.json", SHAPES["official.json"])
    args = ["decp", "summary", str(path), "--year", "2026", "--siret", OURS, "--format", "json"]
    later = ["--art35-from", "2026-10-01", "--buyer-category", "central"]
    result = runner.invoke(app, [*args, *later])
    gaps = [(gap["id"], gap["missing"]) for gap in json.loads(result.stdout)["art35_gaps"]]
    assert gaps == [("2026-003", "environmental"), ("2026-004", "social")]
    refused = runner.invoke(app, [*args, "--art35-from", "21/08/2026"])
    assert refused.exit_code == 2 and "n'est pas une date AAAA-MM-JJ" in refused.output


def test_a_file_with_errors_computes_nothing_unless_told_to_skip(tmp_path: Path) -> None:
    records = json.loads(SHAPES["official.json"])
    records["marches"]["marche"][1]["considerationsSociales"] = {"considerationSociale": ["Soc"]}
    path = _file(tmp_path, "nord.json", json.dumps(records))
    args = ["decp", "summary", str(path), "--year", "2026", "--siret", OURS]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"{path}:record 2: considerationsSociales: valeur inconnue « Soc »",
        "1 erreur : rien n'est calculé (--skip-invalid calcule sur le reste)",
    ]
    assert refused.stdout == ""
    skipped = runner.invoke(app, [*args, "--skip-invalid", "--format", "json"])
    assert skipped.exit_code == 0
    assert json.loads(skipped.stdout)["contracts"] == 4


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    absent = str(tmp_path / "absent.json")
    result = runner.invoke(app, ["decp", "summary", absent, "--year", "2026"])
    assert result.exit_code == 2
    assert "absent.json" in result.stderr and "Traceback" not in result.output


def test_the_art35_start_is_a_setting(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from services.settings import get_settings

    monkeypatch.setenv("BOUCLE_ART35_FROM", "2026-08-20")
    get_settings.cache_clear()
    path = _file(tmp_path, "nord.json", SHAPES["official.json"])
    args = ["decp", "summary", str(path), "--year", "2026", "--siret", OURS, "--format", "json"]
    result = runner.invoke(app, args)
    get_settings.cache_clear()
    summary = json.loads(result.stdout)
    assert summary["art35_from"] == "2026-08-20"
    assert ("2026-005", "environmental") in [(g["id"], g["missing"]) for g in summary["art35_gaps"]]
