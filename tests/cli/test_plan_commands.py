"""`boucle plan check` and `boucle simulate`: exit codes and every output format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest
import vobject
from typer.testing import CliRunner

from boucle.cli import app
from tests.plans import plan_text

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-plan.yaml"
runner = CliRunner()

EXAMPLE_ITEMS = """
    - {id: veille, kind: regulatory_watch_review, title: Revue de veille réglementaire,
       assignees: [resto], start: "2027-01-04T09:30", rrule: "FREQ=MONTHLY;BYDAY=1MO",
       duration: PT1H}
    - {id: formation-saison, kind: training_session, title: Formation saisonnalité,
       start: "2027-03-16T14:00", duration: PT3H, location: Arras, assignees: [qdd],
       attendees: [resto]}
    - {id: points-indicateurs, kind: indicator_checkpoint, title: Point d'étape indicateurs,
       start: "2027-03-31T17:00", rrule: "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1",
       indicators: [part-bio], assignees: [resto]}
    - {id: publicite, kind: action, title: Publier le marché bio, due: "2027-02-15",
       objective: bio-local, assignees: [resto], reminders: {before: [P14D, P3D]}}
"""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(EXAMPLE_ITEMS), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_valid_plan_prints_a_summary(example: Path) -> None:
    code, out, _ = run("plan", "check", str(example))
    assert code == 0
    assert "Plan valide" in out
    assert "occurrences : 18" in out
    assert re.search(r"resto\s+\d+\s+Paul Durand", out)


def test_check_invalid_plan_exits_2_with_every_error_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "mauvais.yaml"
    path.write_text(
        plan_text("""
        - {id: a, kind: action, title: A, assignees: [x], due: "2027-02-15"}
        - {id: b, kind: action, title: B, assignees: [resto], due: "2026-02-15"}
    """),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [sys.executable, "-m", "boucle.cli", "plan", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 3 and lines[-1] == "2 erreurs"
    assert all(line.startswith(f"{path}:") for line in lines[:2])
    assert "Traceback" not in completed.stderr


def test_plan_check_refuses_an_alias_bomb_a_deep_file_and_a_minutely_rule_located(
    tmp_path: Path,
) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 6)]
    minutely = """
        - {id: v, kind: action, title: V, assignees: [resto], start: "2027-01-04T09:30",
           rrule: "FREQ=MINUTELY"}
    """
    files = {
        "bombe.yaml": "\n".join(levels) + "\nversion: 1\n",
        "profond.json": '{"version": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}",
        "minutes.yaml": plan_text(minutely, locale="en"),
    }
    expected = {
        "bombe.yaml": ":1: a4[0][2][1][0][4]: les alias YAML (*nom) recopient trop de valeurs",
        "profond.json": ":1: (document): imbrication trop profonde : au plus 20 niveaux",
        "minutes.yaml": ":32: plans[0].items[0].rrule: frequency MINUTELY refused",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, out, err = run("plan", "check", str(path))
        assert code == 2 and out == ""
        first, count = err.strip().splitlines()
        assert first.startswith(f"{path}{expected[name]}"), first
        assert count in ("1 erreur", "1 error")


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"version: [1\n", b""])
def test_unreadable_files_never_give_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    code, out, err = run("plan", "check", str(path))
    assert code == 2
    assert err.startswith(f"{path}:")


def test_missing_file(tmp_path: Path) -> None:
    code, _, err = run("plan", "check", str(tmp_path / "absent.yaml"))
    assert code == 2 and "absent.yaml:0:" in err


def test_simulate_json_matches_the_specified_shape(example: Path) -> None:
    code, out, _ = run("simulate", str(example), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"occurrences", "notifications"}
    first = payload["occurrences"][0]
    assert first == {
        "task": "restauration/2027/veille/2027-01-04",
        "portfolio": "restauration",
        "item": "veille",
        "kind": "regulatory_watch_review",
        "due": "2027-01-04T09:30:00+01:00",
        "due_utc": "2027-01-04T08:30:00Z",
        "shifted_from": None,
        "assignees": ["resto"],
    }
    moved = [o for o in payload["occurrences"] if o["shifted_from"]]
    assert moved == [
        {
            "task": "restauration/2027/veille/2027-11-01",
            "portfolio": "restauration",
            "item": "veille",
            "kind": "regulatory_watch_review",
            "due": "2027-11-02T09:30:00+01:00",
            "due_utc": "2027-11-02T08:30:00Z",
            "shifted_from": "2027-11-01T09:30:00+01:00",
            "assignees": ["resto"],
        }
    ]
    notices = payload["notifications"]
    assert set(notices[0]) == {"at", "at_utc", "type", "task", "to"}
    assert [n["at_utc"] for n in notices] == sorted(n["at_utc"] for n in notices)
    dues = [o["due_utc"] for o in payload["occurrences"]]
    assert dues == sorted(dues)
    invitation = [n for n in notices if n["type"] == "invitation"]
    assert invitation == [
        {
            "at": "2026-12-01T09:00:00+01:00",
            "at_utc": "2026-12-01T08:00:00Z",
            "type": "invitation",
            "task": "restauration/2027/formation-saison/2027-03-16",
            "to": ["qdd", "resto"],
        }
    ]
    assert {n["type"] for n in notices} == {"invitation", "reminder", "due", "checkpoint"}


def test_simulate_missed_adds_overdue_and_escalations(example: Path) -> None:
    _, out, _ = run("simulate", str(example), "--format", "json", "--assume", "missed")
    notices = json.loads(out)["notifications"]
    escalations = [n for n in notices if n["type"] == "escalation"]
    assert escalations and all(n["to"] == ["qdd"] for n in escalations)
    assert any(n["type"] == "overdue" and n["to"] == ["resto"] for n in notices)


def test_simulate_year_filter(example: Path) -> None:
    _, out, _ = run("simulate", str(example), "--format", "json", "--year", "2026")
    assert json.loads(out) == {"occurrences": [], "notifications": []}


def test_simulate_csv_has_one_row_per_notification(example: Path) -> None:
    _, as_json, _ = run("simulate", str(example), "--format", "json")
    _, out, _ = run("simulate", str(example), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(json.loads(as_json)["notifications"])
    assert rows[0]["type"] == "invitation" and rows[0]["to"] == "qdd resto"
    assert rows[0]["to_email"] == "claire.martin@example.org paul.durand@example.org"


def test_simulate_ics_parses_with_two_independent_parsers(example: Path) -> None:
    _, out, _ = run("simulate", str(example), "--format", "ics")
    calendar = icalendar.Calendar.from_ical(out)
    events = [c for c in calendar.walk("VEVENT")]
    assert calendar.walk("VTIMEZONE")
    series = [e for e in events if e.get("rrule")]
    assert {str(e["uid"]) for e in series} == {
        "restauration/2027/veille@boucle",
        "restauration/2027/points-indicateurs@boucle",
    }
    override = [e for e in events if e.get("recurrence-id")]
    assert len(override) == 1
    assert override[0].decoded("recurrence-id").isoformat() == "2027-11-01T09:30:00+01:00"
    assert override[0].decoded("dtstart").isoformat() == "2027-11-02T09:30:00+01:00"

    parsed = vobject.readOne(out)
    veille = [
        e
        for e in parsed.vevent_list
        if e.uid.value == "restauration/2027/veille@boucle" and hasattr(e, "rrule")
    ][0]
    dates = [d.date().isoformat() for d in veille.getrruleset()]
    assert len(dates) == 12 and dates[0] == "2027-01-04" and dates[-1] == "2027-12-06"
    summaries = {e.summary.value for e in parsed.vevent_list}
    assert "Formation saisonnalité" in summaries


def test_simulate_text_is_a_french_timeline_with_load_and_moves(example: Path) -> None:
    code, out, _ = run("simulate", str(example))
    assert code == 0
    assert "Janvier 2027" in out and "Décembre 2027" in out
    assert "Charge par personne" in out
    assert "Paul Durand (resto)" in out
    assert "lundi 1 novembre 2027 → mardi 2 novembre 2027" in out
    assert "Toussaint" in out
    assert "Éléments récurrents" in out
    assert (
        "Revue de veille réglementaire [restauration] : "
        "le premier lundi de chaque mois à 9\u00a0h\u00a030 (12 occurrences)"
    ) in out
    assert (
        "Point d'étape indicateurs [restauration] : "
        "tous les trois mois, le dernier jour du mois à 17\u00a0h (4 occurrences)"
    ) in out
    section = out.split("Éléments récurrents\n", 1)[1].split("\n\n", 1)[0]
    assert len(section.splitlines()) == 2  # the one-off training and action have no rule


def test_simulate_text_in_english_says_each_recurrence_in_english(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(EXAMPLE_ITEMS, locale="en"), encoding="utf-8")
    code, out, _ = run("simulate", str(path))
    assert code == 0
    assert "Recurring items" in out
    assert (
        "Revue de veille réglementaire [restauration]: "
        "every first Monday of the month at 9:30 AM (12 occurrences)"
    ) in out
    assert "every three months, on the last day of the month at 5:00 PM (4 occurrences)" in out


def test_the_demo_plan_is_valid_and_shows_moves() -> None:
    code, out, _ = run("plan", "check", str(DEMO))
    assert code == 0, out
    _, text, _ = run("simulate", str(DEMO))
    assert "Ascension" in text and "Toussaint" in text


def test_plan_check_and_simulate_load_neither_the_engine_nor_the_store(example: Path) -> None:
    """They are run by hand, often: importing the Temporal client or SQLAlchemy doubled their
    time on a région's plan (1.3 → 2.6 s)."""
    probe = (
        "import sys, runpy; sys.argv = ['boucle', 'plan', 'check', sys.argv[1]]\n"
        "try:\n    runpy.run_module('boucle.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('temporalio', 'sqlalchemy', 'fastapi') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(example)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().endswith("[]"), done.stdout


@pytest.mark.parametrize(
    ("by", "said"),
    [("resto", "une personne au rôle buyer ne peut pas importer"), ("nobody", "personne inconnue")],
)
def test_plan_import_as_a_buyer_or_a_stranger_is_refused_before_anything_is_stored(
    example: Path, tmp_path: Path, by: str, said: str
) -> None:
    from sqlmodel import select

    from domain.validation import load_plan
    from store.tables import PlanVersion
    from tests.engine.support import store_with

    sessions = store_with(load_plan(example.read_text(encoding="utf-8")), tmp_path)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BOUCLE_")}
    done = subprocess.run(
        [sys.executable, "-m", "boucle.cli", "plan", "import", str(example), "--as", by],
        capture_output=True,
        text=True,
        env={**environment, "BOUCLE_DATA_DIR": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert f"refusé : --as {by} : {said}" in done.stderr
    with sessions() as session:
        assert len(session.exec(select(PlanVersion)).all()) == 1  # only the seeded version
