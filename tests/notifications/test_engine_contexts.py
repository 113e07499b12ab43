"""Every message type, in French and in English, as the engine writes it from a real plan
(not from notifications/samples.py): no Python internals, no empty count, plurals right, and
each "Voir dans Boucle" link opens the page of what the email is about."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

import pytest

from domain.execution import PlanChanges
from domain.model import PlanFile
from domain.validation import load_plan
from notifications.messages import MessageType
from tests.notifications.engine_mail import (
    Sent,
    Year,
    amendment,
    beyond_the_cycle,
    evaluation,
    first_notices,
    legacy_planning,
    live,
    planning,
    run,
    task_changes,
    the_year,
)
from tests.plans import plan_text

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
# One item, one occurrence, a notice a day late: every count the emails print is 1.
SINGLE = """
    - {id: publicite, kind: action, title: Publier le marché bio, due: "2027-02-15",
       assignees: [resto], reminders: {before: [P1D], overdue: [P1D], escalate_after: P1D}}
"""


def demo(locale: str) -> PlanFile:
    text = DEMO.read_text(encoding="utf-8")
    return load_plan(
        text if locale == "fr" else text.replace("\n  locale: fr\n", "\n  locale: en\n")
    )


def demo_scenario(year: Year, store) -> list:  # noqa: ANN001
    changes = PlanChanges(
        reassign_items={"groupe-travail": ["chef-cuisine"]},
        cancel_tasks=[year.task("rencontre-fournisseurs").id],
    )
    return [
        *planning(year),
        *first_notices(year),
        *task_changes(year, "publicite", "formation-saisonnalite"),
        amendment(year, changes),
        *evaluation(year, store, missed=2),
    ]


def single_scenario(year: Year, store) -> list:  # noqa: ANN001
    changes = PlanChanges(cancel_tasks=[year.task("publicite").id])
    return [
        *planning(year),
        *first_notices(year),
        amendment(year, changes),
        *evaluation(year, store, missed=1),
    ]


@cache
def demo_year(locale: str) -> Year:
    year = the_year(demo(locale), "restauration", 2027)
    return run(live(year, Path(mkdtemp()), demo_scenario, beyond_the_cycle))


@cache
def single_year(locale: str) -> Year:
    year = the_year(load_plan(plan_text(SINGLE, locale=locale)), "restauration", 2027)
    return run(live(year, Path(mkdtemp()), single_scenario, beyond_the_cycle))


def sent(locale: str) -> list[Sent]:
    return [*demo_year(locale).sent, *single_year(locale).sent]


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_engine_writes_every_message_type(locale: str) -> None:
    written = {message.type for message in sent(locale) if message.locale == locale}
    missing = sorted(kind.value for kind in MessageType if kind.value not in written)
    assert missing == [], (
        f"no engine context builds {missing} in {locale}: send it in "
        "tests/notifications/engine_mail.py as the workflow or activity that sends it does"
    )


INTERNALS = re.compile(
    r"object at 0x|<built-in|<bound method|\bNone\b|Undefined|\{\{|\}\}|\d[eE][+-]\d\d"
)
MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
FIRST_DAY = re.compile(rf"(?<!\d)1 ({MONTHS})")  # French writes "1er mars"
# Count words as (singular, plural); French takes the singular for 0 and 1, English for 1.
NOUNS = {
    "fr": [
        ("élément", "éléments"),
        ("occurrence", "occurrences"),
        ("tâche", "tâches"),
        ("jour", "jours"),
        ("faite", "faites"),
        ("reporté", "reportés"),
        ("indicateur", "indicateurs"),
    ],
    "en": [
        ("item", "items"),
        ("occurrence", "occurrences"),
        ("planned occurrence", "planned occurrences"),
        ("task", "tasks"),
        ("day", "days"),
        ("indicator", "indicators"),
    ],
}
ZERO = re.compile(r"(?<![\d,.])0 (éléments?|occurrences?|items?|planned occurrences?)\b")


def wrong_plurals(text: str, locale: str) -> list[str]:
    found = []
    for singular, plural in NOUNS[locale]:
        for match in re.finditer(rf"(?<![\d,.])(\d+) ({singular}|{plural})\b", text):
            count, word = int(match[1]), match[2]
            one = count in (0, 1) if locale == "fr" else count == 1
            if word != (singular if one else plural):
                found.append(match[0])
    return found


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_what_the_emails_say_reads_right(locale: str) -> None:
    problems = []
    for message in sent(locale):
        for part, text in (
            ("subject", message.subject),
            ("text", message.text),
            ("html", message.html),
        ):
            where = f"{message.type} ({message.locale}) {part}"
            problems += [f"{where}: {m[0]!r}" for m in INTERNALS.finditer(text)]
            problems += [f"{where}: {m[0]!r} where the plan has items" for m in ZERO.finditer(text)]
            problems += [
                f"{where}: wrong plural {w!r}" for w in wrong_plurals(text, message.locale)
            ]
            problems += [f"{where}: {m[0]!r} for 1er" for m in FIRST_DAY.finditer(text)]
    assert not problems, "\n".join(sorted(set(problems)))


def view_links(message: Sent) -> tuple[set[str], set[str]]:
    """The "Voir dans Boucle" links of the text part and the HTML part."""
    text = set(re.findall(r"(?:Voir dans Boucle|View in Boucle) ?: (\S+)", message.text))
    button = r'<a href="([^"]+)"[^>]*>(?:Voir dans Boucle|View in Boucle)</a>'
    return text, set(re.findall(button, message.html))


TASKS = "https://boucle.example.org/app/tasks"
CYCLE = "https://boucle.example.org/app/cycles/restauration/2027"
PLAN = "https://boucle.example.org/app/plans/restauration/2027"
LATE = f"{TASKS}/restauration/2027/groupe-travail/2027-02-04"
TRAINING = f"{TASKS}/restauration/2027/formation-saisonnalite/2027-03-16"
ACTION = f"{TASKS}/restauration/2027/publicite/2027-02-15"
STUCK = f"{TASKS}/restauration/2027/animation-convives/2027-06-10"
VIEW = {
    "plan_submit_request": {PLAN},
    "plan_approval_request": {PLAN},
    "plan_returned": {PLAN},
    "draft_ready": {"https://boucle.example.org/app/plans/restauration/2028"},
    "plan_approved": {CYCLE},
    "plan_amended": {CYCLE},
    "values_request": {CYCLE},
    "evaluation_ready": {CYCLE},
    "review_request": {CYCLE},
    "reminder": {LATE},
    "due": {LATE},
    "overdue": {LATE},
    "escalation": {LATE},
    "checkpoint": {f"{TASKS}/restauration/2027/point-egalim/2027-03-31"},
    "invitation": {TRAINING},
    "invitation_updated": {TRAINING},
    "invitation_cancelled": {TRAINING},
    "reschedule_requested": {ACTION},
    "reschedule_approved": {ACTION},
    "reschedule_refused": {ACTION},
    "task_updated": {ACTION},
    "task_assigned": {ACTION},
    "task_cancelled": {ACTION},
    "digest": {TASKS},
    "engine_fault": {STUCK, "https://boucle.example.org/dashboard"},  # a task's, a cycle's
    "delivery_failed": {STUCK},  # the reminder that bounced
    "sign_in": set(),  # its link is the sign-in itself
}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_each_view_link_opens_the_page_of_what_the_email_is_about(locale: str) -> None:
    found: dict[str, set[str]] = {}
    for message in demo_year(locale).sent:
        text, html = view_links(message)
        assert text == html, message.type
        found.setdefault(message.type, set()).update(text)
    assert found == {kind: VIEW[kind] for kind in MessageType if kind.value in VIEW}


def test_the_evaluation_writes_numbers_and_units_as_people_read_them() -> None:
    french = next(m for m in demo_year("fr").sent if m.type == "evaluation_ready").text
    english = next(m for m in demo_year("en").sent if m.type == "evaluation_ready").text
    assert "Tâches : 16 faites à temps, 1 en retard, 2 non faites." in french
    assert "emballages jetables : 10\u202f800\u00a0€ (cible 12\u202f000\u00a0€)" in french
    assert "circuits courts : 13,5\u00a0% (cible 15\u00a0%)" in french
    assert "emballages jetables: €10,800 (target €12,000)" in english
    assert "circuits courts: 13.5% (target 15%)" in english


def test_counts_come_from_the_plan_not_the_store() -> None:
    """Before approval the store has no task: the demo's 8 items make 19 occurrences."""
    for kind in ("plan_submit_request", "plan_approval_request"):
        message = next(m for m in demo_year("fr").sent if m.type == kind)
        assert "8 éléments, 19 occurrences prévues." in message.text
    single = next(m for m in single_year("en").sent if m.type == "plan_approval_request")
    assert "1 item, 1 planned occurrence." in single.text


def test_a_cycle_begun_before_2026_12_has_its_plan_counted_too(tmp_path: Path) -> None:
    """Its workflow sends no counts and the store has no task before approval: the activity
    counts the plan version the cycle runs."""
    year = the_year(demo("fr"), "restauration", 2027)
    year = run(live(year, tmp_path, lambda year, store: legacy_planning(year)))
    texts = {message.type: message.text for message in year.sent}
    assert "8 éléments, 19 occurrences prévues." in texts["plan_submit_request"]
    assert "selon le calendrier (19 occurrences)." in texts["plan_approved"]
