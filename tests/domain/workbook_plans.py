"""Every plan the repository holds or its tests build: the examples, the région plan and the
item lists tests hand to tests.plans (found in their source, so new tests join in)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from benchmarks.region_plan import region_plan
from domain.errors import PlanInvalid
from domain.model import PlanFile
from domain.validation import load_plan
from tests.plans import plan_text

ROOT = Path(__file__).resolve().parents[2]
BUILDERS = {"plan_with", "plan_text"}
# Every field the plan format has, with the values a workbook finds hardest to keep.
FULL_PLAN = """\
version: 1
organisation: {name: Ville Test, timezone: America/Martinique, locale: en, holidays: null,
  working_days: [MO, TU, WE, TH], on_holiday: keep}
people:
  - {id: qdd, name: Claire Martin, email: claire.martin@example.org, role: officer, locale: en}
  - {id: resto, name: Paul Durand, email: paul.durand@example.org, role: buyer, digest_only: true}
  - {id: admin, name: Ada Admin, email: ada@example.org, role: admin}
portfolios:
  - {id: restauration, name: Restauration, owner: resto, buyers: [resto, qdd]}
  - {id: vide, name: Sans plan}
indicators:
  - {id: marches, name: Marchés, unit: count, aggregation: sum, scope: organisation}
  - {id: verts, name: Marchés verts, unit: count, aggregation: sum}
  - {id: part-verts, name: Part verte, unit: percent, direction: decrease, baseline: 12.5,
     target: 0.25, floor: 1, aggregation: ratio, numerator: verts, denominator: marches,
     portfolios: [restauration], source: "DECP, € HT"}
  - {id: veilles, name: Veilles à l'heure, unit: percent, computed: watch_reviews_on_time}
reminders:
  before: null
  on_due: false
  escalate_after: null
  kinds:
    training_session: {before: [P14D, PT2H], send_at: "08:30"}
    action: {}
plans:
  - {portfolio: vide, year: 2028, approve_by: "2027-12-01", evaluate_on: "2029-01-15T10:00"}
  - portfolio: restauration
    year: 2027
    objectives:
      - {id: bio, statement: "Plus de bio\\net de local", pillar: social, level: strategic,
         indicators: [part-verts, verts]}
    items:
      - {id: a, kind: action, title: A, assignees: [resto], due: "2027-02-15T08:15:30",
         on_holiday: previous_working_day, carried_over_from: restauration/2026/a,
         reminders: {before: null, overdue: [P1W], escalate_after: P2W, on_due: true}}
      - {id: b, kind: supplier_meeting, title: B, assignees: [qdd], attendees: [resto, admin],
         start: "2027-01-05T14:00", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270601",
         duration: P1DT2H, reminders: {}}
      - {id: c, kind: indicator_checkpoint, title: C, assignees: [resto], indicators: [verts],
         start: "2027-01-29", rrule: "FREQ=MONTHLY;BYDAY=-1FR", objective: bio}
"""


def _item_lists(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The literal item lists (with literal options) passed to plan_with or plan_text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in BUILDERS):
            continue
        if not node.args:
            continue
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            items = argument.value
        elif isinstance(argument, ast.Name) and argument.id in constants:
            items = constants[argument.id]
        else:
            continue
        options = {
            keyword.arg: keyword.value.value
            for keyword in node.keywords
            if keyword.arg and isinstance(keyword.value, ast.Constant)
        }
        yield items, options


def every_plan() -> dict[str, PlanFile]:
    """Each valid plan by a name that says where it comes from."""
    plans: dict[str, PlanFile] = {}
    for example in sorted((ROOT / "examples").glob("*.y*ml")):
        plans[f"examples/{example.name}"] = load_plan(example.read_text(encoding="utf-8"))
    plans["benchmarks/region_plan.py"] = load_plan(region_plan())
    plans["tests/domain/workbook_plans.py FULL_PLAN"] = load_plan(FULL_PLAN)
    for source in sorted((ROOT / "tests").rglob("test_*.py")):
        for number, (items, options) in enumerate(_item_lists(source)):
            try:
                plan = load_plan(plan_text(items, **options))
            except (PlanInvalid, TypeError, KeyError, ValueError):
                continue  # a test of errors: the error tests below cover workbooks' own
            plans[f"{source.relative_to(ROOT)}#{number}"] = plan
    for locale in ("fr", "en"):
        for on_holiday in ("next_working_day", "previous_working_day", "keep"):
            items = "- {id: a, kind: action, title: A, assignees: [resto], due: '2027-05-01'}"
            plans[f"tests/plans.py {locale} {on_holiday}"] = load_plan(
                plan_text(items, locale=locale, holidays="FR-57", on_holiday=on_holiday)
            )
    return plans
