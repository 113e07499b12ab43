"""Indicator values from CSV and forms: French numbers, and only finite ones."""

from __future__ import annotations

import pytest

from domain.errors import PlanInvalid
from domain.validation import load_plan
from domain.values_csv import french_number, parse_values
from tests.plans import plan_text


def test_values_must_be_finite_in_the_csv_import_the_one_click_form_and_the_plan() -> None:
    text = (
        "indicator;portfolio;period;value\n"
        "part-bio;restauration;2027-T1;inf\n"
        "part-bio;restauration;2027-T2;nan\n"
        "part-bio;restauration;2027-T3;-Infinity\n"
        "part-bio;restauration;2027-T4;1e999\n"
        "part-bio;restauration;2027-06;12 000,5\n"
    )
    rows, errors = parse_values(text, {"part-bio": "portfolio"}, {"restauration"})
    assert rows == []
    assert [error.format("valeurs.csv") for error in errors] == [
        "valeurs.csv:2: value: « inf » : un nombre fini est attendu",
        "valeurs.csv:3: value: « nan » : un nombre fini est attendu",
        "valeurs.csv:4: value: « -Infinity » : un nombre fini est attendu",
        "valeurs.csv:5: value: « 1e999 » : un nombre fini est attendu",
    ]
    assert french_number("12 000,5") == 12000.5 and french_number("-3,5") == -3.5
    for text in ("nan", "NaN", "inf", "-inf", "Infinity", "1e400"):  # the values form's reader
        with pytest.raises(ValueError, match="is not a finite number"):
            french_number(text)
    plan = (
        plan_text("")
        .replace("baseline: 12,", "baseline: nan,")
        .replace("target: 20", "target: 1e999")
    )
    with pytest.raises(PlanInvalid) as caught:
        load_plan(plan)
    assert [line.split(": ", 1)[1] for line in caught.value.lines("plan.yaml")] == [
        "indicators[0].baseline: nombre attendu : ni infini ni NaN",
        "indicators[0].target: nombre attendu : ni infini ni NaN",
    ]
