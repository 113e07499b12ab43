"""A plan file cannot exhaust the server: every limit is a located error, reached early."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime

import pytest
from dateutil.rrule import rrulestr

from benchmarks.region_plan import region_plan
from domain import validation
from domain.calendar import MAX_OCCURRENCES_PER_ITEM, TooManyOccurrences, parse_rrule
from domain.errors import PlanInvalid
from domain.validation import load_plan
from tests.plans import plan_text


def errors_of(text: str, *, is_json: bool = False) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        load_plan(text, is_json=is_json)
    return caught.value.lines("plan.yaml")


def recurring(rule: str, *, count: int = 1) -> str:
    """Items `r0`, `r1`… each recurring by `rule`, from 4 January on, a minute apart."""
    return "".join(
        f"- {{id: r{n}, kind: action, title: R{n}, assignees: [resto],"
        f' start: "2027-01-04T{9 + n // 60:02d}:{n % 60:02d}", rrule: "{rule}"}}\n'
        for n in range(count)
    )


def test_yaml_alias_bomb_is_refused_with_a_located_error() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 6)]
    bomb = "\n".join(levels) + "\nversion: 1\n"
    assert len(bomb) < 320  # 9**6 = 531,441 values once expanded
    started = time.perf_counter()
    errors = errors_of(bomb)
    assert time.perf_counter() - started < 0.5  # 1.15 s before, and ×9 for each level
    assert errors == [
        "plan.yaml:1: a4[0][2][1][0][4]: les alias YAML (*nom) recopient trop de valeurs : "
        "au plus 10000 en tout"
    ]


def test_a_shared_block_through_an_alias_and_a_merge_key_is_still_accepted() -> None:
    text = plan_text("""
        - {id: a, kind: action, title: A, assignees: [resto], due: "2027-02-15",
           reminders: &rappels {before: [P14D, P3D], overdue: [P2D]}}
        - {id: b, kind: action, title: B, assignees: [resto], due: "2027-03-15",
           reminders: {<<: *rappels, on_due: false}}
    """)
    first, second = load_plan(text).plans[0].items
    assert first.reminders == second.reminders.model_copy(update={"on_due": None})
    assert second.reminders is not None and second.reminders.before == ["P14D", "P3D"]


def test_a_recursive_alias_is_refused_as_nested_too_deeply() -> None:
    (error,) = errors_of("version: 1\nboucle: &b [1, *b]\n")
    assert error.startswith("plan.yaml:2: boucle[1][1][1]")
    assert error.endswith("imbrication trop profonde : au plus 20 niveaux de listes et d'objets")


@pytest.mark.parametrize("depth", [21, 500, 990, 5_000, 100_000])
def test_deeply_nested_json_and_yaml_plans_are_a_located_error(depth: int) -> None:
    json_text = '{"version": 1,\n "x": ' + "[" * depth + "]" * depth + "}"
    yaml_text = "version: 1\nx:\n" + "".join(f"{'  ' * n}- \n" for n in range(min(depth, 900)))
    for text, is_json in ((json_text, True), (json_text, False), (yaml_text, False)):
        (error,) = errors_of(text, is_json=is_json)  # a RecursionError (500) before
        assert re.fullmatch(
            r"plan\.yaml:\d+: (x(\[0\]){20}|\(document\)): imbrication trop profonde : "
            r"au plus 20 niveaux de listes et d'objets",
            error,
        ), error


def test_the_depth_error_reads_in_english_when_the_organisation_says_en() -> None:
    deep = "[" * 21 + "]" * 21
    text = plan_text("", locale="en").replace("plans:\n", f"deep: {deep}\nplans:\n")
    assert any(
        "nested too deeply: at most 20 levels of lists and mappings" in error
        for error in errors_of(text)
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY", "fréquence SECONDLY refusée : une tâche revient au plus chaque jour"),
        ("FREQ=MINUTELY;INTERVAL=24", "fréquence MINUTELY refusée"),
        ("freq=hourly", "fréquence HOURLY refusée"),
        ("FREQ=DAILY;BYHOUR=9,14", "BYHOUR refusé : chaque occurrence prend l'heure de start"),
        ("FREQ=WEEKLY;BYMINUTE=5", "BYMINUTE refusé"),
        ("FREQ=YEARLY;BYEASTER=0", "BYEASTER refusé : absent de la RFC 5545"),
        ("FREQ=WEEKLY;INTERVAL=0;BYDAY=TU", "INTERVAL must be 1 or more"),  # dateutil hung
        ("FREQ=WEEKLY;" + "BYDAY=MO;" * 60, "règle de récurrence trop longue : au plus 500"),
    ],
)
def test_sub_daily_and_endless_rules_are_refused_with_a_located_error(
    rule: str, message: str
) -> None:
    text = plan_text(recurring(rule))
    (error,) = errors_of(text)
    assert error.startswith("plan.yaml:31: plans[0].items[0].rrule: ")
    assert message in error


def test_an_item_past_200_occurrences_is_refused_and_expansion_stops_there() -> None:
    (daily,) = errors_of(plan_text(recurring("FREQ=DAILY")))
    assert daily == (
        "plan.yaml:31: plans[0].items[0].rrule: plus de 200 occurrences en 2027 : au plus 200 "
        "par élément (une tâche hebdomadaire en a 53)"
    )
    assert len(parse_rrule("FREQ=WEEKLY;BYDAY=MO,TH", datetime(2027, 1, 4, 9), 2027)) == 104
    started = time.perf_counter()
    with pytest.raises(TooManyOccurrences):  # 31 million occurrences, were they all expanded
        parse_rrule("FREQ=SECONDLY", datetime(2027, 1, 1), 2027)
    assert time.perf_counter() - started < 0.1


def test_a_file_past_its_occurrences_is_refused_at_the_item_that_crosses_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validation, "MAX_OCCURRENCES_PER_FILE", 200)
    text = plan_text(recurring("FREQ=WEEKLY", count=5))  # 52 each: the fourth crosses 200
    assert errors_of(text) == [
        "plan.yaml:34: plans[0].items[3]: le fichier dépasse 200 occurrences en tout "
        "(ici, avec cet élément)"
    ]


def test_a_rule_that_never_occurs_is_answered_at_once() -> None:
    started = time.perf_counter()
    (error,) = errors_of(plan_text(recurring("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")))
    assert time.perf_counter() - started < 0.5  # dateutil looked until year 9999: 6 s
    assert error.endswith("rrule: la récurrence ne produit aucune occurrence en 2027")


def test_many_rules_that_almost_never_occur_exhaust_the_file_and_stop_its_expansion() -> None:
    rare = recurring("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", count=400)  # in 2044
    started = time.perf_counter()
    errors = errors_of(plan_text(rare))
    assert time.perf_counter() - started < 6  # 80 rules × 17 years of days (1 s), then the limit
    budget = [error for error in errors if "trop de calcul" in error]
    assert len(budget) == 1 and "au plus 500000 jours parcourus en tout" in budget[0]
    assert len(errors) < 100  # the 300 rules after the limit are only read


def test_a_region_sized_plan_stays_within_every_limit() -> None:
    document = load_plan(region_plan())  # 100 portfolios × 40 items, 11,600 occurrences
    assert len(document.plans) == 100


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;UNTIL=20270615T235959",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=MONTHLY;COUNT=5;BYMONTHDAY=29,30,31",
        "FREQ=MONTHLY;BYDAY=5FR",
        "FREQ=YEARLY;BYWEEKNO=1,20,52,53;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=1,100,-1,366,-366",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYDAY=53MO,-1SU",
        "FREQ=WEEKLY;WKST=SU;BYDAY=SU,SA;BYSETPOS=1",
        "FREQ=DAILY;INTERVAL=3;BYDAY=SA",
        "FREQ=DAILY;COUNT=150",
    ],
)
def test_rules_expand_to_the_very_days_dateutil_gives(rule: str) -> None:
    for year in (*range(2024, 2031), 2096, 2099, 2100):
        for start in (datetime(year, 1, 1, 9), datetime(year, 3, 1, 8), datetime(year, 12, 28)):
            reference = rrulestr(rule.replace("2027", str(year)), dtstart=start, ignoretz=True)
            wanted = reference.between(datetime(year, 1, 1), datetime(year, 12, 31, 23, 59, 59))
            got = parse_rrule(rule.replace("2027", str(year)), start, year)
            assert got == wanted[:MAX_OCCURRENCES_PER_ITEM], (rule, start)


def test_a_json_plan_nested_in_arrays_beyond_python_recursion_is_a_located_error() -> None:
    text = json.dumps({"version": 1}).replace("}", ', "x": ' + "[" * 3000 + "]" * 3000 + "}")
    (error,) = errors_of(text, is_json=True)
    assert error == (
        "plan.yaml:1: (document): imbrication trop profonde : au plus 20 niveaux de listes "
        "et d'objets"
    )
