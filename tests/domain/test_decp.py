"""DECP files in every shape buyers publish, read and summed up; rates worked out by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from domain.decp import Scope, read_decp
from domain.decp_figures import portfolio_by_cpv, summarise
from domain.law import law_for

SCHEMA = Path(__file__).parents[1] / "data" / "decp" / "schema_decp_v2.0.3.json"
OURS = "21590001100017"  # the organisation's SIRET
THEIRS = "21620001600015"  # another buyer, in the same national file
NONE_SOCIAL = "Pas de considération sociale"
NONE_ENV = "Pas de considération environnementale"

# id, buyer, montant, dateNotification, codeCPV, social, environmental
CONTRACTS = [
    ("2026-001", OURS, 100000, "2026-03-10", "90910000", ["Clause sociale"],
     ["Clause environnementale"]),
    ("2026-002", OURS, 300000, "2026-09-15", "15000000", [NONE_SOCIAL],
     ["Critère environnemental"]),
    ("2026-003", OURS, 50000, "2026-10-01", "30190000", ["Marché réservé", "Critère social"],
     [NONE_ENV]),
    ("2026-004", OURS, 6000000, "2026-11-02", "45233000", [NONE_SOCIAL],
     ["Clause environnementale", "Critère environnemental"]),
    ("2026-005", OURS, 150000, "2026-08-20", "79000000", [NONE_SOCIAL], [NONE_ENV]),
    ("2026-900", THEIRS, 90000, "2026-05-05", "90910000", ["Clause sociale"], [NONE_ENV]),
    ("2025-050", OURS, 80000, "2025-12-31", "90910000", ["Clause sociale"], [NONE_ENV]),
]  # fmt: skip
SCOPE = Scope(sirets=frozenset({OURS}), year=2026)


def official(row: tuple[Any, ...], *, wrapped: bool = True) -> dict[str, Any]:
    """A contract with every field the official schema requires."""
    contract_id, buyer, amount, notified, cpv, social, environmental = row
    return {
        "id": contract_id,
        "acheteur": {"id": buyer},
        "nature": "Marché",
        "objet": f"Marché {contract_id}",
        "codeCPV": cpv,
        "techniques": {"technique": ["Sans objet"]},
        "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
        "marcheInnovant": False,
        "ccag": "Fournitures courantes et services",
        "offresRecues": 3,
        "attributionAvance": False,
        "typeGroupementOperateurs": "Pas de groupement",
        "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "59350", "typeCode": "Code commune"},
        "dureeMois": 12,
        "dateNotification": notified,
        "datePublicationDonnees": notified,
        "montant": amount,
        "typesPrix": {"typePrix": ["Définitif ferme"]},
        "formePrix": "Forfaitaire",
        "sousTraitanceDeclaree": False,
        "titulaires": [{"titulaire": {"id": "55204599900869", "typeIdentifiant": "SIRET"}}],
        "considerationsSociales": {"considerationSociale": social} if wrapped else social,
        "considerationsEnvironnementales": (
            {"considerationEnvironnementale": environmental} if wrapped else environmental
        ),
    }


def as_csv(rows: list[tuple[Any, ...]], *, delimiter: str = ",", dotted: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    buyer = "acheteur.id" if dotted else "acheteur_id"
    writer.writerow(["uid", "id", buyer, "objet", "codeCPV", "procedure", "nature", "montant",
                     "dateNotification", "considerationsSociales",
                     "considerationsEnvironnementales", "titulaire_id"])  # fmt: skip
    joiner = ", " if delimiter == ";" else ";"
    for contract_id, buyer_id, amount, notified, cpv, social, environmental in rows:
        for holder in ("55204599900869", "81223113200034"):  # one row per holder, as exported
            writer.writerow([f"{buyer_id}{contract_id}", contract_id, buyer_id,
                             f"Marché {contract_id}", cpv, "Appel d'offres ouvert", "Marché",
                             amount, notified, joiner.join(social), joiner.join(environmental),
                             holder])  # fmt: skip
    return buffer.getvalue().encode()


SHAPES = {
    "official.json": json.dumps({"marches": {"marche": [official(r) for r in CONTRACTS]}}),
    "flat.json": json.dumps({"marches": [official(r, wrapped=False) for r in CONTRACTS]}),
    "bare-list.json": json.dumps([official(r) for r in CONTRACTS]),
    "comma.csv": as_csv(CONTRACTS).decode(),
    "semicolon.csv": as_csv(CONTRACTS, delimiter=";", dotted=False).decode(),
}


def test_the_official_shape_written_here_is_valid_against_the_official_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(SHAPES["official.json"]), schema)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_gives_the_rates_worked_out_by_hand(name: str) -> None:
    read = read_decp(SHAPES[name].encode(), name, SCOPE)
    assert read.errors == []
    assert sorted(c.id for c in read.contracts) == [f"2026-00{n}" for n in range(1, 6)]
    summary = summarise(read.contracts, law_for(2026)).as_json()
    # Five contracts, 100 000 + 300 000 + 50 000 + 6 000 000 + 150 000 = 6 600 000 € HT.
    assert (summary["contracts"], summary["amount"]) == (5, 6600000)
    shares = {
        key: (value["count"], value["amount"], value["share_count"], value["share_amount"])
        for key, value in summary["indicators"].items()
    }
    assert shares == {
        "decp.environmental": (3, 6400000, 60.0, 96.97),  # 001, 002, 004
        "decp.social": (2, 150000, 40.0, 2.27),  # 001, 003
        "decp.reserved": (1, 50000, 20.0, 0.76),  # 003
        "decp.social_clause": (1, 100000, 20.0, 1.52),  # 001
        "decp.social_criterion": (1, 50000, 20.0, 0.76),  # 003
        "decp.environmental_clause": (2, 6100000, 40.0, 92.42),  # 001, 004
        "decp.environmental_criterion": (2, 6300000, 40.0, 95.45),  # 002, 004
    }
    assert summary["indicators"]["decp.social"]["contracts"] == [
        f"{OURS}2026-001",
        f"{OURS}2026-003",
    ]
    # From 21 August 2026: 002 (300 000 ≥ 216 000, no social), 003 (no environmental),
    # 004 (works, 6 000 000 ≥ 5 404 000, no social); 005 was notified on 20 August.
    assert [(g["id"], g["missing"]) for g in summary["art35_gaps"]] == [
        ("2026-002", "social"),
        ("2026-003", "environmental"),
        ("2026-004", "social"),
    ]
    assert summary["art35_gaps"][0] == {
        "id": "2026-002",
        "objet": "Marché 2026-002",
        "montant": 300000,
        "dateNotification": "2026-09-15",
        "missing": "social",
    }


def test_a_single_contract_object_is_a_file_of_one() -> None:
    read = read_decp(json.dumps(official(CONTRACTS[0])).encode(), "un.json", SCOPE)
    assert [c.id for c in read.contracts] == ["2026-001"] and read.errors == []


def test_the_scope_leaves_out_other_buyers_and_other_years() -> None:
    read = read_decp(SHAPES["official.json"].encode(), "f.json", SCOPE)
    assert (read.records, read.left_out, len(read.contracts)) == (7, 2, 5)
    everyone = read_decp(SHAPES["official.json"].encode(), "f.json", Scope(year=2026))
    assert len(everyone.contracts) == 6


def test_the_start_date_and_the_buyer_category_move_the_art35_gaps() -> None:
    contracts = read_decp(SHAPES["official.json"].encode(), "f.json", SCOPE).contracts
    earlier = summarise(contracts, law_for(2026), art35_from=date(2026, 8, 20)).as_json()
    # 005 now counts: no environmental consideration; 150 000 < 216 000, no social gap.
    assert ("2026-005", "environmental") in [(g["id"], g["missing"]) for g in earlier["art35_gaps"]]
    assert ("2026-005", "social") not in [(g["id"], g["missing"]) for g in earlier["art35_gaps"]]
    central = summarise(
        contracts, law_for(2026), art35_from=date(2026, 8, 20), buyer_category="central"
    ).as_json()
    # For the State the threshold is 140 000: 150 000 reaches it.
    assert ("2026-005", "social") in [(g["id"], g["missing"]) for g in central["art35_gaps"]]


def test_figures_per_portfolio_follow_the_longest_cpv_prefix() -> None:
    contracts = read_decp(SHAPES["official.json"].encode(), "f.json", SCOPE).contracts
    mapping = portfolio_by_cpv({"travaux": ["45"], "proprete": ["909"], "restauration": ["15"]})
    summary = summarise(contracts, law_for(2026), portfolio_of=mapping).as_json()
    assert sorted(summary["portfolios"]) == ["proprete", "restauration", "travaux"]
    assert summary["portfolios"]["travaux"]["contracts"] == 1
    assert summary["portfolios"]["proprete"]["indicators"]["decp.social"]["share_count"] == 100.0


def test_an_empty_year_has_no_share_rather_than_a_false_zero() -> None:
    summary = summarise([], law_for(2026)).as_json()
    assert summary["indicators"]["decp.social"]["share_count"] is None
    assert summary["contracts"] == 0 and summary["art35_gaps"] == []


def _bad(**changes: Any) -> dict[str, Any]:
    record = official(CONTRACTS[0])
    record.update(changes)
    return record


def test_every_kind_of_bad_record_is_located() -> None:
    records = [
        official(CONTRACTS[0]),
        "pas un marché",
        _bad(id="b3", considerationsSociales={"considerationSociale": ["Clause soc"]}),
        _bad(id="b4", montant="beaucoup"),
        _bad(id="b5", dateNotification="2026-13-01"),
        _bad(id="b6", acheteur={"id": "5900"}),
        _bad(id="b7", considerationsEnvironnementales=[NONE_ENV, "Clause environnementale"]),
        {key: value for key, value in _bad(id="b8").items() if key != "montant"},
        _bad(id="b9", montant=-10),
    ]
    read = read_decp(json.dumps({"marches": {"marche": records}}).encode(), "nord.json")
    assert [error.format("nord.json") for error in read.errors] == [
        "nord.json:record 2: (document): un marché doit être un objet, pas un texte",
        "nord.json:record 3: considerationsSociales: valeur inconnue « Clause soc »",
        "nord.json:record 4: montant: « beaucoup » n'est pas un montant en euros HT positif",
        "nord.json:record 5: dateNotification: « 2026-13-01 » n'est pas une date AAAA-MM-JJ",
        "nord.json:record 6: acheteur.id: « 5900 » n'est pas un SIRET (14 chiffres)",
        "nord.json:record 7: considerationsEnvironnementales: « Pas de considération "
        "environnementale » avec d'autres considérations (Clause environnementale)",
        "nord.json:record 8: montant: champ obligatoire manquant",
        "nord.json:record 9: montant: « -10 » n'est pas un montant en euros HT positif",
    ]
    assert [c.id for c in read.contracts] == ["2026-001"]
    assert read.errors[1].format("nord.json", "en") == (
        "nord.json:record 3: considerationsSociales: unknown value 'Clause soc'"
    )


def test_a_csv_error_is_located_by_its_line() -> None:
    rows = [CONTRACTS[0], ("b2", OURS, 1000, "2026-04-01", "909", ["Clause soc"], [NONE_ENV])]
    read = read_decp(as_csv(rows), "export.csv", SCOPE)
    # Line 1 is the header; each contract has two rows (two holders): b2 is on lines 4 and 5.
    assert [error.format("export.csv") for error in read.errors] == [
        "export.csv:ligne 4: considerationsSociales: valeur inconnue « Clause soc »",
        "export.csv:ligne 5: considerationsSociales: valeur inconnue « Clause soc »",
    ]


def test_the_same_contract_twice_with_other_data_is_an_error() -> None:
    changed = official(CONTRACTS[0])
    changed["montant"] = 120000
    records = [official(CONTRACTS[0]), changed]
    read = read_decp(json.dumps(records).encode(), "f.json", SCOPE)
    assert [error.format("f.json") for error in read.errors] == [
        "f.json:record 2: id: le marché « 2026-001 » figure déjà au record 1 avec d'autres données"
    ]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"{\"marches\": [", "f.json", "f.json:document: (document): JSON illisible : "),
        (b"\xff\xfe", "f.json", "f.json:document: (document): le fichier n'est pas en UTF-8"),
        (b"42", "f.json", "f.json:document: (document): attendu un marché, une liste"),
        (b"", "f.csv", "f.csv:ligne 1: (document): colonnes obligatoires absentes : id,"),
        (b"id,objet\n1,x\n", "f.csv", "f.csv:ligne 1: (document): colonnes obligatoires "
         "absentes : acheteur, montant"),
    ],
)  # fmt: skip
def test_an_unreadable_file_says_why(data: bytes, name: str, expected: str) -> None:
    read = read_decp(data, name)
    assert read.contracts == []
    assert read.errors[0].format(name).startswith(expected)


def test_a_broken_record_or_trailing_text_is_a_json_error_with_its_line() -> None:
    records = {"marches": {"marche": [official(r) for r in CONTRACTS]}}
    official_text = json.dumps(records, indent=1, ensure_ascii=False)
    broken = official_text.replace('"objet": "Marché 2026-003",', '"objet": "Marché 2026-003"', 1)
    read = read_decp(broken.encode(), "f.json", SCOPE)
    assert read.contracts == []
    line = broken[: broken.index('"objet": "Marché 2026-003"')].count("\n") + 2
    assert (
        read.errors[0]
        .format("f.json")
        .startswith(
            f"f.json:document: (document): JSON illisible : Expecting ',' delimiter (ligne {line}"
        )
    )
    trailing = read_decp((official_text + "\n}").encode(), "f.json", SCOPE)
    assert trailing.contracts == []
    assert "JSON illisible : Extra data" in trailing.errors[0].message()


def test_a_list_named_marche_elsewhere_than_the_contracts_is_not_taken_for_them() -> None:
    # A concession (not a contract) listed first, holding a field named "marche": only the
    # contracts under marches.marche count.
    document = {
        "marches": {
            "contrat-concession": [{"id": "cc-1", "marche": [official(CONTRACTS[1])]}],
            "marche": [official(CONTRACTS[0])],
        }
    }
    read = read_decp(json.dumps(document).encode(), "f.json", SCOPE)
    assert [c.id for c in read.contracts] == ["2026-001"] and read.errors == []


def test_the_demo_contracts_are_valid_against_the_official_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    demo = Path(__file__).parents[2] / "examples" / "demo-decp.json"
    jsonschema.validate(json.loads(demo.read_text(encoding="utf-8")), schema)
