"""Every plan exported to XLSX and ODS reads back as the same plan, the same simulated year."""

from __future__ import annotations

from functools import cache

import pytest

from boucle.simulation_output import as_json
from domain.model import PlanFile
from domain.simulation import simulate
from domain.validation import load_plan
from domain.workbook.phrases import (
    RecurrenceColumns,
    columns_rule,
    duration_iso,
    duration_words,
    rule_columns,
)
from services.plan_files import read_plan_bytes, write_plan_workbook
from tests.domain.workbook_plans import FULL_PLAN, every_plan
from tests.plans import plan_with


@cache
def plans() -> dict[str, PlanFile]:
    return every_plan()


def test_the_round_trip_covers_the_examples_the_region_and_the_tests_plans() -> None:
    names = list(plans())
    assert "examples/demo-plan.yaml" in names and "benchmarks/region_plan.py" in names
    assert sum(name.startswith("tests/domain/") for name in names) >= 5
    assert len(names) >= 40


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
@pytest.mark.parametrize("name", sorted(every_plan()))
def test_export_then_import_gives_back_the_same_plan(name: str, fmt: str) -> None:
    plan = plans()[name]
    data = write_plan_workbook(plan, fmt)  # type: ignore[arg-type]
    again = read_plan_bytes(f"plan.{fmt}", data)
    assert again.model_dump() == plan.model_dump()
    assert as_json(simulate(again), again) == as_json(simulate(plan), plan)


@pytest.mark.parametrize(
    ("rrule", "columns"),
    [
        ("FREQ=MONTHLY;INTERVAL=3;BYDAY=2TH", RecurrenceColumns("mois", 3, "jeudi", "2e")),
        ("FREQ=MONTHLY;BYDAY=1MO", RecurrenceColumns("mois", None, "lundi", "1er")),
        ("FREQ=MONTHLY;BYDAY=-1FR", RecurrenceColumns("mois", None, "vendredi", "dernier")),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", RecurrenceColumns("mois", 3, "dernier")),
        ("FREQ=MONTHLY;BYMONTHDAY=15", RecurrenceColumns("mois", None, "15")),
        ("FREQ=WEEKLY;BYDAY=MO,TH", RecurrenceColumns("semaine", None, "lundi, jeudi")),
        ("FREQ=WEEKLY;INTERVAL=2", RecurrenceColumns("semaine", 2)),
        ("FREQ=DAILY", RecurrenceColumns("jour")),
        ("FREQ=YEARLY", RecurrenceColumns("an")),
    ],
)
def test_common_rules_are_said_in_the_columns_and_back(
    rrule: str, columns: RecurrenceColumns
) -> None:
    assert rule_columns(rrule) == columns
    assert columns_rule(columns) == rrule


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=31",
        "FREQ=MONTHLY;COUNT=4",
        "FREQ=WEEKLY;UNTIL=20270630T000000Z",
        "freq=monthly;byday=1mo",
        "FREQ=MONTHLY;INTERVAL=1",
        "FREQ=MONTHLY;BYDAY=1MO,2TU",
    ],
)
def test_rules_the_columns_cannot_say_exactly_stay_raw(rrule: str) -> None:
    assert rule_columns(rrule) is None


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("PT1H30M", "1 h 30 min"),
        ("PT3H", "3 h"),
        ("P7D", "7 jours"),
        ("P1D", "1 jour"),
        ("P2W", "2 semaines"),
        ("P1DT2H", "1 jour 2 h"),
    ],
)
def test_durations_are_said_in_words_and_back(iso: str, words: str) -> None:
    assert duration_words(iso) == words
    assert duration_iso(words) == iso


def test_durations_words_read_in_other_spellings_and_odd_forms_stay_as_written() -> None:
    assert duration_iso("2 heures 15 minutes") == "PT2H15M"
    assert duration_iso("3 j") == "P3D"
    assert duration_iso("10 days") == "P10D"
    assert duration_words("PT90M") == "90 min"
    assert duration_words("P0D") == "0 jour"
    assert duration_iso("15 min 2 h") == "15 min 2 h"  # out of order: left to validation


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_text_that_looks_like_a_formula_a_number_or_a_date_stays_text(fmt: str) -> None:
    plan = plan_with(
        """
        - {id: "2027", kind: training_session, title: "=SOMME(A1:A9)", location: "2027-03-16",
           start: "2027-03-16T14:00", duration: PT90M, assignees: [qdd], attendees: [resto],
           description: "  deux lignes\\n\\tet un  double espace ", rrule: "FREQ=YEARLY;COUNT=1"}
        """
    )
    again = read_plan_bytes(f"plan.{fmt}", write_plan_workbook(plan, fmt))  # type: ignore[arg-type]
    assert again.model_dump() == plan.model_dump()
    (item,) = again.plans[0].items
    assert (item.title, item.location) == ("=SOMME(A1:A9)", "2027-03-16")


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_every_field_of_the_plan_format_survives_the_workbook(fmt: str) -> None:
    plan = load_plan(FULL_PLAN)
    again = read_plan_bytes(f"plan.{fmt}", write_plan_workbook(plan, fmt))  # type: ignore[arg-type]
    assert again.model_dump() == plan.model_dump()
    assert again.plans[1].items[0].reminders == plan.plans[1].items[0].reminders
    assert again.plans[1].items[1].reminders is not None
