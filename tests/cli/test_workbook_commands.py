"""`boucle plan export` and `plan template`; check and simulate read the workbooks they write,
and so do they once LibreOffice has opened and saved them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boucle.cli import app
from domain.validation import load_plan
from domain.workbook.writer import _encode, plan_sheets
from services.plan_files import read_plan_bytes, write_plan_workbook
from tests.domain.workbook_plans import FULL_PLAN
from tests.plans import plan_with

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_timeline() -> str:
    code, out, _ = run("simulate", str(DEMO), "--format", "json")
    assert code == 0
    return out


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_an_exported_demo_plan_checks_and_simulates_as_its_yaml(
    tmp_path: Path, fmt: str, demo_timeline: str
) -> None:
    workbook = tmp_path / f"demo.{fmt}"
    code, out, _ = run("plan", "export", str(DEMO), "--format", fmt, "--out", str(workbook))
    assert code == 0 and out.strip() == f"{workbook} : 23 actions"
    code, out, _ = run("plan", "check", str(workbook))
    assert code == 0
    assert "occurrences : 49, notifications : 157" in out
    code, out, _ = run("simulate", str(workbook), "--format", "json")
    assert code == 0 and out == demo_timeline


def test_a_workbook_with_errors_in_three_sheets_exits_2_listing_each_at_its_cell(
    tmp_path: Path,
) -> None:
    plan = plan_with(
        """
        - {id: veille, kind: regulatory_watch_review, title: Veille, assignees: [resto],
           start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TH"}
        """
    )
    sheets = {sheet.name: sheet for sheet in plan_sheets(plan)}
    sheets["Personnes"].rows[2][3] = "chef"  # Rôle of resto
    sheets["Actions"].rows[1][10] = "jeudi prochain"  # Jour
    sheets["Rappels"].rows[1][9] = "9 h du matin"  # Heure d'envoi
    path = tmp_path / "erreurs.xlsx"
    path.write_bytes(_encode(list(sheets.values()), "xlsx"))
    completed = subprocess.run(
        [sys.executable, "-m", "boucle.cli", "plan", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.splitlines() == [
        f"{path}:Personnes!D3: Rôle: « chef » n'est pas dans la liste : attendu "
        "responsable qualité, acheteur, direction, administrateur",
        f"{path}:Actions!K2: Jour: « Jour » attend lundi…dimanche (chaque semaine ou chaque "
        "mois), ou un quantième de 1 à 31 ou « dernier » (chaque mois)",
        f"{path}:Rappels!J2: Heure d'envoi: heure « 9 h du matin » invalide : format HH:MM attendu",
        "3 erreurs",
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_template_is_written_and_an_untouched_one_says_what_is_missing(
    tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"modele.{fmt}"
    code, out, _ = run("plan", "template", "--format", fmt, "--out", str(target))
    assert code == 0 and out.strip() == str(target)
    code, _, err = run("plan", "check", str(target))
    assert code == 2
    assert err.splitlines() == [
        f"{target}:Organisation!B2: Nom: champ obligatoire manquant",
        "1 erreur",
    ]


def test_an_unknown_suffix_is_refused_located(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("version: 1\n", encoding="utf-8")
    code, _, err = run("plan", "check", str(path))
    assert code == 2
    assert err.splitlines()[0].startswith(f"{path}: (fichier): format de fichier inconnu")


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize(("written", "saved_as"), [("ods", "xlsx"), ("xlsx", "ods")])
def test_a_workbook_libreoffice_saved_again_reads_back_the_same_plan(
    tmp_path: Path, written: str, saved_as: str, demo_timeline: str
) -> None:
    exported = tmp_path / f"demo.{written}"
    assert run("plan", "export", str(DEMO), "--format", written, "--out", str(exported))[0] == 0
    converted = tmp_path / "converted"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            saved_as,
            "--outdir",
            str(converted),
            str(exported),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    resaved = converted / f"demo.{saved_as}"
    code, out, err = run("simulate", str(resaved), "--format", "json")
    assert code == 0, err
    assert out == demo_timeline


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize(("written", "saved_as"), [("ods", "xlsx"), ("xlsx", "ods")])
def test_every_field_survives_libreoffice_saving_the_workbook(
    tmp_path: Path, written: str, saved_as: str
) -> None:
    plan = load_plan(FULL_PLAN)
    exported = tmp_path / f"complet.{written}"
    exported.write_bytes(write_plan_workbook(plan, written))  # type: ignore[arg-type]
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            saved_as,
            "--outdir",
            str(tmp_path / "converted"),
            str(exported),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    resaved = (tmp_path / "converted" / f"complet.{saved_as}").read_bytes()
    assert read_plan_bytes(f"complet.{saved_as}", resaved).model_dump() == plan.model_dump()
