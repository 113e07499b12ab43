"""A workbook's every error at its sheet and cell; bad files give located errors, never a crash."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest

from domain.errors import PlanInvalid
from domain.workbook.table import SheetOut
from domain.workbook.writer import _encode, plan_sheets
from services.plan_files import read_plan_bytes, write_plan_workbook, write_template_workbook
from tests.plans import plan_with

ITEMS = """
    - {id: veille, kind: regulatory_watch_review, title: Revue de veille réglementaire,
       assignees: [resto], start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO",
       duration: PT1H}
    - {id: formation-saison, kind: training_session, title: Formation saisonnalité,
       start: "2027-03-16T14:00", duration: PT3H, location: Arras, assignees: [qdd],
       attendees: [resto]}
    - {id: publicite, kind: action, title: Publier le marché bio, due: "2027-02-15",
       objective: bio-local, assignees: [resto], reminders: {before: [P14D, P3D]}}
"""
PLAN = plan_with(ITEMS)


def sheets() -> dict[str, SheetOut]:
    return {sheet.name: sheet for sheet in plan_sheets(PLAN)}


def put(book: dict[str, SheetOut], sheet: str, header: str, row: int, value: object) -> None:
    rows = book[sheet].rows
    rows[row][rows[0].index(header)] = value  # type: ignore[call-overload]


def errors(name: str, data: bytes) -> list[str]:
    with pytest.raises(PlanInvalid) as raised:
        read_plan_bytes(name, data)
    return raised.value.lines(name)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_errors_in_three_sheets_are_each_located_by_sheet_and_cell(fmt: str) -> None:
    book = sheets()
    put(book, "Personnes", "Courriel", 3, "nadia.benali@")
    put(book, "Indicateurs", "Unité", 1, "litres")
    put(book, "Actions", "Responsables", 1, "resto, inconnu")
    put(book, "Actions", "Chaque", 1, "quinzaine")
    put(book, "Actions", "Début", 2, "le 16 mars")
    put(book, "Rappels", "Avant l'échéance", 2, "7 dodos")
    name = f"plan.{fmt}"
    assert errors(name, _encode(list(book.values()), fmt)) == [  # type: ignore[arg-type]
        f"{name}:Personnes!C4: Courriel: adresse électronique « nadia.benali@ » invalide",
        f"{name}:Indicateurs!C2: Unité: « litres » n'est pas dans la liste : attendu "
        "pourcentage, nombre, euros, heures",
        f"{name}:Actions!F2: Responsables: personne « inconnu » inconnue (absente de people)",
        f"{name}:Actions!I2: Chaque: « Chaque » attend jour, semaine, mois ou an",
        f"{name}:Actions!G3: Début: « le 16 mars » n'est pas une date : une date du tableur, "
        "AAAA-MM-JJ HH:MM ou JJ/MM/AAAA HH:MM",
        f"{name}:Rappels!F3: Avant l'échéance: durée « 7 dodos » illisible : « 1 h 30 min », "
        "« 3 h », « 7 jours », « 2 semaines » ou P7D",
    ]


def test_plan_rules_broken_in_cells_point_at_those_cells() -> None:
    book = sheets()
    put(book, "Actions", "Identifiant", 3, "veille")  # an id used twice in one plan
    put(book, "Actions", "Début", 2, datetime(2026, 3, 16, 14, 0))  # outside the year
    put(book, "Actions", "Règle RRULE", 3, "FREQ=MONTHLY;BYDAY=1MO")  # Chaque says it too
    put(book, "Actions", "Jour", 1, "lundi")
    put(book, "Actions", "Rang", 1, "9e")
    lines = errors("plan.xlsx", _encode(list(book.values()), "xlsx"))
    assert lines == [
        "plan.xlsx:Actions!L2: Rang: « Rang » attend 1er, 2e, 3e, 4e, 5e ou dernier",
        "plan.xlsx:Actions!G3: Début: 2026-03-16T14:00 est hors de l'année du plan (2027)",
        "plan.xlsx:Actions!C4: Identifiant: identifiant « veille » en double (déjà utilisé "
        "ligne 2)",
        "plan.xlsx:Rappels!E3: Action: aucune action « publicite » dans le plan restauration "
        "2027 (feuille Actions)",
    ]


def test_dates_typed_as_text_in_iso_or_french_form_are_read() -> None:
    book = sheets()
    put(book, "Actions", "Début", 2, "16/03/2027 14:00")
    put(book, "Actions", "Échéance", 3, "2027-02-15")
    plan = read_plan_bytes("plan.ods", _encode(list(book.values()), "ods"))
    assert plan.model_dump() == PLAN.model_dump()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "plan.xlsx",
            b"version: 1\n",
            "plan.xlsx: (fichier): ce fichier n'est pas un classeur XLSX",
        ),
        (
            "plan.ods",
            b"PK\x03\x04 broken",
            "plan.ods: (fichier): ce fichier n'est pas un classeur ODS",
        ),
        ("plan.xlsx", b"", "plan.xlsx: (fichier): ce fichier n'est pas un classeur XLSX"),
        ("plan.csv", b"a;b\n", "plan.csv: (fichier): format de fichier inconnu « .csv »"),
    ],
)
def test_a_file_that_is_not_a_workbook_says_so(name: str, data: bytes, expected: str) -> None:
    (line,) = errors(name, data)
    assert line.startswith(expected), line


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_missing_sheet_an_empty_sheet_and_an_unknown_column_are_located(fmt: str) -> None:
    book = sheets()
    del book["Rappels"]
    book["Personnes"].rows = []
    book["Portefeuilles"].rows[0][2] = "Chef"
    name = f"plan.{fmt}"
    lines = errors(name, _encode(list(book.values()), fmt))  # type: ignore[arg-type]
    assert lines[0] == (
        f"{name}:Personnes!A1: (feuille): la feuille est vide : sa première ligne doit porter "
        "les en-têtes (Identifiant, Nom, Courriel, Rôle, Langue, Résumé seul)"
    )
    assert lines[1].startswith(
        f"{name}:Portefeuilles!C1: Chef: colonne inconnue « Chef » : attendu Identifiant, "
        "Nom, Responsable, Acheteurs"
    )
    assert lines[-1] == f"{name}:Rappels: (feuille): la feuille « Rappels » manque au classeur"
    # With nobody in the workbook, every person named elsewhere is unknown, at its cell.
    assert (
        f"{name}:Actions!F2: Responsables: personne « resto » inconnue (absente de people)" in lines
    )


def test_merged_cells_are_refused_at_their_first_cell_in_xlsx() -> None:
    book = openpyxl.load_workbook(io.BytesIO(write_plan_workbook(PLAN, "xlsx")))
    book["Actions"].merge_cells("D3:E3")
    output = io.BytesIO()
    book.save(output)
    lines = errors("plan.xlsx", output.getvalue())
    assert lines[0] == (
        "plan.xlsx:Actions!D3: Type: cellules fusionnées D3:E3 : défusionnez-les, "
        "une valeur par cellule"
    )


def test_merged_cells_are_refused_at_their_first_cell_in_ods() -> None:
    source = zipfile.ZipFile(io.BytesIO(write_plan_workbook(PLAN, "ods")))
    content = source.read("content.xml").decode()
    table = content.index('table:name="Actions"')
    third_row = [m.start() for m in re.finditer("<table:table-row>", content[table:])][2]
    cell = content.index("<table:table-cell ", table + third_row)
    cell = content.index("<table:table-cell ", cell + 1)
    cell = content.index("<table:table-cell ", cell + 1)
    cell = content.index("<table:table-cell ", cell + 1)
    spanned = (
        content[:cell]
        + '<table:table-cell table:number-columns-spanned="2" '
        + content[cell + len("<table:table-cell ") :]
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for entry in source.namelist():
            archive.writestr(entry, spanned if entry == "content.xml" else source.read(entry))
    lines = errors("plan.ods", output.getvalue())
    assert lines[0].startswith("plan.ods:Actions!D3: Type: cellules fusionnées D3:E3")


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_an_untouched_template_says_what_to_fill_and_a_filled_one_imports(fmt: str) -> None:
    template = write_template_workbook(fmt)  # type: ignore[arg-type]
    name = f"modele.{fmt}"
    assert errors(name, template) == [f"{name}:Organisation!B2: Nom: champ obligatoire manquant"]
    book = openpyxl.load_workbook(io.BytesIO(write_template_workbook("xlsx")))
    book["Organisation"]["B2"] = "Département Exemple"
    book["Personnes"].append(["resto", "Paul Durand", "paul.durand@example.org", "acheteur"])
    book["Portefeuilles"].append(["restauration", "Restauration", "resto", "resto"])
    book["Plans"].append(["restauration", 2027])
    book["Actions"].append(
        [
            "restauration",
            2027,
            "veille",
            "veille réglementaire",
            "Revue de veille",
            "resto",
            datetime(2027, 1, 4, 9, 30),
            None,
            "mois",
            None,
            "jeudi",
            "2e",
        ]
    )
    output = io.BytesIO()
    book.save(output)
    plan = read_plan_bytes("plan.xlsx", output.getvalue())
    (item,) = plan.plans[0].items
    assert (item.start, item.rrule) == ("2027-01-04T09:30", "FREQ=MONTHLY;BYDAY=2TH")
    assert plan.policy_for(item).before == ("P7D", "P1D")
