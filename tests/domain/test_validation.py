"""Validation reports every error at once, each as FILE:LINE: path.to.field: message."""

from __future__ import annotations

import json

import pytest

from domain.errors import PlanInvalid
from domain.validation import load_plan
from tests.plans import plan_text


def errors_of(text: str, *, is_json: bool = False) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        load_plan(text, is_json=is_json)
    return caught.value.lines("plan.yaml")


def line_of(text: str, fragment: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_the_spec_example_is_valid() -> None:
    document = load_plan(
        plan_text("""
        - {id: veille, kind: regulatory_watch_review, title: Revue de veille,
           assignees: [resto], start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO",
           duration: PT1H}
        - {id: publicite, kind: action, title: Publier, due: "2027-02-15",
           objective: bio-local, assignees: [resto], reminders: {before: [P14D, P3D]}}
    """)
    )
    assert [item.id for item in document.plans[0].items] == ["veille", "publicite"]


def test_every_error_is_reported_at_once_with_line_and_path() -> None:
    text = plan_text("""
        - {id: a, kind: action, title: A, assignees: [inconnu], due: "2027-02-15"}
        - {id: b, kind: action, title: B, assignees: [resto], due: "2028-01-10"}
        - {id: c, kind: regulatory_watch_review, title: C, assignees: [resto],
           start: "2027-01-04T09:30", rrule: "FREQ=SOMETIMES"}
        - {id: a, kind: action, title: Doublon, assignees: [resto], due: "2027-03-01"}
        - {id: d, kind: action, title: D, assignees: [dgs], due: "2027-03-01"}
        - {id: e, kind: action, title: E, assignees: [resto], due: "2027-03-01",
           attendees: [nett]}
        - {id: f, kind: action, title: F, assignees: [resto], due: "2027-03-01",
           objective: nulle-part}
        - {id: g, kind: indicator_checkpoint, title: G, assignees: [resto],
           start: "2027-03-31T17:00", indicators: [part-inconnue]}
        - {id: h, kind: action, assignees: [resto], due: "2027-03-01"}
        - {id: i, kind: action, title: I, assignees: [resto], due: "2027-03-01",
           reminders: {before: [7 jours]}}
    """).replace("paul.durand@example.org", "paul.durand-at-example.org")
    errors = errors_of(text)
    expected = [
        (line_of(text, "paul.durand-at"), "people[1].email", "adresse électronique"),
        (
            line_of(text, "assignees: [inconnu]"),
            "plans[0].items[0].assignees[0]",
            "personne « inconnu » inconnue",
        ),
        (line_of(text, '"2028-01-10"'), "plans[0].items[1].due", "hors de l'année"),
        (line_of(text, "FREQ=SOMETIMES"), "plans[0].items[2].rrule", "RRULE"),
        (line_of(text, "title: Doublon"), "plans[0].items[3].id", "en double"),
        (line_of(text, "assignees: [dgs]"), "plans[0].items[4].assignees[0]", "rôle direction"),
        (line_of(text, "attendees: [nett]"), "plans[0].items[5].attendees", "participants"),
        (line_of(text, "nulle-part"), "plans[0].items[6].objective", "objectif"),
        (line_of(text, "part-inconnue"), "plans[0].items[7].indicators[0]", "indicateur"),
        (line_of(text, "{id: h,"), "plans[0].items[8].title", "manquant"),
        (line_of(text, "7 jours"), "plans[0].items[9].reminders.before[0]", "durée"),
    ]
    assert len(errors) == len(expected), "\n".join(errors)
    for (line, path, words), error in zip(expected, errors, strict=True):
        assert error.startswith(f"plan.yaml:{line}: {path}: "), error
        assert words in error, error


def test_bad_yaml_is_located() -> None:
    text = "version: 1\norganisation:\n  name: [oops\npeople: []\n"
    (error,) = errors_of(text)
    assert error.startswith("plan.yaml:")
    assert "YAML illisible" in error


def test_duplicate_yaml_keys_are_an_error() -> None:
    text = "version: 1\nversion: 1\norganisation: {name: X}\n"
    (error,) = errors_of(text)
    assert "plan.yaml:2:" in error


def test_a_document_that_is_not_a_mapping() -> None:
    (error,) = errors_of("- just\n- a list\n")
    assert (
        error == "plan.yaml:1: (document): le fichier doit décrire un objet (clé: valeur), "
        "pas liste"
    )


def test_missing_top_level_fields_and_unknown_ones() -> None:
    errors = errors_of("organisaton:\n  name: X\n")
    assert "plan.yaml:1: organisaton: champ inconnu « organisaton »" in errors
    assert any(e.startswith("plan.yaml:1: version: champ obligatoire") for e in errors)
    assert any(e.startswith("plan.yaml:1: organisation: champ obligatoire") for e in errors)


def test_wrong_version_timezone_holidays_and_weekday() -> None:
    text = (
        plan_text("")
        .replace("version: 1", "version: 2")
        .replace("Europe/Paris", "Europe/Pariss")
        .replace("holidays: FR", "holidays: FR-99")
        .replace("[MO, TU, WE, TH, FR]", "[MO, TU, XX]")
    )
    errors = errors_of(text)
    assert any("version: version de format 2 inconnue" in e for e in errors)
    assert any("organisation.timezone: fuseau horaire « Europe/Pariss »" in e for e in errors)
    assert any("organisation.holidays: calendrier" in e for e in errors)
    assert any("organisation.working_days[2]: valeur « XX » invalide" in e for e in errors)


def test_references_across_sections() -> None:
    text = (
        plan_text("")
        .replace("owner: resto", "owner: dgs")
        .replace("portfolios: [restauration]}", "portfolios: [cantine]}")
        .replace("portfolio: restauration", "portfolio: voirie")
        .replace("indicators: [part-bio]}", "indicators: [part-bio, co2]}")
    )
    errors = errors_of(text)
    assert any("portfolios[0].owner: « dgs » a le rôle direction" in e for e in errors)
    assert any("indicators[0].portfolios[0]: portefeuille « cantine » inconnu" in e for e in errors)
    assert any("plans[0].portfolio: portefeuille « voirie » inconnu" in e for e in errors)
    assert any("plans[0].objectives[0].indicators[1]: indicateur « co2 »" in e for e in errors)


def test_duplicate_people_and_plans() -> None:
    text = plan_text("").replace(
        "  - {id: dgs,",
        "  - {id: resto, name: Autre, email: a@example.org, role: buyer}\n  - {id: dgs,",
    )
    text += "  - {portfolio: restauration, year: 2027}\n"
    errors = errors_of(text)
    assert any("people[3].id: identifiant « resto » en double" in e for e in errors)
    assert any("plans[1]: plan en double" in e for e in errors)


def test_start_and_due_rules_and_events_need_a_time() -> None:
    errors = errors_of(
        plan_text("""
        - {id: a, kind: action, title: A, assignees: [resto]}
        - {id: b, kind: action, title: B, assignees: [resto], start: "2027-01-05T10:00",
           due: "2027-01-06"}
        - {id: c, kind: training_session, title: C, assignees: [resto], start: "2027-03-01"}
        - {id: d, kind: action, title: D, assignees: [resto], due: "2027-02-30"}
        - {id: e, kind: action, title: E, assignees: [resto], due: "2027-02-03T10:00+01:00"}
        - {id: f, kind: indicator_checkpoint, title: F, assignees: [resto], due: "2027-02-03"}
        - {id: g, kind: action, title: G, assignees: [], due: "2027-02-03"}
        - {id: h, kind: action, title: H, assignees: [resto], start: "2027-01-05T10:00",
           rrule: "FREQ=WEEKLY;UNTIL=20261231"}
        - {id: i, kind: action, title: I, assignees: [resto], due: "2027-02-03",
           indicators: [part-bio]}
    """)
    )
    joined = "\n".join(errors)
    assert "items[0].due: indiquez soit start soit due" in joined
    assert "items[1].start: indiquez soit start soit due" in joined
    assert "items[2].start: un événement (training_session) a besoin d'une heure" in joined
    assert "items[3].due: date « 2027-02-30 » invalide" in joined
    assert "items[4].due: « 2027-02-03T10:00+01:00 » porte un décalage horaire" in joined
    assert "items[5].indicators: un point d'étape indicateurs doit lister" in joined
    assert "items[6].assignees: la liste ne peut pas être vide" in joined
    assert "items[7].rrule: la récurrence ne produit aucune occurrence en 2027" in joined
    assert "items[8].indicators: seul un indicator_checkpoint" in joined


def test_comma_in_flow_mapping_gets_a_hint() -> None:
    errors = errors_of(
        plan_text("""
        - {id: a, kind: action, title: Bio, local et durable, assignees: [resto],
           due: "2027-02-03"}
    """)
    )
    assert any("mettez la valeur entre guillemets" in e for e in errors)


def test_messages_follow_the_organisation_locale() -> None:
    text = plan_text(
        """
        - {id: a, kind: action, title: A, assignees: [nobody], due: "2027-02-03"}
    """,
        locale="en",
    )
    line = line_of(text, "nobody")
    assert errors_of(text) == [
        f"plan.yaml:{line}: plans[0].items[0].assignees[0]: unknown person 'nobody' (not in people)"
    ]


def test_an_invalid_person_does_not_cascade_into_unknown_references() -> None:
    text = plan_text("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-02-03"}
    """).replace("paul.durand@example.org", "not-an-email")
    errors = errors_of(text)
    assert len(errors) == 1 and "people[1].email" in errors[0]


def test_json_plans_are_accepted_and_located() -> None:
    document = {
        "version": 1,
        "organisation": {"name": "X"},
        "people": [{"id": "a", "name": "A", "email": "a@example.org", "role": "buyer"}],
        "portfolios": [{"id": "p", "name": "P"}],
        "plans": [
            {
                "portfolio": "p",
                "year": 2027,
                "items": [
                    {
                        "id": "x",
                        "kind": "action",
                        "title": "X",
                        "assignees": ["b"],
                        "due": "2027-05-03",
                    }
                ],
            }
        ],
    }
    text = json.dumps(document, indent=2)
    errors = errors_of(text, is_json=True)
    assert len(errors) == 1
    line = line_of(text, '"b"')
    assert errors[0].startswith(f"plan.yaml:{line}: plans[0].items[0].assignees[0]: ")
    document["plans"][0]["items"][0]["assignees"] = ["a"]
    assert load_plan(json.dumps(document), is_json=True).plans[0].items[0].id == "x"


def test_broken_json_is_located() -> None:
    (error,) = errors_of('{\n  "version": 1,\n  "organisation": {,}\n}', is_json=True)
    assert error.startswith("plan.yaml:3: (document): JSON illisible")


def test_names_and_header_bound_fields_refuse_control_characters() -> None:
    text = (
        plan_text("""
        - {id: a, kind: training_session, title: "Formation\\u2028Bcc: x", assignees: [resto],
           start: "2027-03-16T14:00", location: "Arras\\rATTENDEE:mailto:x@evil.test",
           description: "Salle B\\npremier étage\\r\\n\\tà gauche"}
        - {id: b, kind: action, title: B, assignees: [resto], due: "2027-03-01",
           description: "fin\\x0b"}
        - {id: "c\\n", kind: action, title: C, assignees: [resto], due: "2027-03-01"}
    """)
        .replace("name: Paul Durand", 'name: "Paul\\r\\nReply-To: attacker@evil.test"')
        .replace("email: nadia.benali@example.org", 'email: "nadia.benali@example.org\\u0000"')
        .replace("name: Département Test", 'name: "Département\\tTest"')
    )
    errors = errors_of(text)
    one_line = "(retour à la ligne, tabulation…) : ce texte tient sur une ligne"
    assert [error.split(": ", 2)[1:] for error in errors] == [
        ["organisation.name", f"caractère de contrôle U+0009 interdit {one_line}"],
        ["people[1].name", f"caractère de contrôle U+000D interdit {one_line}"],
        ["people[2].email", f"caractère de contrôle U+0000 interdit {one_line}"],
        ["plans[0].items[0].title", f"caractère de contrôle U+2028 interdit {one_line}"],
        ["plans[0].items[0].location", f"caractère de contrôle U+000D interdit {one_line}"],
        ["plans[0].items[1].description", "caractère de contrôle U+000B interdit"],
        [
            "plans[0].items[2].id",
            "identifiant « c\\u000a » invalide : lettres minuscules, chiffres, « - » ou « _ »",
        ],
    ]
    english = errors_of(text.replace("locale: fr", "locale: en"))
    assert english[1].endswith(
        "people[1].name: control character U+000D is not allowed (line break, tab…): "
        "this text fits on one line"
    )
    fine = load_plan(
        plan_text("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-03-01",
           description: "Salle B\\r\\n\\tà gauche"}
    """)
    )
    assert fine.plans[0].items[0].description == "Salle B\n\tà gauche"  # longer text keeps lines
